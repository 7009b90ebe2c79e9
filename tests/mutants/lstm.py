"""Wrong implementations of the lstm exercises; each must fail at least one test."""

import numpy as np

from gradeschool.harness.mutants import mutant, solution

sol = solution("lstm")
_sigmoid = sol._sigmoid


# ---------------------------------------------------------------- rnn_cell
@mutant("rnn_cell", "tanh_grad_from_preactivation", "tanh'(a) written as 1 - a**2 with the preactivation a "
        "instead of the output h_next", replaces="rnn_cell_forward")
def rnn_cell_forward(x, h_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    return np.tanh(a), (x, h_prev, Wx, Wh, a)


@mutant("rnn_cell", "no_tanh_derivative", "backward forgets tanh': da = dh_next", replaces="rnn_cell_backward")
def rnn_cell_backward(dh_next, cache):
    x, h_prev, Wx, Wh, _ = cache
    return dh_next @ Wx.T, dh_next @ Wh.T, x.T @ dh_next, h_prev.T @ dh_next, dh_next.sum(axis=0)


@mutant("rnn_cell", "dWh_from_h_next", "dWh pairs da with the new state h_next instead of h_prev",
        replaces="rnn_cell_backward")
def rnn_cell_backward(dh_next, cache):  # noqa: F811
    dx, dh_prev, dWx, _, db = sol.rnn_cell_backward(dh_next, cache)
    h_next = cache[4]
    return dx, dh_prev, dWx, h_next.T @ (dh_next * (1 - h_next**2)), db


@mutant("rnn_cell", "db_mean", "db averages over the batch instead of summing", replaces="rnn_cell_backward")
def rnn_cell_backward(dh_next, cache):  # noqa: F811
    dx, dh_prev, dWx, dWh, db = sol.rnn_cell_backward(dh_next, cache)
    return dx, dh_prev, dWx, dWh, db / dh_next.shape[0]


@mutant("rnn_cell", "dh_prev_untransposed", "dh_prev = da @ Wh (Wh is square, so the shapes fit)",
        replaces="rnn_cell_backward")
def rnn_cell_backward(dh_next, cache):  # noqa: F811
    dx, _, dWx, dWh, db = sol.rnn_cell_backward(dh_next, cache)
    x, h_prev, Wx, Wh, h_next = cache
    return dx, (dh_next * (1 - h_next**2)) @ Wh, dWx, dWh, db


@mutant("rnn_cell", "float64_out", "a float64 zero state added: float32 in, float64 out", replaces="rnn_cell_forward")
def rnn_cell_forward(x, h_prev, Wx, Wh, b):  # noqa: F811
    h_next, cache = sol.rnn_cell_forward(x, h_prev, Wx, Wh, b)
    return h_next + np.zeros(h_next.shape), cache


# ---------------------------------------------------------------- rnn_sequence
@mutant("rnn_sequence", "h0_ignored", "forward always starts from zeros", replaces="rnn_forward")
def rnn_forward(x, h0, Wx, Wh, b):
    return sol.rnn_forward(x, None, Wx, Wh, b)


def _rnn_cache(x, h0, Wx, Wh, h):
    """The solution's cache (time-major inside) from a batch-first h (N, T, H)."""
    N, T, D = x.shape
    h0 = np.zeros((N, Wh.shape[0]), dtype=x.dtype) if h0 is None else h0
    return x.transpose(1, 0, 2).reshape(T * N, D), h0, Wx, Wh, np.ascontiguousarray(h.transpose(1, 0, 2))


def _unpack_rnn(cache):
    """(x (N, T, D), h0, Wx, Wh, h (N, T, H)) from the solution's cache."""
    xs, h0, Wx, Wh, h = cache
    T, N, H = h.shape
    return xs.reshape(T, N, -1).transpose(1, 0, 2), h0, Wx, Wh, h.transpose(1, 0, 2)


@mutant("rnn_sequence", "bptt_truncated", "BPTT truncated to one step: each step's gradient comes from dh[:, t] "
        "only, nothing is carried back to the previous step", replaces="rnn_backward")
def rnn_backward(dh, dh_T, cache):
    x, h0, Wx, Wh, h = _unpack_rnn(cache)
    N, T, D = x.shape
    H = Wh.shape[0]
    da = dh * (1 - h * h)
    if dh_T is not None:
        da[:, -1] += dh_T * (1 - h[:, -1] ** 2)
    rows = da.reshape(N * T, H)
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1).reshape(N * T, H)
    return ((rows @ Wx.T).reshape(N, T, D), da[:, 0] @ Wh.T, x.reshape(N * T, D).T @ rows, h_prev.T @ rows,
            rows.sum(axis=0))


@mutant("rnn_sequence", "final_grad_ignored", "dh_T (the final state's gradient) is never used",
        replaces="rnn_backward")
def rnn_backward(dh, dh_T, cache):  # noqa: F811
    return sol.rnn_backward(dh, None, cache)


