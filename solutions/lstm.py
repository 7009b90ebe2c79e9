"""Topic 7 — recurrent networks: RNN, LSTM and GRU.

A recurrent network reads a sequence one step at a time and carries a hidden state h
from each step to the next: h_t = cell(x_t, h_{t-1}). The same weights serve every step.
Backpropagation through time (BPTT) runs the sequence backwards: the gradient that
reaches h_{t-1} is what step t sends back, PLUS what the loss says about h_{t-1} itself.

Through a vanilla RNN that gradient is multiplied at every step by the recurrent weights
and by tanh': over many steps it shrinks to nothing (vanishing) or grows without bound
(exploding). The LSTM adds a cell state c that is carried forward by a multiplication
with the forget gate, c_t = f * c_{t-1} + i * g, so the gradient along c is only scaled
by f: with f near 1 it survives many steps. Clipping the gradient's norm
(optimizers.clip_grad_norm) tames the exploding case.

Shapes and conventions, shared by every function of this topic:
- Sequences are batch-first, as torch's batch_first=True: x (N, T, D) = (samples, time
  steps, input features); hidden states (N, T, H); one step's input x_t is x[:, t].
- Weights follow the kit's dense layers, x @ W: the input weights Wx have shape (D, G*H),
  the recurrent weights Wh (H, G*H) and the bias (G*H,), with G = 1 (RNN), 4 (LSTM) or
  3 (GRU) blocks of H columns side by side, in PyTorch's order:
    RNN   a = x_t @ Wx + h @ Wh + b                         one block
    LSTM  [i | f | g | o] = x_t @ Wx + h @ Wh + b             input, forget, cell, output
    GRU   [r | z | n]: input part x_t @ Wx + bx, hidden part h @ Wh + bh (two biases)
  torch.nn.RNN/LSTM/GRU store the transposes (weight_ih = Wx.T, weight_hh = Wh.T) and
  two biases b_ih + b_hh; here the RNN and the LSTM have one bias b (the sum of the two),
  the GRU keeps both because the reset gate multiplies the hidden part, bias included.
- A missing initial state (h0=None, c0=None) is zeros, as in torch.
- Forward functions return their outputs and a cache; backward functions take the
  upstream gradients of EVERY output and the cache, and return the gradients of every
  input, in the order of the inputs (None for an upstream gradient means zeros).
- Every function returns the input's dtype (float32 in, float32 out) and never modifies
  its inputs. Use NumPy, the standard library and your earlier topics only. np.tanh is
  allowed here, and _sigmoid below is given (a fast sigmoid for whole gate arrays).

Vectorise over the batch and the hidden units: a Python loop over time steps is
unavoidable (each step needs the previous one), but a loop over samples or over hidden
units is many times slower than torch and fails the speed tests. The input part x @ Wx
of every step can be computed before the loop, in one matrix product.
"""

import numpy as np
from losses import mse_loss, sparse_categorical_cross_entropy
from neuron import softmax
from optimizers import Adam, clip_grad_norm


