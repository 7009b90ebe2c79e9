"""torch references of topic 7 (lstm): torch.nn.RNN/LSTM/GRU and their cells with the
kit's weights copied in (torch.func.functional_call): weight_ih = Wx.T, weight_hh = Wh.T,
and for the RNN and the LSTM bias_ih = b with bias_hh = 0 (the kit has one bias, torch's
two only ever appear as their sum); the GRU keeps both biases (bias_ih = bx, bias_hh =
bh). Also the state gradients of the vanishing/exploding lesson, the two capstones'
networks, training and sampling in torch, and the torch side of the speed gates (with the
learner's side they are timed against)."""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

MODULES = {"rnn_cell": torch.nn.RNNCell, "lstm_cell": torch.nn.LSTMCell, "gru_cell": torch.nn.GRUCell,
           "rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}


@functools.cache
def module(kind, d, h, device):
    """A float64 torch module of `kind` (its own parameters are replaced at every call)."""
    kwargs = {"batch_first": True} if kind in ("rnn", "lstm") else {}
    return MODULES[kind](d, h, **kwargs).to(device=device, dtype=torch.float64)


def _weights(kind, Wx, Wh, bx, bh=None):
    """torch's parameters from the kit's: transposed weights; one bias, or two (GRU)."""
    suffix = "_l0" if kind in ("rnn", "lstm") else ""
    return {f"weight_ih{suffix}": Wx.T, f"weight_hh{suffix}": Wh.T, f"bias_ih{suffix}": bx,
            f"bias_hh{suffix}": torch.zeros_like(bx) if bh is None else bh}


def torch_rnn_cell(x, h, Wx, Wh, b):
    return (torch.func.functional_call(module("rnn_cell", Wx.shape[0], Wh.shape[0], x.device.type),
                                       _weights("rnn_cell", Wx, Wh, b), (x, h)),)


def torch_lstm_cell(x, h, c, Wx, Wh, b):
    return torch.func.functional_call(module("lstm_cell", Wx.shape[0], Wh.shape[0], x.device.type),
                                      _weights("lstm_cell", Wx, Wh, b), (x, (h, c)))


def torch_gru_cell(x, h, Wx, Wh, bx, bh):
    return (torch.func.functional_call(module("gru_cell", Wx.shape[0], Wh.shape[0], x.device.type),
                                       _weights("gru_cell", Wx, Wh, bx, bh), (x, h)),)


def torch_rnn(x, h0, Wx, Wh, b):
    out, h_n = torch.func.functional_call(module("rnn", Wx.shape[0], Wh.shape[0], x.device.type),
                                          _weights("rnn", Wx, Wh, b), (x, h0[None]))
    return out, h_n[0]


def torch_lstm(x, h0, c0, Wx, Wh, b):
    out, (h_n, c_n) = torch.func.functional_call(module("lstm", Wx.shape[0], Wh.shape[0], x.device.type),
                                                 _weights("lstm", Wx, Wh, b), (x, (h0[None], c0[None])))
    return out, h_n[0], c_n[0]


def torch_state_gradients(cell, x, Wx, Wh, b, dh_T):
    """dL/dh_t for t = 0 .. T, L = sum(h_T * dh_T), by autograd through torch's own cell
    (RNNCell or LSTMCell) unrolled from zero states, float64."""
    N, T, _ = x.shape
    H = Wh.shape[0]
    kind = "lstm_cell" if cell == "lstm" else "rnn_cell"
    params = _weights(kind, *(torch.tensor(a.astype(np.float64)) for a in (Wx, Wh, b)))
    m = module(kind, Wx.shape[0], H, "cpu")
    h = torch.zeros(N, H, dtype=torch.float64, requires_grad=True)
    c = torch.zeros(N, H, dtype=torch.float64)
    states = [h]
    xt = torch.tensor(x.astype(np.float64))
    for t in range(T):
        if cell == "lstm":
            h, c = torch.func.functional_call(m, params, (xt[:, t], (h, c)))
        else:
            h = torch.func.functional_call(m, params, (xt[:, t], h))
        states.append(h)
    return torch.autograd.grad((h * torch.tensor(dh_T.astype(np.float64))).sum(), states)


class TorchCharLSTM:
    """The capstone's model in torch (nn.LSTM + a dense layer) from a copy of the learner
    model's parameters, float64."""

    def __init__(self, params, vocab_size):
        self.p = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in params.items()}
        self.v = vocab_size

    def __call__(self, ids, h0=None, c0=None):
        p, hidden = self.p, self.p["Wh"].shape[0]
        x = F.one_hot(torch.as_tensor(ids), self.v).double()
        zeros = torch.zeros(x.shape[0], hidden, dtype=torch.float64)
        h0 = zeros if h0 is None else torch.as_tensor(h0, dtype=torch.float64)
        c0 = zeros if c0 is None else torch.as_tensor(c0, dtype=torch.float64)
        out, h_T, c_T = torch_lstm(x, h0, c0, p["Wx"], p["Wh"], p["b"])
        return out @ p["Wy"] + p["by"], h_T, c_T