@mutant("rnn_sequence", "dh0_zero", "returns zeros for dh0", replaces="rnn_backward")
def rnn_backward(dh, dh_T, cache):  # noqa: F811
    dx, dh0, dWx, dWh, db = sol.rnn_backward(dh, dh_T, cache)
    return dx, np.zeros_like(dh0), dWx, dWh, db


@mutant("rnn_sequence", "weights_not_summed", "the weight gradients are assigned at every step, not added up: "
        "only the first step's survive", replaces="rnn_backward")
def rnn_backward(dh, dh_T, cache):  # noqa: F811
    x, h0, Wx, Wh, h = _unpack_rnn(cache)
    N, T, _ = x.shape
    g = np.zeros_like(h0) if dh_T is None else dh_T
    dx = np.empty_like(x)
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + g) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx, dWh, db = x[:, t].T @ da, h_prev.T @ da, da.sum(axis=0)
        g = da @ Wh.T
    return dx, g, dWx, dWh, db


@mutant("rnn_sequence", "dWh_off_by_one", "dWh pairs da_t with h_t instead of h_{t-1}", replaces="rnn_backward")
def rnn_backward(dh, dh_T, cache):  # noqa: F811
    dx, dh0, dWx, _, db = sol.rnn_backward(dh, dh_T, cache)
    x, h0, Wx, Wh, h = _unpack_rnn(cache)
    g = np.zeros_like(h0) if dh_T is None else dh_T
    dWh = np.zeros_like(Wh)
    for t in range(x.shape[1] - 1, -1, -1):
        da = (dh[:, t] + g) * (1 - h[:, t] ** 2)
        dWh += h[:, t].T @ da
        g = da @ Wh.T
    return dx, dh0, dWx, dWh, db


@mutant("rnn_sequence", "batch_loop", "one sample at a time (correct, vectorised over time and units): many "
        "times slower than torch on many short sequences", replaces="rnn_forward")
def rnn_forward(x, h0, Wx, Wh, b):  # noqa: F811
    outs = [sol.rnn_forward(x[n:n + 1], None if h0 is None else h0[n:n + 1], Wx, Wh, b) for n in range(len(x))]
    h, h_T = np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])
    return h, h_T, _rnn_cache(x, h0, Wx, Wh, h)


@mutant("rnn_sequence", "unit_loop", "a loop over hidden units inside the loop over time (each unit's column "
        "of the weights): correct, many times slower than torch on wide layers", replaces="rnn_forward")
def rnn_forward(x, h0, Wx, Wh, b):  # noqa: F811
    N, T, _ = x.shape
    H = Wh.shape[0]
    h_prev = np.zeros((N, H), dtype=x.dtype) if h0 is None else h0
    h = np.empty((N, T, H), dtype=x.dtype)
    for t in range(T):
        for j in range(H):
            h[:, t, j] = np.tanh(x[:, t] @ Wx[:, j] + h_prev @ Wh[:, j] + b[j])
        h_prev = h[:, t]
    return h, h[:, -1].copy(), _rnn_cache(x, h0, Wx, Wh, h)


# ---------------------------------------------------------------- lstm_cell
def _cell_with(x, h_prev, c_prev, Wx, Wh, b, gates):
    """An LSTM step whose gates come from `gates(a, H) -> (i, f, g, o)`; the cache is the
    solution's layout, so the solution's backward runs on it."""
    H = h_prev.shape[1]
    i, f, g, o = gates(x @ Wx + h_prev @ Wh + b, H)
    c_next = f * c_prev + i * g
    tc = np.tanh(c_next)
    return o * tc, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc)


def _blocks(a, H):
    return a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]


@mutant("lstm_cell", "i_f_swapped", "the input and forget gates read each other's block of columns",
        replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):
    def gates(a, H):
        ai, af, ag, ao = _blocks(a, H)
        return _sigmoid(af), _sigmoid(ai), np.tanh(ag), _sigmoid(ao)
    return _cell_with(x, h_prev, c_prev, Wx, Wh, b, gates)


@mutant("lstm_cell", "g_o_swapped", "the cell candidate and the output gate read each other's block",
        replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):  # noqa: F811
    def gates(a, H):
        ai, af, ag, ao = _blocks(a, H)
        return _sigmoid(ai), _sigmoid(af), np.tanh(ao), _sigmoid(ag)
    return _cell_with(x, h_prev, c_prev, Wx, Wh, b, gates)


@mutant("lstm_cell", "forget_gate_tanh", "the forget gate through tanh instead of sigmoid",
        replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):  # noqa: F811
    def gates(a, H):
        ai, af, ag, ao = _blocks(a, H)
        return _sigmoid(ai), np.tanh(af), np.tanh(ag), _sigmoid(ao)
    return _cell_with(x, h_prev, c_prev, Wx, Wh, b, gates)


