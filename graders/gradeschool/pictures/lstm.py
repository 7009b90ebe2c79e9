"""The vanishing/exploding-gradient lesson of the notes, drawn from a learner's own layers.

Left: ||dL/dh_t|| at every step t of a sequence, for a loss at its end, through a vanilla
RNN with recurrent weights 0.5 * Q (the gradient vanishes), 1.5 * Q (it explodes; Q
orthogonal, small inputs keep tanh in its linear range) and through an LSTM whose forget
gates sit near sigmoid(3) = 0.95 (the cell state's path keeps it alive). Right: the
global norm of the exploding RNN's weight gradients as the sequence grows, before and
after clip_grad_norm.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display), saved as
PNG; the functions take the learner's rnn_forward/rnn_backward, lstm_forward/lstm_backward
and clip_grad_norm (topic 4) and nothing here computes a layer itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from gradeschool.pictures.training import _figure, _save


def lesson_weights(T: int = 60, N: int = 4, D: int = 4, H: int = 32, seed: int = 0) -> dict:
    """The sequence and the weights of the picture: x (N, T, D) standard normal, dh_T
    (N, H); the RNN's Wx small (0.1 / sqrt(D)), Wh = scale * Q with Q a random orthogonal
    matrix, b = 0; the LSTM's weights U(-1, 1) / sqrt(fan_in) and forget-gate bias 3."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    lstm_b = np.zeros(4 * H)
    lstm_b[H:2 * H] = 3.0
    return dict(x=rng.standard_normal((N, T, D)), dh_T=rng.standard_normal((N, H)), Q=Q,
                rnn_Wx=0.1 * rng.standard_normal((D, H)) / np.sqrt(D), rnn_b=np.zeros(H),
                lstm_Wx=rng.uniform(-1, 1, (D, 4 * H)) / np.sqrt(D),
                lstm_Wh=rng.uniform(-1, 1, (H, 4 * H)) / np.sqrt(H), lstm_b=lstm_b)


def _run(forward: Callable, cell: str, x, h0, c0, Wx, Wh, b):
    """(h, h_T, c_T or None, cache) of the learner's sequence forward function."""
    if cell == "lstm":
        return forward(x, h0, c0, Wx, Wh, b)
    h, h_T, cache = forward(x, h0, Wx, Wh, b)
    return h, h_T, None, cache


def gradient_norms_from_sequences(x, Wx, Wh, b, dh_T, forward: Callable, backward: Callable,
                                  cell: str = "rnn") -> np.ndarray:
    """||dL/dh_t|| for t = 0 .. T, L = sum(h_T * dh_T), from zero initial states, using only
    a learner's sequence functions: the gradient w.r.t. h_t is the dh0 of the rest of the
    sequence x[:, t:] started from h_t (and c_t), with dh_T as its only upstream gradient.
    (T + 1 runs: slow for long sequences, fine for a picture.)"""
    N, T, _ = x.shape
    H = Wh.shape[0]
    norms = np.empty(T + 1)
    norms[T] = np.linalg.norm(dh_T)
    h = np.zeros_like(dh_T, dtype=x.dtype)  # the states after t steps (zeros at t = 0)
    c = h.copy()
    for t in range(T):
        if t > 0:  # the states after t steps
            _, h, c, _ = _run(forward, cell, x[:, :t], None, None, Wx, Wh, b)
        _, _, _, cache = _run(forward, cell, x[:, t:], h, c, Wx, Wh, b)
        zeros = np.zeros((N, T - t, H), dtype=x.dtype)
        grads = backward(zeros, dh_T, None, cache) if cell == "lstm" else backward(zeros, dh_T, cache)
        norms[t] = np.linalg.norm(grads[1])
    return norms