def _sigmoid(a):
    """The logistic sigmoid 1 / (1 + exp(-a)), element-wise, in a's dtype (given).

    exp(-a) overflows to inf below a = -88 (float32) or -709 (float64), and 1 / (1 + inf)
    = 0 is the right limit there, so the overflow warning is silenced."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


# ---------------------------------------------------------------- vanilla RNN
def rnn_cell_forward(x, h_prev, Wx, Wh, b):
    """One step of a vanilla (Elman) RNN with tanh, as torch.nn.RNNCell.

        h_next = tanh(x @ Wx + h_prev @ Wh + b)

    Inputs:
    - x: the step's input, shape (N, D).
    - h_prev: the previous hidden state, shape (N, H).
    - Wx: input weights, shape (D, H).
    - Wh: recurrent weights, shape (H, H).
    - b: bias, shape (H,).

    Returns a tuple (h_next, cache):
    - h_next: shape (N, H), x's dtype.
    - cache: what rnn_cell_backward needs.

    Hint: two matrix products and a bias, then np.tanh. Keep h_next in the cache: the
    derivative of tanh is easiest to write with its output.
    """
    # BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b).astype(x.dtype, copy=False)
    return h_next, (x, h_prev, Wx, Wh, h_next)
    # END SOLUTION


def rnn_cell_backward(dh_next, cache):
    """Backward pass of one RNN step.

        da  = dh_next * (1 - h_next**2)          (a = the argument of tanh)
        dx  = da @ Wx.T      dh_prev = da @ Wh.T
        dWx = x.T @ da       dWh = h_prev.T @ da      db = sum of da over the batch

    Inputs:
    - dh_next: upstream gradient dL/dh_next, shape (N, H).
    - cache: from rnn_cell_forward.

    Returns a tuple (dx, dh_prev, dWx, dWh, db) with the shapes of x, h_prev, Wx, Wh, b.

    Hint: tanh'(a) = 1 - tanh(a)**2, and tanh(a) is h_next: no need to keep a. Every
    gradient has the shape of what it is the gradient of; let the shapes tell you which
    factor to transpose.
    """
    # BEGIN SOLUTION
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next * h_next)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    # END SOLUTION


def _zeros_if_none(state, n, h, dtype):
    """A given initial state, or zeros (N, H) of `dtype` (given)."""
    return np.zeros((n, h), dtype=dtype) if state is None else state


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence, as torch.nn.RNN(batch_first=True), one layer.

        h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)          t = 1, ..., T

    with h_0 = h0 (zeros if None) and x_t = x[:, t - 1].

    Inputs:
    - x: input sequence, shape (N, T, D).
    - h0: initial hidden state, shape (N, H), or None for zeros.
    - Wx: (D, H); Wh: (H, H); b: (H,).

    Returns a tuple (h, h_T, cache):
    - h: every hidden state h_1 .. h_T, shape (N, T, H) (h[:, t] is h_{t+1}), x's dtype.
    - h_T: the final state, shape (N, H) (the same values as h[:, -1], as torch's h_n).
    - cache: what rnn_backward needs.

    Hint: loop over t; x[:, t] @ Wx can be done for every step at once before the loop
    (x.reshape(N * T, D) @ Wx). Fill a preallocated (N, T, H) array.
    """
    # BEGIN SOLUTION
    N, T, D = x.shape
    H = Wh.shape[0]
    h0 = _zeros_if_none(h0, N, H, x.dtype)
    # Time-major inside (one contiguous (N, H) block per step); h is returned batch-first.
    xs = x.transpose(1, 0, 2).reshape(T * N, D)
    a = (xs @ Wx + b).astype(x.dtype, copy=False).reshape(T, N, H)
    h = np.empty((T, N, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        a[t] += h_prev @ Wh
        h_prev = np.tanh(a[t], out=h[t])
    return h.transpose(1, 0, 2), h[-1].copy(), (xs, h0, Wx, Wh, h)
    # END SOLUTION


def rnn_backward(dh, dh_T, cache):
    """Backpropagation through time for rnn_forward.

    The loss depends on every hidden state h_t directly (dh[:, t - 1] = dL/dh_t, e.g. from
    a prediction at every step) and on the final state h_T (dh_T, from what came after the
    sequence). Going backwards, the gradient of the whole loss w.r.t. h_t is

        g_T = dh[:, T - 1] + dh_T
        g_t = dh[:, t - 1] + (what step t + 1 sends back to h_t)         t = T-1, ..., 1

    and step t, with da_t = g_t * (1 - h_t**2), sends da_t @ Wh.T back to h_{t-1}; what
    reaches h_0 is dh0. The weights serve every step: their gradients are SUMS over t.

    Inputs:
    - dh: upstream gradient of every hidden state, shape (N, T, H).
    - dh_T: upstream gradient of the final state, shape (N, H), or None for zeros.
    - cache: from rnn_forward.

    Returns a tuple (dx, dh0, dWx, dWh, db) with the shapes of x, h0 (N, H), Wx, Wh, b
    (dh0 also when h0 was None: the gradient w.r.t. that zero state), x's dtype.

    Hint: one loop over t from T - 1 down to 0 keeps the running gradient of the hidden
    state and stores every da_t in an (N, T, H) array; after the loop, dx, dWx, dWh and db
    are each ONE matrix product or sum over (N * T) rows (dWh pairs da_t with h_{t-1}:
    the states shifted by one step, h0 first).
    """
    # BEGIN SOLUTION
    xs, h0, Wx, Wh, h = cache
    T, N, H = h.shape
    dt = h.dtype
    dhs = dh.transpose(1, 0, 2)  # time-major view of the upstream gradients
    da = np.empty_like(h)
    g_next = np.zeros((N, H), dtype=dt) if dh_T is None else dh_T
    for t in range(T - 1, -1, -1):
        np.multiply(dhs[t] + g_next, 1 - h[t] * h[t], out=da[t])
        g_next = da[t] @ Wh.T
    rows = da.reshape(T * N, H)
    h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * N, H)
    dx = (rows @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2)
    return (dx.astype(dt, copy=False), g_next.astype(dt, copy=False), (xs.T @ rows).astype(dt, copy=False),
            (h_prev.T @ rows).astype(dt, copy=False), rows.sum(axis=0).astype(dt, copy=False))
    # END SOLUTION


# ---------------------------------------------------------------- LSTM
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One step of an LSTM, as torch.nn.LSTMCell (gates in PyTorch's order i, f, g, o).

        a = x @ Wx + h_prev @ Wh + b                 shape (N, 4H), four blocks of H columns
        i = sigmoid(a[:, 0:H])       input gate
        f = sigmoid(a[:, H:2H])      forget gate
        g = tanh(a[:, 2H:3H])        candidate cell values
        o = sigmoid(a[:, 3H:4H])     output gate
        c_next = f * c_prev + i * g
        h_next = o * tanh(c_next)

    Inputs:
    - x: (N, D); h_prev: (N, H); c_prev: (N, H).
    - Wx: (D, 4H); Wh: (H, 4H); b: (4H,).

    Returns a tuple (h_next, c_next, cache):
    - h_next, c_next: shape (N, H), x's dtype.
    - cache: what lstm_cell_backward needs.

    Hint: one matrix product per weight for all four gates, then slice the columns
    (_sigmoid, above, is given); keep the gates and tanh(c_next) in the cache, backward
    needs them.
    """
    # BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_next = (f * c_prev + i * g).astype(x.dtype, copy=False)
    tc = np.tanh(c_next)
    h_next = (o * tc).astype(x.dtype, copy=False)
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc)
    # END SOLUTION


def lstm_cell_backward(dh_next, dc_next, cache):
    """Backward pass of one LSTM step.

    h_next depends on c_next, so the cell state's gradient has two sources:

        dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)
        do = dh_next * tanh(c_next)     di = dc * g     dg = dc * i     df = dc * c_prev
        dc_prev = dc * f
        da = [di * i(1 - i) | df * f(1 - f) | dg * (1 - g**2) | do * o(1 - o)]   (N, 4H)
        dx = da @ Wx.T   dh_prev = da @ Wh.T   dWx = x.T @ da   dWh = h_prev.T @ da
        db = sum of da over the batch

    Inputs:
    - dh_next: dL/dh_next, shape (N, H).
    - dc_next: dL/dc_next from what follows (the next step's dc_prev), shape (N, H).
    - cache: from lstm_cell_forward.

    Returns a tuple (dx, dh_prev, dc_prev, dWx, dWh, db) with the shapes of x, h_prev,
    c_prev, Wx, Wh, b.

    Hint: sigmoid'(a) = s * (1 - s) and tanh'(a) = 1 - t**2, written with the OUTPUTS s and
    t of the forward pass. tanh' at c_next needs tanh(c_next), not c_next. np.concatenate
    (or np.hstack) puts the four gate gradients back side by side in the order i, f, g, o.
    """
    # BEGIN SOLUTION
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = cache
    dc = dc_next + dh_next * o * (1 - tc * tc)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    # END SOLUTION


def lstm_forward(x, h0, c0, Wx, Wh, b):
    """An LSTM over a whole sequence, as torch.nn.LSTM(batch_first=True), one layer.

        for t = 1, ..., T:  h_t, c_t = lstm_cell_forward(x_t, h_{t-1}, c_{t-1}, Wx, Wh, b)

    with (h_0, c_0) = (h0, c0) (zeros where None) and x_t = x[:, t - 1].

    Inputs:
    - x: (N, T, D).
    - h0, c0: initial states, shape (N, H) each, or None for zeros.
    - Wx: (D, 4H); Wh: (H, 4H); b: (4H,).

    Returns a tuple (h, h_T, c_T, cache):
    - h: every hidden state h_1 .. h_T, shape (N, T, H), x's dtype.
    - h_T, c_T: the final hidden and cell states, shape (N, H) each (torch's h_n, c_n).
    - cache: what lstm_backward needs.

    Hint: as rnn_forward. Reusing lstm_cell_forward in the loop is correct; faster is one
    product x.reshape(N * T, D) @ Wx + b before the loop, then only h @ Wh inside it, the
    gate activations written into preallocated (N, T, ...) arrays.
    """
    # BEGIN SOLUTION
    N, T, D = x.shape
    H = Wh.shape[0]
    dt = x.dtype
    h0 = _zeros_if_none(h0, N, H, dt)
    c0 = _zeros_if_none(c0, N, H, dt)
    # Time-major inside (one contiguous (N, .) block per step); h is returned batch-first.
    xs = x.transpose(1, 0, 2).reshape(T * N, D)
    gates = (xs @ Wx + b).astype(dt, copy=False).reshape(T, N, 4 * H)
    h, c, tc = (np.empty((T, N, H), dtype=dt) for _ in range(3))
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = gates[t]
        a += h_prev @ Wh
        a[:, :2 * H] = _sigmoid(a[:, :2 * H])
        a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        a[:, 3 * H:] = _sigmoid(a[:, 3 * H:])
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c_prev = np.add(f * c_prev, i * g, out=c[t])
        np.tanh(c_prev, out=tc[t])
        h_prev = np.multiply(o, tc[t], out=h[t])
    cache = (xs, h0, c0, Wx, Wh, gates, c, tc, h)
    return h.transpose(1, 0, 2), h[-1].copy(), c[-1].copy(), cache
    # END SOLUTION


def lstm_backward(dh, dh_T, dc_T, cache):
    """Backpropagation through time for lstm_forward.

    Two gradients run backwards through time: the hidden state's, as in rnn_backward,
    and the cell state's. At step t (from T down to 1):

        dh_t (total) = dh[:, t - 1] + what step t + 1 sent back to h_t   (dh_T at t = T)
        dc_t (total) = what step t + 1 sent back to c_t                  (dc_T at t = T)

    then lstm_cell_backward's formulas give the gate gradients da_t, and step t sends
    da_t @ Wh.T back to h_{t-1} and dc_t * f_t back to c_{t-1}. What reaches step 0 is
    (dh0, dc0). The weight gradients are sums over every step.

    Inputs:
    - dh: upstream gradient of every hidden state, shape (N, T, H).
    - dh_T, dc_T: upstream gradients of the final states, shape (N, H) each, or None.
    - cache: from lstm_forward.

    Returns a tuple (dx, dh0, dc0, dWx, dWh, db) with the shapes of x, h0, c0 (N, H),
    Wx, Wh, b (dh0 and dc0 also for absent initial states: the gradients w.r.t. those
    zeros), x's dtype.

    Hint: as rnn_backward: a loop from T - 1 down to 0 carries (dh, dc) and stores every
    da_t in an (N, T, 4H) array; after the loop dx, dWx, dWh and db are each one product
    or sum over N * T rows.
    """
    # BEGIN SOLUTION
    xs, h0, c0, Wx, Wh, gates, c, tc, h = cache
    T, N, H = h.shape
    dt = h.dtype
    dhs = dh.transpose(1, 0, 2)  # time-major view of the upstream gradients
    da = np.empty((T, N, 4 * H), dtype=dt)
    dh_next = np.zeros((N, H), dtype=dt) if dh_T is None else dh_T
    dc_next = np.zeros((N, H), dtype=dt) if dc_T is None else dc_T
    for t in range(T - 1, -1, -1):
        a = gates[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c_prev = c[t - 1] if t > 0 else c0
        ght = dhs[t] + dh_next
        dc = dc_next + ght * o * (1 - tc[t] * tc[t])
        d = da[t]
        d[:, :H] = dc * g * i * (1 - i)
        d[:, H:2 * H] = dc * c_prev * f * (1 - f)
        d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
        d[:, 3 * H:] = ght * tc[t] * o * (1 - o)
        dh_next = d @ Wh.T
        dc_next = dc * f
    rows = da.reshape(T * N, 4 * H)
    h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * N, H)
    dx = (rows @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2)
    return (dx, dh_next.astype(dt, copy=False), dc_next.astype(dt, copy=False), xs.T @ rows, h_prev.T @ rows,
            rows.sum(axis=0))
    # END SOLUTION


# ---------------------------------------------------------------- GRU
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):
    """One step of a GRU in PyTorch's formulation (torch.nn.GRUCell), gates in the order
    r, z, n:

        ax = x @ Wx + bx          ah = h_prev @ Wh + bh          both (N, 3H): [r | z | n]
        r = sigmoid(ax_r + ah_r)            reset gate
        z = sigmoid(ax_z + ah_z)            update gate
        n = tanh(ax_n + r * ah_n)           candidate: r multiplies h_prev @ Wh_n + bh_n
        h_next = (1 - z) * n + z * h_prev

    Two details differ from some textbooks (and from the original GRU paper): the reset
    gate multiplies the whole hidden part of n, ah_n = h_prev @ Wh_n + bh_n, bias included,
    NOT h_prev before the product; and z keeps the OLD state (z = 1 copies h_prev).

    Inputs:
    - x: (N, D); h_prev: (N, H).
    - Wx: (D, 3H); Wh: (H, 3H); bx: (3H,) (torch's b_ih); bh: (3H,) (torch's b_hh).

    Returns a tuple (h_next, cache):
    - h_next: shape (N, H), x's dtype.
    - cache: what gru_cell_backward needs.

    Hint: compute ax and ah separately (they are added for r and z, but not for n), then
    slice the three blocks of H columns.
    """
    # BEGIN SOLUTION
    H = h_prev.shape[1]
    ax = x @ Wx + bx
    ah = h_prev @ Wh + bh
    rz = _sigmoid(ax[:, :2 * H] + ah[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    hn = ah[:, 2 * H:]
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    h_next = ((1 - z) * n + z * h_prev).astype(x.dtype, copy=False)
    return h_next, (x, h_prev, Wx, Wh, r, z, n, hn)
    # END SOLUTION


def gru_cell_backward(dh_next, cache):
    """Backward pass of one GRU step (gru_cell_forward's formulation).

        dn = dh_next * (1 - z)           dz = dh_next * (h_prev - n)
        dan = dn * (1 - n**2)            (gradient of n's tanh argument)
        dr = dan * ah_n
        dax = [dr * r(1 - r) | dz * z(1 - z) | dan]                 (N, 3H)
        dah = [dr * r(1 - r) | dz * z(1 - z) | dan * r]             (N, 3H)
        dx = dax @ Wx.T     dh_prev = dh_next * z + dah @ Wh.T
        dWx = x.T @ dax     dWh = h_prev.T @ dah     dbx, dbh = sums of dax, dah over the batch

    Inputs:
    - dh_next: dL/dh_next, shape (N, H).
    - cache: from gru_cell_forward.

    Returns a tuple (dx, dh_prev, dWx, dWh, dbx, dbh) with the shapes of x, h_prev, Wx, Wh,
    bx, bh.

    Hint: h_prev reaches h_next by two paths, directly through z * h_prev and through the
    three gates' products h_prev @ Wh: add both. The hidden part of n was multiplied by r,
    so its gradient (and bh's n block) carries that factor r; the input part does not.
    """
    # BEGIN SOLUTION
    x, h_prev, Wx, Wh, r, z, n, hn = cache
    dn = dh_next * (1 - z)
    dz = dh_next * (h_prev - n)
    dan = dn * (1 - n * n)
    dar = dan * hn * r * (1 - r)
    daz = dz * z * (1 - z)
    dax = np.concatenate([dar, daz, dan], axis=1)
    dah = np.concatenate([dar, daz, dan * r], axis=1)
    dh_prev = dh_next * z + dah @ Wh.T
    return dax @ Wx.T, dh_prev, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0), dah.sum(axis=0)
    # END SOLUTION


# ---------------------------------------------------------------- the lesson, measured
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):
    """How the gradient of a loss at the END of a sequence reaches every earlier state.

    Run the cells of `cell` ("rnn": rnn_cell_*, "lstm": lstm_cell_*) over x from zero
    initial states, and take a loss that depends on the final hidden state only,
    L = sum(h_T * dh_T), so that dL/dh_T = dh_T. Backpropagate it through time and
    return the norm of dL/dh_t at every step:

        norms[t] = ||dL/dh_t|| = sqrt(sum over the batch and hidden units of (dL/dh_t)**2)

    for t = 0, ..., T (norms[T] = ||dh_T||; norms[0] is the gradient of the initial state).
    For the LSTM the cell state carries gradient too: dL/dc_T = 0, and every step sends
    back both dh and dc.

    With a vanilla RNN the norms shrink (recurrent weights small) or grow (large)
    geometrically as t goes back from T: the vanishing and exploding gradients of the
    notes. An LSTM whose forget gates are near 1 keeps them alive.

    Inputs:
    - x: (N, T, D).
    - Wx, Wh, b: the cell's weights, as rnn_cell_forward ((D, H), (H, H), (H,)) or as
      lstm_cell_forward ((D, 4H), (H, 4H), (4H,)).
    - dh_T: dL/dh_T, shape (N, H).
    - cell: "rnn" or "lstm".

    Returns:
    - norms: shape (T + 1,), x's dtype.

    Hint: a forward loop of your cell functions that keeps every step's cache, then a
    backward loop from the last step to the first that carries dh (and dc): each cell
    backward returns dh_prev (and dc_prev), the gradient of the state one step earlier.
    np.linalg.norm of an (N, H) array with no axis is the norm over all its elements.
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    H = Wh.shape[0]
    h = np.zeros((N, H), dtype=x.dtype)
    c = np.zeros((N, H), dtype=x.dtype)
    caches = []
    for t in range(T):
        if cell == "lstm":
            h, c, cache = lstm_cell_forward(x[:, t], h, c, Wx, Wh, b)
        else:
            h, cache = rnn_cell_forward(x[:, t], h, Wx, Wh, b)
        caches.append(cache)
    norms = np.empty(T + 1, dtype=x.dtype)
    dh, dc = dh_T, np.zeros((N, H), dtype=x.dtype)
    norms[T] = np.linalg.norm(dh)
    for t in range(T - 1, -1, -1):
        if cell == "lstm":
            _, dh, dc, _, _, _ = lstm_cell_backward(dh, dc, caches[t])
        else:
            _, dh, _, _, _ = rnn_cell_backward(dh, caches[t])
        norms[t] = np.linalg.norm(dh)
    return norms
    # END SOLUTION


# ---------------------------------------------------------------- capstone: a character-level language model
def _uniform(rng, shape, bound, dtype):
    """U(-bound, bound) weights of `dtype` (given)."""
    return rng.uniform(-bound, bound, shape).astype(dtype)


class CharLSTM:
    """Capstone: a character-level language model from your own layers.

    It reads text one character at a time and predicts the next character at every step:

        ids (N, T) -> one-hot x (N, T, V) -> lstm_forward (h0 = c0 = zeros unless given)
        -> h (N, T, H) -> scores = h @ Wy + by (N, T, V)
        -> softmax cross-entropy against the next characters, averaged over all N * T steps

    trained with Adam (optimizers.Adam) on gradients clipped to a global norm
    (optimizers.clip_grad_norm). V = len(vocab) characters, H = hidden units.

    Parameters, in `self.params` (this order): "Wx" (V, 4H), "Wh" (H, 4H), "b" (4H,) (the
    LSTM; one-hot inputs make x @ Wx pick one row of Wx per character: an embedding),
    "Wy" (H, V), "by" (V,) (the output layer). After `backward` (or `loss`), `self.grads`
    holds the gradient of each under the same keys.
    """

    def __init__(self, vocab, hidden=64, seed=0, dtype=np.float64):
        """vocab: the characters the model knows, a string of distinct characters (e.g.
        "".join(sorted(set(text)))). Weights U(-1/sqrt(H), 1/sqrt(H)) as torch's LSTM,
        biases 0 except the forget gate's, 1 (a common choice: remember by default). Given."""
        if len(set(vocab)) != len(vocab) or not vocab:
            raise ValueError("vocab must be a non-empty string of distinct characters")
        self.vocab = "".join(vocab)
        self.index = {ch: i for i, ch in enumerate(self.vocab)}
        V, H = len(self.vocab), hidden
        rng = np.random.default_rng(seed)
        k = 1 / np.sqrt(H)
        b = np.zeros(4 * H, dtype=dtype)
        b[H:2 * H] = 1
        self.params = {"Wx": _uniform(rng, (V, 4 * H), k, dtype), "Wh": _uniform(rng, (H, 4 * H), k, dtype),
                       "b": b, "Wy": _uniform(rng, (H, V), k, dtype), "by": np.zeros(V, dtype=dtype)}
        self.grads = {}
        self.cache = None

    def encode(self, text):
        """The characters of `text` as indices into vocab, an int64 array (given)."""
        return np.array([self.index[ch] for ch in text], dtype=np.int64)

    def decode(self, ids):
        """The string of the indices `ids` (given)."""
        return "".join(self.vocab[int(i)] for i in ids)

    def forward(self, ids, h0=None, c0=None):
        """Scores of the next character after every position of ids.

        Inputs:
        - ids: character indices, an int array (N, T).
        - h0, c0: initial LSTM states (N, H), or None for zeros.

        Returns a tuple (scores, h_T, c_T):
        - scores: (N, T, V), the parameters' dtype: scores[n, t] rates every possible
          character after ids[n, :t + 1].
        - h_T, c_T: the final LSTM states (N, H), to continue the text later (sample).
        Keeps in self.cache what backward needs.

        Hint: np.eye(V, dtype=...)[ids] is the one-hot input (N, T, V). The output layer
        is one matrix product of h with Wy for all N * T positions at once.
        """
        # BEGIN SOLUTION
        p = self.params
        V = len(self.vocab)
        x = np.eye(V, dtype=p["Wx"].dtype)[ids]
        h, h_T, c_T, lstm_cache = lstm_forward(x, h0, c0, p["Wx"], p["Wh"], p["b"])
        scores = h @ p["Wy"] + p["by"]
        self.cache = (h, lstm_cache)
        return scores, h_T, c_T
        # END SOLUTION

    def backward(self, dscores):
        """Backpropagate dscores (N, T, V), the gradient of the loss w.r.t. the scores of
        the last forward pass, into self.grads (the keys and shapes of self.params).

        Hint: the output layer's gradients sum over every (n, t) position: reshape to
        (N * T, ...) rows. Then lstm_backward with dh = dscores @ Wy.T (no gradient comes
        from the final states).
        """
        # BEGIN SOLUTION
        h, lstm_cache = self.cache
        N, T, H = h.shape
        rows = dscores.reshape(N * T, -1)
        dh = (rows @ self.params["Wy"].T).reshape(N, T, H)
        _, _, _, dWx, dWh, db = lstm_backward(dh, None, None, lstm_cache)
        self.grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": h.reshape(N * T, H).T @ rows, "by": rows.sum(axis=0)}
        # END SOLUTION

    def loss(self, ids, targets):
        """Mean cross-entropy of the next-character predictions; fills self.grads.

            loss = -mean over n, t of log softmax(scores[n, t])[targets[n, t]]

        Inputs:
        - ids: (N, T) input characters; targets: (N, T) the character that follows each.

        Returns:
        - loss: a float (nats per character).

        Hint: losses.sparse_categorical_cross_entropy on the scores reshaped to
        (N * T, V) and the targets to (N * T,) averages over every position and returns
        the gradient too; reshape that back to (N, T, V) for backward.
        """
        # BEGIN SOLUTION
        scores, _, _ = self.forward(ids)
        N, T, V = scores.shape
        loss, dscores = sparse_categorical_cross_entropy(scores.reshape(N * T, V), targets.reshape(N * T))
        self.backward(dscores.reshape(N, T, V))
        return float(loss)
        # END SOLUTION

    def fit(self, text, steps=300, seq_len=32, batch_size=32, lr=1e-2, max_norm=5.0, seed=0):
        """Train on windows of `text` with Adam and gradient clipping.

        One generator rng = np.random.default_rng(seed) for the whole training; each step:
        1. starts = rng.integers(0, len(ids) - seq_len, size=batch_size), with ids =
           self.encode(text): batch_size windows ids[s : s + seq_len + 1];
        2. inputs = each window's first seq_len characters, targets = its last seq_len
           (the same shifted by one); loss (which fills self.grads);
        3. clip_grad_norm over the gradients of every parameter (max_norm);
        4. one step of Adam(lr=lr) (created once, before the first step) on every
           parameter, in the order of self.params.

        Returns:
        - the list of the loss of every step.

        Hint: ids[starts[:, None] + np.arange(seq_len + 1)] gathers every window at once.
        Adam and clip_grad_norm update their arrays in place: hand them the arrays of
        self.params and self.grads in one fixed order of keys.
        """
        # BEGIN SOLUTION
        ids = self.encode(text)
        rng = np.random.default_rng(seed)
        keys = list(self.params)
        optimizer = Adam([self.params[k] for k in keys], lr=lr)
        history = []
        for _ in range(steps):
            starts = rng.integers(0, len(ids) - seq_len, size=batch_size)
            windows = ids[starts[:, None] + np.arange(seq_len + 1)]
            history.append(self.loss(windows[:, :-1], windows[:, 1:]))
            grads = [self.grads[k] for k in keys]
            clip_grad_norm(grads, max_norm)
            optimizer.step(grads)
        return history
        # END SOLUTION


def sample(model, prefix, n, temperature=1.0, seed=0):
    """Let a trained CharLSTM write: `prefix` followed by n characters it draws one by one.

    Feed the prefix through the model (from zero states), then n times: turn the scores of
    the last position into probabilities p = softmax(scores / temperature), draw the next
    character with rng.choice(V, p=p) (rng = np.random.default_rng(seed), one generator
    for the whole text), and feed that character alone, continuing from the states
    (h_T, c_T) that the previous forward returned.

    A low temperature sharpens p (near 0: always the most likely character), a high one
    flattens it (more surprising text).

    Inputs:
    - model: a CharLSTM; prefix: a non-empty string of characters of model.vocab.
    - n: how many characters to add; temperature: a positive float; seed: an int.

    Returns:
    - the text, a str of len(prefix) + n characters that starts with prefix.

    Hint: compute p in float64 (rng.choice checks that p sums to 1): neuron.softmax,
    imported above, is stable. The state is what makes the model remember: each forward
    call sees one character, and (h, c) carry everything before it.
    """
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    scores, h, c = model.forward(model.encode(prefix)[None])
    out = list(prefix)
    for _ in range(n):
        p = softmax(scores[0, -1].astype(np.float64) / temperature)
        nxt = int(rng.choice(len(model.vocab), p=p))
        out.append(model.vocab[nxt])
        scores, h, c = model.forward(np.array([[nxt]]), h, c)
    return "".join(out)
    # END SOLUTION


# ---------------------------------------------------------------- capstone: forecasting a sine wave
class SineLSTM:
    """Capstone: forecast the next value of a sequence (gradeschool.data.load_sine_sequences).

        x (N, T, 1) -> lstm_forward (zero initial states) -> the final hidden state h_T (N, H)
        -> pred = h_T @ Wy + by (N, 1),   loss = mean squared error against y (N, 1)

    trained with Adam on mini-batches. Parameters in `self.params` (this order): "Wx"
    (1, 4H), "Wh" (H, 4H), "b" (4H,), "Wy" (H, 1), "by" (1,); `self.grads` as CharLSTM.
    """

    def __init__(self, hidden=32, features=1, seed=0, dtype=np.float64):
        """Weights U(-1/sqrt(H), 1/sqrt(H)), biases 0 but the forget gate's, 1. Given."""
        rng = np.random.default_rng(seed)
        H, k = hidden, 1 / np.sqrt(hidden)
        b = np.zeros(4 * H, dtype=dtype)
        b[H:2 * H] = 1
        self.params = {"Wx": _uniform(rng, (features, 4 * H), k, dtype), "Wh": _uniform(rng, (H, 4 * H), k, dtype),
                       "b": b, "Wy": _uniform(rng, (H, 1), k, dtype), "by": np.zeros(1, dtype=dtype)}
        self.grads = {}
        self.cache = None

    def forward(self, x):
        """Predictions (N, 1) for sequences x (N, T, features), the parameters' dtype;
        keeps in self.cache what backward needs.

        Hint: only the LAST hidden state feeds the output layer.
        """
        # BEGIN SOLUTION
        p = self.params
        h, h_T, _, lstm_cache = lstm_forward(x, None, None, p["Wx"], p["Wh"], p["b"])
        self.cache = (h.shape, h_T, lstm_cache)
        return h_T @ p["Wy"] + p["by"]
        # END SOLUTION

    def backward(self, dpred):
        """Backpropagate dpred (N, 1) into self.grads.

        Hint: the loss reaches the LSTM through h_T alone: lstm_backward gets zeros for
        the gradient of every hidden state (dh) and dpred @ Wy.T as dh_T.
        """
        # BEGIN SOLUTION
        shape, h_T, lstm_cache = self.cache
        dh = np.zeros(shape, dtype=h_T.dtype)
        _, _, _, dWx, dWh, db = lstm_backward(dh, dpred @ self.params["Wy"].T, None, lstm_cache)
        self.grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": h_T.T @ dpred, "by": dpred.sum(axis=0)}
        # END SOLUTION

    def loss(self, x, y):
        """Mean squared error of the predictions for x against y (N, 1); fills self.grads.

        Returns:
        - loss: a float.

        Hint: losses.mse_loss returns the loss and its gradient w.r.t. the predictions.
        """
        # BEGIN SOLUTION
        loss, dpred = mse_loss(self.forward(x), y)
        self.backward(dpred)
        return float(loss)
        # END SOLUTION

    def fit(self, x, y, epochs=30, lr=1e-2, batch_size=32, seed=0):
        """Train with Adam(lr) on mini-batches: each epoch visits the samples in the order
        np.random.default_rng(seed).permutation(N) (one generator for the whole training,
        a fresh permutation each epoch), batch_size at a time (the last batch may be
        smaller): loss, then one Adam step on every parameter (order of self.params).

        Returns:
        - the list of the mean batch loss of each epoch.

        Hint: as CNN.fit in topic 6, with Adam instead of SGD.
        """
        # BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        keys = list(self.params)
        optimizer = Adam([self.params[k] for k in keys], lr=lr)
        history = []
        for _ in range(epochs):
            order = rng.permutation(len(x))
            losses = []
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                losses.append(self.loss(x[batch], y[batch]))
                optimizer.step([self.grads[k] for k in keys])
            history.append(float(np.mean(losses)))
        return history
        # END SOLUTION

    def predict(self, x):
        """Predictions (N, 1) for sequences x (N, T, features).

        Hint: forward.
        """
        # BEGIN SOLUTION
        return self.forward(x)
        # END SOLUTION