@mutant("lstm_cell", "forget_term_dropped", "c_next = i * g: the old cell state is never kept",
        replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):  # noqa: F811
    return sol.lstm_cell_forward(x, h_prev, np.zeros_like(c_prev), Wx, Wh, b)


@mutant("lstm_cell", "h_without_tanh", "h_next = o * c_next (no tanh of the cell state)", replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):  # noqa: F811
    h_next, c_next, cache = sol.lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b)
    return cache[8] * c_next, c_next, cache


@mutant("lstm_cell", "tanh_prime_of_c", "tanh'(c_next) computed as 1 - c_next**2 instead of 1 - tanh(c_next)**2",
        replaces="lstm_cell_backward")
def lstm_cell_backward(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = cache
    c_next = f * c_prev + i * g
    dc = dc_next + dh_next * o * (1 - c_next * c_next)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@mutant("lstm_cell", "dc_without_h_path", "dc = dc_next only: the gradient reaching c_next through h_next is lost",
        replaces="lstm_cell_backward")
def lstm_cell_backward(dh_next, dc_next, cache):  # noqa: F811
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = cache
    dc = dc_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


# ---------------------------------------------------------------- lstm_sequence
def _lstm_cache(x, h0, c0, Wx, Wh, gates, c, tc, h):
    """The solution's cache (time-major inside) from batch-first (N, T, .) arrays."""
    N, T, D = x.shape
    zeros = np.zeros((N, Wh.shape[0]), dtype=x.dtype)
    tm = [np.ascontiguousarray(a.transpose(1, 0, 2)) for a in (gates, c, tc, h)]
    return (x.transpose(1, 0, 2).reshape(T * N, D), zeros if h0 is None else h0, zeros if c0 is None else c0,
            Wx, Wh, *tm)


def _unpack_lstm(cache):
    """(x, h0, c0, Wx, Wh, gates, c, tc, h), the sequences batch-first, from the solution's cache."""
    xs, h0, c0, Wx, Wh, *tm = cache
    T, N, _ = tm[3].shape
    x = xs.reshape(T, N, -1).transpose(1, 0, 2)
    return (x, h0, c0, Wx, Wh, *(a.transpose(1, 0, 2) for a in tm))


def _lstm_forward_with(x, h0, c0, Wx, Wh, b, keep_c=True):
    """The sequence as the solution's cells in a loop, the solution's sequence cache; with
    keep_c=False the cell state starts from zero at every step."""
    N, T, _ = x.shape
    H = Wh.shape[0]
    h = np.zeros((N, H), dtype=x.dtype) if h0 is None else h0
    c = np.zeros((N, H), dtype=x.dtype) if c0 is None else c0
    hs, cs, tcs, gates = [], [], [], []
    for t in range(T):
        h, c, cache = sol.lstm_cell_forward(x[:, t], h, c if keep_c else np.zeros_like(c), Wx, Wh, b)
        hs.append(h)
        cs.append(c)
        tcs.append(cache[9])
        gates.append(np.concatenate(cache[5:9], axis=1))
    h_all = np.stack(hs, axis=1)
    cache = _lstm_cache(x, h0, c0, Wx, Wh, np.stack(gates, axis=1), np.stack(cs, axis=1), np.stack(tcs, axis=1),
                        h_all)
    return h_all, h, c, cache


@mutant("lstm_sequence", "cell_reset_every_step", "the cell state starts from zero at every step",
        replaces="lstm_forward")
def lstm_forward(x, h0, c0, Wx, Wh, b):
    return _lstm_forward_with(x, h0, c0, Wx, Wh, b, keep_c=False)


@mutant("lstm_sequence", "c0_ignored", "forward starts from c = 0 even when c0 is given", replaces="lstm_forward")
def lstm_forward(x, h0, c0, Wx, Wh, b):  # noqa: F811
    return sol.lstm_forward(x, h0, None, Wx, Wh, b)


def _lstm_backward(dh, dh_T, dc_T, cache, carry_h=True, carry_c=True, tanh_prime_of_c=False, accumulate=True):
    """BPTT with switches for the usual mistakes; returns the solution's gradients."""
    x, h0, c0, Wx, Wh, gates, c, tc, h = _unpack_lstm(cache)
    N, T, D = x.shape
    H = Wh.shape[0]
    dh_next = np.zeros((N, H), dtype=x.dtype) if dh_T is None else dh_T
    dc_next = np.zeros((N, H), dtype=x.dtype) if dc_T is None else dc_T
    dx = np.empty_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H, dtype=x.dtype)
    for t in range(T - 1, -1, -1):
        i, f, g, o = _blocks(gates[:, t], H)
        c_prev = c[:, t - 1] if t > 0 else c0
        h_prev = h[:, t - 1] if t > 0 else h0
        deriv = 1 - c[:, t] ** 2 if tanh_prime_of_c else 1 - tc[:, t] ** 2
        ght = dh[:, t] + dh_next
        dc = dc_next + ght * o * deriv
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                             ght * tc[:, t] * o * (1 - o)], axis=1)
        dx[:, t] = da @ Wx.T
        grads = (x[:, t].T @ da, h_prev.T @ da, da.sum(axis=0))
        if accumulate:
            dWx, dWh, db = dWx + grads[0], dWh + grads[1], db + grads[2]
        else:
            dWx, dWh, db = grads
        dh_next = da @ Wh.T if carry_h else np.zeros_like(dh_next)
        dc_next = dc * f if carry_c else np.zeros_like(dc_next)
    return dx, dh_next, dc_next, dWx, dWh, db