def weight_gradient_norms(x, Wx, Wh, b, dh_T, forward: Callable, backward: Callable, clip_grad_norm: Callable,
                          max_norm: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """For every length L = 1 .. T: the global norm of an RNN's weight gradients (dWx, dWh,
    db) for the loss sum(h_L * dh_T) on x[:, :L], as returned by clip_grad_norm (the norm
    before clipping), and the norm of the clipped gradients."""
    T = x.shape[1]
    raw, clipped = np.empty(T), np.empty(T)
    for length in range(1, T + 1):
        _, _, cache = forward(x[:, :length], None, Wx, Wh, b)
        zeros = np.zeros((x.shape[0], length, Wh.shape[0]), dtype=x.dtype)
        weight_grads = [np.array(g, dtype=np.float64) for g in backward(zeros, dh_T, cache)[2:]]
        raw[length - 1] = float(clip_grad_norm(weight_grads, max_norm=max_norm))
        clipped[length - 1] = np.sqrt(sum(float((g * g).sum()) for g in weight_grads))
    return raw, clipped


def plot_gradient_norms(path: str | Path, *, rnn_forward: Callable, rnn_backward: Callable, lstm_forward: Callable,
                        lstm_backward: Callable, clip_grad_norm: Callable, T: int = 60,
                        max_norm: float = 1.0) -> tuple[Path, dict[str, np.ndarray]]:
    """Draw the lesson (see the module docstring) with the given functions, e.g. the
    learner's lstm.rnn_forward, ... and optimizers.clip_grad_norm. Returns the path written
    and the curves drawn: "rnn 0.5", "rnn 1.5", "lstm" (norms over t = 0 .. T), "raw" and
    "clipped" (weight-gradient norms over the lengths 1 .. T)."""
    p = lesson_weights(T=T)
    x, dh_T = p["x"], p["dh_T"]
    curves = {}
    for scale in (0.5, 1.5):
        curves[f"rnn {scale}"] = gradient_norms_from_sequences(x, p["rnn_Wx"], scale * p["Q"], p["rnn_b"], dh_T,
                                                               rnn_forward, rnn_backward, "rnn")
    curves["lstm"] = gradient_norms_from_sequences(x, p["lstm_Wx"], p["lstm_Wh"], p["lstm_b"], dh_T,
                                                   lstm_forward, lstm_backward, "lstm")
    curves["raw"], curves["clipped"] = weight_gradient_norms(x, p["rnn_Wx"], 1.5 * p["Q"], p["rnn_b"], dh_T,
                                                             rnn_forward, rnn_backward, clip_grad_norm, max_norm)
    fig = _figure(11.0, 4.2)
    ax = fig.add_subplot(1, 2, 1)
    steps = np.arange(T + 1)
    styles = [("rnn 0.5", "RNN, Wh = 0.5 Q: vanishes", "tab:blue"),
              ("rnn 1.5", "RNN, Wh = 1.5 Q: explodes", "tab:red"),
              ("lstm", "LSTM, forget gates ~0.95: alive", "tab:green")]
    for key, label, color in styles:
        ax.semilogy(steps, np.maximum(curves[key], 1e-300), color=color, linewidth=1.8, label=label)
    ax.axvline(T, color="gray", linewidth=0.8, linestyle=":")
    ax.set_xlabel("time step t (the loss looks at h_T only)")
    ax.set_ylabel("||dL/dh_t||")
    ax.set_title("gradient reaching each step, backwards from T")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax = fig.add_subplot(1, 2, 2)
    lengths = np.arange(1, T + 1)
    ax.semilogy(lengths, curves["raw"], color="tab:red", linewidth=1.8, label="RNN 1.5 Q, raw")
    ax.semilogy(lengths, curves["clipped"], color="black", linewidth=1.8, linestyle="--",
                label=f"after clip_grad_norm(max_norm={max_norm:g})")
    ax.set_xlabel("sequence length")
    ax.set_ylabel("||(dWx, dWh, db)||")
    ax.set_title("clipping caps the exploding weight gradient")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path), curves