def torch_char_fit(ref, text, vocab, steps, seq_len, batch_size, lr, max_norm, seed):
    """CharLSTM.fit's docstring, in torch: the same windows, torch.optim.Adam and
    torch.nn.utils.clip_grad_norm_. Returns (history, the total norms before clipping)."""
    ids = np.array([vocab.index(ch) for ch in text])
    rng = np.random.default_rng(seed)
    params = list(ref.p.values())
    optimizer = torch.optim.Adam(params, lr=lr)
    history, norms = [], []
    for _ in range(steps):
        starts = rng.integers(0, len(ids) - seq_len, size=batch_size)
        windows = ids[starts[:, None] + np.arange(seq_len + 1)]
        optimizer.zero_grad()
        scores, _, _ = ref(windows[:, :-1])
        loss = F.cross_entropy(scores.reshape(-1, len(vocab)), torch.tensor(windows[:, 1:]).reshape(-1))
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm)))
        optimizer.step()
        history.append(loss.item())
    return history, norms


def torch_sample(ref, vocab, prefix, n, temperature, seed):
    """sample's docstring, with torch's model: the probabilities from torch, the draws from
    the same NumPy generator."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        scores, h, c = ref(np.array([[vocab.index(ch) for ch in prefix]]))
        out = list(prefix)
        for _ in range(n):
            p = torch.softmax(scores[0, -1] / temperature, dim=0).numpy()
            nxt = int(rng.choice(len(vocab), p=p))
            out.append(vocab[nxt])
            scores, h, c = ref(np.array([[nxt]]), h, c)
    return "".join(out)


class TorchSineLSTM:
    def __init__(self, params):
        self.p = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in params.items()}

    def __call__(self, x):
        p = self.p
        zeros = torch.zeros(x.shape[0], p["Wh"].shape[0], dtype=torch.float64)
        _, h_T, _ = torch_lstm(torch.as_tensor(x, dtype=torch.float64), zeros, zeros, p["Wx"], p["Wh"], p["b"])
        return h_T @ p["Wy"] + p["by"]


def rnn_forward_backward(impl):
    def rnn_forward_backward(x, h0, Wx, Wh, b, dh, dh_T):
        h, h_T, cache = impl.rnn_forward(x, h0, Wx, Wh, b)
        return impl.rnn_backward(dh, dh_T, cache)

    return rnn_forward_backward


def lstm_forward_backward(impl):
    def lstm_forward_backward(x, h0, c0, Wx, Wh, b, dh, dh_T, dc_T):
        h, h_T, c_T, cache = impl.lstm_forward(x, h0, c0, Wx, Wh, b)
        return impl.lstm_backward(dh, dh_T, dc_T, cache)

    return lstm_forward_backward


def torch_rnn_forward_backward(x, h0, Wx, Wh, b, dh, dh_T):
    with torch.enable_grad():
        x, h0, Wx, Wh, b = (t.detach().requires_grad_() for t in (x, h0, Wx, Wh, b))
        return torch.autograd.grad(torch_rnn(x, h0, Wx, Wh, b), (x, h0, Wx, Wh, b), (dh, dh_T))


def torch_lstm_forward_backward(x, h0, c0, Wx, Wh, b, dh, dh_T, dc_T):
    with torch.enable_grad():
        x, h0, c0, Wx, Wh, b = (t.detach().requires_grad_() for t in (x, h0, c0, Wx, Wh, b))
        return torch.autograd.grad(torch_lstm(x, h0, c0, Wx, Wh, b), (x, h0, c0, Wx, Wh, b), (dh, dh_T, dc_T))


def speed_args(shape, gates, dtype, lstm):
    n, t, d, h = shape
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.standard_normal((n, t, d)), rng.standard_normal((n, h)), rng.standard_normal((n, h))
    Wx, Wh = rng.standard_normal((d, gates * h)) / np.sqrt(d), rng.standard_normal((h, gates * h)) / np.sqrt(h)
    b, dh, dh_T, dc_T = (rng.standard_normal(s) for s in [(gates * h,), (n, t, h), (n, h), (n, h)])
    args = [x, h0, c0, Wx, Wh, b, dh, dh_T, dc_T] if lstm else [x, h0, Wx, Wh, b, dh, dh_T]
    return [a.astype(dtype) for a in args]