@mutant("lstm_sequence", "dc_not_carried", "the next step's dc is not added: the cell state's gradient stops "
        "after one step", replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):
    return _lstm_backward(dh, dh_T, dc_T, cache, carry_c=False)


@mutant("lstm_sequence", "bptt_truncated", "BPTT truncated to one step: neither dh nor dc is carried back",
        replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    return _lstm_backward(dh, dh_T, dc_T, cache, carry_h=False, carry_c=False)


@mutant("lstm_sequence", "dh_not_carried", "the next step's dh is not added to dh[:, t]", replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    return _lstm_backward(dh, dh_T, dc_T, cache, carry_h=False)


@mutant("lstm_sequence", "final_c_grad_ignored", "dc_T (the final cell state's gradient) is never used",
        replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    return sol.lstm_backward(dh, dh_T, None, cache)


@mutant("lstm_sequence", "final_h_grad_ignored", "dh_T (the final hidden state's gradient) is never used",
        replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    return sol.lstm_backward(dh, None, dc_T, cache)


@mutant("lstm_sequence", "tanh_prime_of_c", "tanh'(c_t) computed as 1 - c_t**2 instead of 1 - tanh(c_t)**2",
        replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    return _lstm_backward(dh, dh_T, dc_T, cache, tanh_prime_of_c=True)


@mutant("lstm_sequence", "initial_grads_zero", "returns zeros for dh0 and dc0", replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    dx, dh0, dc0, dWx, dWh, db = sol.lstm_backward(dh, dh_T, dc_T, cache)
    return dx, np.zeros_like(dh0), np.zeros_like(dc0), dWx, dWh, db


@mutant("lstm_sequence", "weights_not_summed", "the weight gradients are assigned at every step, not added up",
        replaces="lstm_backward")
def lstm_backward(dh, dh_T, dc_T, cache):  # noqa: F811
    return _lstm_backward(dh, dh_T, dc_T, cache, accumulate=False)


@mutant("lstm_sequence", "batch_loop", "one sample at a time (correct, vectorised over time steps and units): "
        "many times slower than torch on many short sequences", replaces="lstm_forward")
def lstm_forward(x, h0, c0, Wx, Wh, b):  # noqa: F811
    outs = [sol.lstm_forward(x[n:n + 1], None if h0 is None else h0[n:n + 1], None if c0 is None else c0[n:n + 1],
                             Wx, Wh, b) for n in range(len(x))]
    parts = [np.concatenate([o[k] for o in outs]) for k in range(3)]
    # each sample's cache is time-major (T, 1, .): join them along the batch axis 1
    caches = [o[3] for o in outs]
    T, D = x.shape[1], x.shape[2]
    xs = np.concatenate([c[0].reshape(T, 1, D) for c in caches], axis=1).reshape(-1, D)
    states = [np.concatenate([c[k] for c in caches]) for k in (1, 2)]
    seqs = [np.concatenate([c[k] for c in caches], axis=1) for k in range(5, 9)]
    return (*parts, (xs, *states, Wx, Wh, *seqs))


@mutant("lstm_sequence", "unit_loop", "a loop over hidden units inside the loop over time (each unit's four "
        "gate columns at a time): correct, many times slower than torch on wide layers", replaces="lstm_forward")
def lstm_forward(x, h0, c0, Wx, Wh, b):  # noqa: F811
    N, T, D = x.shape
    H = Wh.shape[0]
    h_prev = np.zeros((N, H), dtype=x.dtype) if h0 is None else h0
    c_prev = np.zeros((N, H), dtype=x.dtype) if c0 is None else c0
    h, c, tc = (np.empty((N, T, H), dtype=x.dtype) for _ in range(3))
    gates = np.empty((N, T, 4 * H), dtype=x.dtype)
    for t in range(T):
        for j in range(H):
            cols = [j, H + j, 2 * H + j, 3 * H + j]
            a = x[:, t] @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]
            i, f, g, o = _sigmoid(a[:, 0]), _sigmoid(a[:, 1]), np.tanh(a[:, 2]), _sigmoid(a[:, 3])
            gates[:, t, cols] = np.stack([i, f, g, o], axis=1)
            c[:, t, j] = f * c_prev[:, j] + i * g
            tc[:, t, j] = np.tanh(c[:, t, j])
            h[:, t, j] = o * tc[:, t, j]
        h_prev, c_prev = h[:, t], c[:, t]
    return h, h[:, -1].copy(), c[:, -1].copy(), _lstm_cache(x, h0, c0, Wx, Wh, gates, c, tc, h)


# ---------------------------------------------------------------- gru_cell
def _gru_with(x, h_prev, Wx, Wh, bx, bh, candidate=None, swap_rz=False, keep_new=False):
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    rz = _sigmoid(ax[:, :2 * H] + ah[:, :2 * H])
    r, z = (rz[:, H:], rz[:, :H]) if swap_rz else (rz[:, :H], rz[:, H:])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:]) if candidate is None else candidate(ax, r, H)
    h_next = z * n + (1 - z) * h_prev if keep_new else (1 - z) * n + z * h_prev
    return h_next, (x, h_prev, Wx, Wh, r, z, n, ah[:, 2 * H:])


@mutant("gru_cell", "reset_on_h", "the original GRU paper's candidate: r multiplies h_prev before the product, "
        "n = tanh(x @ Wx_n + bx_n + (r * h_prev) @ Wh_n + bh_n)", replaces="gru_cell_forward")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):
    return _gru_with(x, h_prev, Wx, Wh, bx, bh, candidate=lambda ax, r, H:
                     np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + bh[2 * H:]))


@mutant("gru_cell", "bias_outside_reset", "bh_n added outside the reset: n = tanh(ax_n + r * (h_prev @ Wh_n) + bh_n)",
        replaces="gru_cell_forward")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):  # noqa: F811
    return _gru_with(x, h_prev, Wx, Wh, bx, bh, candidate=lambda ax, r, H:
                     np.tanh(ax[:, 2 * H:] + r * (h_prev @ Wh[:, 2 * H:]) + bh[2 * H:]))


@mutant("gru_cell", "update_convention_swapped", "h_next = z * n + (1 - z) * h_prev (z keeps the NEW state)",
        replaces="gru_cell_forward")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):  # noqa: F811
    return _gru_with(x, h_prev, Wx, Wh, bx, bh, keep_new=True)


@mutant("gru_cell", "r_z_swapped", "the reset and update gates read each other's block of columns",
        replaces="gru_cell_forward")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):  # noqa: F811
    return _gru_with(x, h_prev, Wx, Wh, bx, bh, swap_rz=True)


@mutant("gru_cell", "dbh_without_r", "dbh's n block taken from dax: the factor r of the hidden part is forgotten",
        replaces="gru_cell_backward")
def gru_cell_backward(dh_next, cache):
    dx, dh_prev, dWx, dWh, dbx, _ = sol.gru_cell_backward(dh_next, cache)
    return dx, dh_prev, dWx, dWh, dbx, dbx.copy()


@mutant("gru_cell", "no_direct_path", "dh_prev forgets the direct path z * h_prev: only dah @ Wh.T",
        replaces="gru_cell_backward")
def gru_cell_backward(dh_next, cache):  # noqa: F811
    dx, dh_prev, dWx, dWh, dbx, dbh = sol.gru_cell_backward(dh_next, cache)
    z = cache[5]
    return dx, dh_prev - dh_next * z, dWx, dWh, dbx, dbh


# ---------------------------------------------------------------- gradient_norms_over_time
@mutant("gradient_norms_over_time", "reversed", "norms[0] holds the last step's norm (the order of the backward loop)")
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):
    return sol.gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell)[::-1].copy()


def _norms_with(x, Wx, Wh, b, dh_T, cell, norm=np.linalg.norm, carry_dc=True):
    """BPTT over the solution's cells, recording norm(dh) at every step."""
    N, T, _ = x.shape
    H = Wh.shape[0]
    h, c, caches = np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype), []
    for t in range(T):
        if cell == "lstm":
            h, c, cache = sol.lstm_cell_forward(x[:, t], h, c, Wx, Wh, b)
        else:
            h, cache = sol.rnn_cell_forward(x[:, t], h, Wx, Wh, b)
        caches.append(cache)
    norms, dh, dc = [norm(dh_T)], dh_T, np.zeros_like(dh_T)
    for t in range(T - 1, -1, -1):
        if cell == "lstm":
            _, dh, dc, _, _, _ = sol.lstm_cell_backward(dh, dc if carry_dc else np.zeros_like(dc), caches[t])
        else:
            _, dh, _, _, _ = sol.rnn_cell_backward(dh, caches[t])
        norms.append(norm(dh))
    return np.array(norms[::-1], dtype=x.dtype)


@mutant("gradient_norms_over_time", "lstm_dc_dropped", "the LSTM's dc is not passed on: zeros at every step")
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):  # noqa: F811
    return _norms_with(x, Wx, Wh, b, dh_T, cell, carry_dc=False)


@mutant("gradient_norms_over_time", "squared", "the sum of squares, without the square root")
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):  # noqa: F811
    return _norms_with(x, Wx, Wh, b, dh_T, cell, norm=lambda a: (a * a).sum())


@mutant("gradient_norms_over_time", "mean_of_sample_norms", "the mean over the batch of each sample's norm")
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):  # noqa: F811
    return _norms_with(x, Wx, Wh, b, dh_T, cell, norm=lambda a: np.linalg.norm(a, axis=1).mean())


@mutant("gradient_norms_over_time", "no_final_norm", "T values: the norm of dh_T itself (t = T) is left out")
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):  # noqa: F811
    return sol.gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell)[:-1].copy()


@mutant("gradient_norms_over_time", "float64_out", "np.empty(T + 1) without a dtype: float64 for float32 input")
def gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell="rnn"):  # noqa: F811
    return sol.gradient_norms_over_time(x, Wx, Wh, b, dh_T, cell).astype(np.float64)


# ---------------------------------------------------------------- the capstones
@mutant("CharLSTM", "loss_mean_over_samples", "the cross-entropy sums over time and averages over samples only")
class CharLSTM(sol.CharLSTM):
    def loss(self, ids, targets):
        scores, _, _ = self.forward(ids)
        N, T, V = scores.shape
        loss, dscores = sol.sparse_categorical_cross_entropy(scores.reshape(N * T, V), targets.reshape(N * T),
                                                             reduction="sum")
        self.backward((dscores / N).reshape(N, T, V))
        return float(loss / N)


@mutant("CharLSTM", "no_clipping", "fit never clips the gradients")
class CharLSTM(sol.CharLSTM):  # noqa: F811
    def fit(self, text, steps=300, seq_len=32, batch_size=32, lr=1e-2, max_norm=5.0, seed=0):
        return super().fit(text, steps, seq_len, batch_size, lr, float("inf"), seed)


@mutant("CharLSTM", "targets_not_shifted", "fit's targets are the inputs themselves (not the next characters)")
class CharLSTM(sol.CharLSTM):  # noqa: F811
    def fit(self, text, steps=300, seq_len=32, batch_size=32, lr=1e-2, max_norm=5.0, seed=0):
        ids, rng = self.encode(text), np.random.default_rng(seed)
        keys = list(self.params)
        optimizer, history = sol.Adam([self.params[k] for k in keys], lr=lr), []
        for _ in range(steps):
            starts = rng.integers(0, len(ids) - seq_len, size=batch_size)
            windows = ids[starts[:, None] + np.arange(seq_len + 1)]
            history.append(self.loss(windows[:, :-1], windows[:, :-1]))
            grads = [self.grads[k] for k in keys]
            sol.clip_grad_norm(grads, max_norm)
            optimizer.step(grads)
        return history


@mutant("CharLSTM", "output_bias_grad_mean", "backward averages the output bias gradient over the positions")
class CharLSTM(sol.CharLSTM):  # noqa: F811
    def backward(self, dscores):
        super().backward(dscores)
        self.grads["by"] = self.grads["by"] / (dscores.shape[0] * dscores.shape[1])


@mutant("CharLSTM", "state_not_carried", "sample restarts every character from zero states", replaces="sample")
def sample(model, prefix, n, temperature=1.0, seed=0):
    rng = np.random.default_rng(seed)
    scores, _, _ = model.forward(model.encode(prefix)[None])
    out = list(prefix)
    for _ in range(n):
        nxt = int(rng.choice(len(model.vocab), p=sol.softmax(scores[0, -1].astype(np.float64) / temperature)))
        out.append(model.vocab[nxt])
        scores, _, _ = model.forward(np.array([[nxt]]))
    return "".join(out)


@mutant("CharLSTM", "temperature_ignored", "sample draws from softmax(scores), whatever the temperature",
        replaces="sample")
def sample(model, prefix, n, temperature=1.0, seed=0):  # noqa: F811
    return sol.sample(model, prefix, n, 1.0, seed)


@mutant("SineLSTM", "first_hidden_state", "the output layer reads h[:, 0], the state after the FIRST value")
class SineLSTM(sol.SineLSTM):
    def forward(self, x):
        p = self.params
        h, _, _, lstm_cache = sol.lstm_forward(x, None, None, p["Wx"], p["Wh"], p["b"])
        self.cache = (h.shape, h[:, 0], lstm_cache)
        return h[:, 0] @ p["Wy"] + p["by"]

    def backward(self, dpred):
        shape, h_0, lstm_cache = self.cache
        dh = np.zeros(shape, dtype=h_0.dtype)
        dh[:, 0] = dpred @ self.params["Wy"].T
        _, _, _, dWx, dWh, db = sol.lstm_backward(dh, None, None, lstm_cache)
        self.grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": h_0.T @ dpred, "by": dpred.sum(axis=0)}


@mutant("SineLSTM", "summed_loss", "the squared errors are summed over the batch, not averaged")
class SineLSTM(sol.SineLSTM):  # noqa: F811
    def loss(self, x, y):
        loss, dpred = sol.mse_loss(self.forward(x), y, reduction="sum")
        self.backward(dpred)
        return float(loss)


@mutant("SineLSTM", "gradient_at_every_step", "backward sends dpred @ Wy.T into every hidden state's dh")
class SineLSTM(sol.SineLSTM):  # noqa: F811
    def backward(self, dpred):
        shape, h_T, lstm_cache = self.cache
        T = shape[1]
        dh = np.repeat((dpred @ self.params["Wy"].T)[:, None], T, axis=1)
        _, _, _, dWx, dWh, db = sol.lstm_backward(dh, None, None, lstm_cache)
        self.grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": h_T.T @ dpred, "by": dpred.sum(axis=0)}


@mutant("SineLSTM", "fresh_optimizer_per_batch", "a new Adam every batch: its averages restart each time")
class SineLSTM(sol.SineLSTM):  # noqa: F811
    def fit(self, x, y, epochs=30, lr=1e-2, batch_size=32, seed=0):
        rng, history = np.random.default_rng(seed), []
        for _ in range(epochs):
            order, losses = rng.permutation(len(x)), []
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                losses.append(self.loss(x[batch], y[batch]))
                sol.Adam(list(self.params.values()), lr=lr).step(list(self.grads.values()))
            history.append(float(np.mean(losses)))
        return history


@mutant("SineLSTM", "last_batch_dropped", "fit skips the last, smaller batch of every epoch")
class SineLSTM(sol.SineLSTM):  # noqa: F811
    def fit(self, x, y, epochs=30, lr=1e-2, batch_size=32, seed=0):
        rng, keys = np.random.default_rng(seed), list(self.params)
        optimizer, history = sol.Adam([self.params[k] for k in keys], lr=lr), []
        for _ in range(epochs):
            order, losses = rng.permutation(len(x)), []
            for start in range(0, len(x) - batch_size + 1, batch_size):
                batch = order[start:start + batch_size]
                losses.append(self.loss(x[batch], y[batch]))
                optimizer.step([self.grads[k] for k in keys])
            history.append(float(np.mean(losses)))
        return history


# ---------------------------------------------------------------- the cells' loops (correct values, slow)
# Each is right to the last digit; only the speed gates (tests/topics/test_lstm.py,
# SPEED_GATES) can tell them from the solution. The forward loops keep the solution's cache,
# so the solution's backward runs after them; the backward loops read the solution's cache.
@mutant("rnn_cell", "sample_loop", "forward one sample at a time: h_next[n] = tanh(x[n] @ Wx + h_prev[n] @ Wh + b)",
        replaces="rnn_cell_forward")
def rnn_cell_forward(x, h_prev, Wx, Wh, b):  # noqa: F811
    h_next = np.empty((x.shape[0], Wh.shape[1]), dtype=x.dtype)
    for n in range(x.shape[0]):
        h_next[n] = np.tanh(x[n] @ Wx + h_prev[n] @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


@mutant("rnn_cell", "backward_sample_loop", "backward one sample at a time, the weight gradients summed with "
        "np.outer per sample", replaces="rnn_cell_backward")
def rnn_cell_backward(dh_next, cache):  # noqa: F811
    x, h_prev, Wx, Wh, h_next = cache
    dx, dh_prev = np.empty_like(x), np.empty_like(h_prev)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1], dtype=x.dtype)
    for n in range(x.shape[0]):
        da = dh_next[n] * (1 - h_next[n] ** 2)
        dx[n], dh_prev[n] = Wx @ da, Wh @ da
        dWx += np.outer(x[n], da)
        dWh += np.outer(h_prev[n], da)
        db += da
    return dx, dh_prev, dWx, dWh, db


@mutant("rnn_cell", "unit_loop", "forward one hidden unit at a time: h_next[:, j] = tanh(x @ Wx[:, j] + "
        "h_prev @ Wh[:, j] + b[j])", replaces="rnn_cell_forward")
def rnn_cell_forward(x, h_prev, Wx, Wh, b):  # noqa: F811
    h_next = np.empty((x.shape[0], Wh.shape[1]), dtype=x.dtype)
    for j in range(Wh.shape[1]):
        h_next[:, j] = np.tanh(x @ Wx[:, j] + h_prev @ Wh[:, j] + b[j])
    return h_next, (x, h_prev, Wx, Wh, h_next)


@mutant("lstm_cell", "sample_loop", "forward one sample at a time (the four gates of sample n, then its states)",
        replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):  # noqa: F811
    N, H = h_prev.shape
    i, f, g, o, c_next, tc = (np.empty((N, H), dtype=x.dtype) for _ in range(6))
    for n in range(N):
        a = x[n] @ Wx + h_prev[n] @ Wh + b
        i[n], f[n], g[n], o[n] = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), _sigmoid(a[3 * H:])
        c_next[n] = f[n] * c_prev[n] + i[n] * g[n]
        tc[n] = np.tanh(c_next[n])
    return o * tc, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc)


@mutant("lstm_cell", "backward_sample_loop", "backward one sample at a time, the weight gradients summed with "
        "np.outer per sample", replaces="lstm_cell_backward")
def lstm_cell_backward(dh_next, dc_next, cache):  # noqa: F811
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = cache
    dx, dh_prev, dc_prev = np.empty_like(x), np.empty_like(h_prev), np.empty_like(c_prev)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1], dtype=x.dtype)
    for n in range(x.shape[0]):
        dc = dc_next[n] + dh_next[n] * o[n] * (1 - tc[n] ** 2)
        da = np.concatenate([dc * g[n] * i[n] * (1 - i[n]), dc * c_prev[n] * f[n] * (1 - f[n]),
                             dc * i[n] * (1 - g[n] ** 2), dh_next[n] * tc[n] * o[n] * (1 - o[n])])
        dx[n], dh_prev[n], dc_prev[n] = Wx @ da, Wh @ da, dc * f[n]
        dWx += np.outer(x[n], da)
        dWh += np.outer(h_prev[n], da)
        db += da
    return dx, dh_prev, dc_prev, dWx, dWh, db


@mutant("lstm_cell", "unit_loop", "forward one hidden unit at a time (its four gate columns j, H+j, 2H+j, 3H+j)",
        replaces="lstm_cell_forward")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):  # noqa: F811
    N, H = h_prev.shape
    i, f, g, o, c_next, tc = (np.empty((N, H), dtype=x.dtype) for _ in range(6))
    for j in range(H):
        cols = [j, H + j, 2 * H + j, 3 * H + j]
        a = x @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]
        i[:, j], f[:, j], g[:, j], o[:, j] = _sigmoid(a[:, 0]), _sigmoid(a[:, 1]), np.tanh(a[:, 2]), _sigmoid(a[:, 3])
        c_next[:, j] = f[:, j] * c_prev[:, j] + i[:, j] * g[:, j]
        tc[:, j] = np.tanh(c_next[:, j])
    return o * tc, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc)


@mutant("gru_cell", "sample_loop", "forward one sample at a time (r, z and n of sample n)", replaces="gru_cell_forward")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):  # noqa: F811
    N, H = h_prev.shape
    r, z, n_, hn = (np.empty((N, H), dtype=x.dtype) for _ in range(4))
    for n in range(N):
        ax, ah = x[n] @ Wx + bx, h_prev[n] @ Wh + bh
        r[n], z[n] = _sigmoid(ax[:H] + ah[:H]), _sigmoid(ax[H:2 * H] + ah[H:2 * H])
        hn[n] = ah[2 * H:]
        n_[n] = np.tanh(ax[2 * H:] + r[n] * hn[n])
    return (1 - z) * n_ + z * h_prev, (x, h_prev, Wx, Wh, r, z, n_, hn)


@mutant("gru_cell", "backward_sample_loop", "backward one sample at a time, the weight gradients summed with "
        "np.outer per sample", replaces="gru_cell_backward")
def gru_cell_backward(dh_next, cache):  # noqa: F811
    x, h_prev, Wx, Wh, r, z, n_, hn = cache
    dx, dh_prev = np.empty_like(x), np.empty_like(h_prev)
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    dbx, dbh = np.zeros(Wx.shape[1], dtype=x.dtype), np.zeros(Wh.shape[1], dtype=x.dtype)
    for n in range(x.shape[0]):
        dan = dh_next[n] * (1 - z[n]) * (1 - n_[n] ** 2)
        dar = dan * hn[n] * r[n] * (1 - r[n])
        daz = dh_next[n] * (h_prev[n] - n_[n]) * z[n] * (1 - z[n])
        dax, dah = np.concatenate([dar, daz, dan]), np.concatenate([dar, daz, dan * r[n]])
        dx[n], dh_prev[n] = Wx @ dax, dh_next[n] * z[n] + Wh @ dah
        dWx += np.outer(x[n], dax)
        dWh += np.outer(h_prev[n], dah)
        dbx += dax
        dbh += dah
    return dx, dh_prev, dWx, dWh, dbx, dbh


@mutant("gru_cell", "unit_loop", "forward one hidden unit at a time (its three gate columns j, H+j, 2H+j)",
        replaces="gru_cell_forward")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):  # noqa: F811
    N, H = h_prev.shape
    r, z, n_, hn = (np.empty((N, H), dtype=x.dtype) for _ in range(4))
    for j in range(H):
        cols = [j, H + j, 2 * H + j]
        ax, ah = x @ Wx[:, cols] + bx[cols], h_prev @ Wh[:, cols] + bh[cols]
        r[:, j], z[:, j] = _sigmoid(ax[:, 0] + ah[:, 0]), _sigmoid(ax[:, 1] + ah[:, 1])
        hn[:, j] = ah[:, 2]
        n_[:, j] = np.tanh(ax[:, 2] + r[:, j] * hn[:, j])
    return (1 - z) * n_ + z * h_prev, (x, h_prev, Wx, Wh, r, z, n_, hn)
