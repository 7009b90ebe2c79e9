"""Correct alternatives for the lstm exercises' cells: other styles a learner may write.
Every test must accept them (tests/kit/testing/test_alternatives.py), speed gates included
(tests/kit/testing/calibrate_gates.py measures them).

Registered with the mutants' decorator (`alternative` below): an alternative is a mutant
that must NOT be caught. Each keeps the solution's cache, so the solution's other half
(forward or backward) runs with it."""

import numpy as np

from gradeschool.harness.mutants import mutant as alternative
from gradeschool.harness.mutants import solution

sol = solution("lstm")
_sigmoid = sol._sigmoid


@alternative("rnn_cell", "einsum", "every product of the backward pass written with np.einsum")
def rnn_cell_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next * h_next)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh), np.einsum("nd,nh->dh", x, da),
            np.einsum("nk,nh->kh", h_prev, da), np.einsum("nh->h", da))


@alternative("lstm_cell", "per_gate_products", "each gate with its own two products on its block of columns, "
             "the cell state through np.tanh computed twice")
def lstm_cell_forward(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]

    def block(k):
        cols = slice(k * H, (k + 1) * H)
        return x @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]

    i, f, g, o = _sigmoid(block(0)), _sigmoid(block(1)), np.tanh(block(2)), _sigmoid(block(3))
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, np.tanh(c_next))


@alternative("lstm_cell", "einsum_float64", "the backward pass in float64 with np.einsum, cast back at the end")
def lstm_cell_backward(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = (a.astype(np.float64) for a in cache)
    dh, dcn = dh_next.astype(np.float64), dc_next.astype(np.float64)
    dc = dcn + dh * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2), dh * tc * o * (1 - o)])
    grads = (np.einsum("ng,dg->nd", da, Wx), np.einsum("ng,kg->nk", da, Wh), dc * f, np.einsum("nd,ng->dg", x, da),
             np.einsum("nk,ng->kg", h_prev, da), da.sum(axis=0))
    return tuple(gr.astype(dh_next.dtype) for gr in grads)


@alternative("gru_cell", "per_gate_products", "r, z and n each with their own products on their block of columns")
def gru_cell_forward(x, h_prev, Wx, Wh, bx, bh):
    H = h_prev.shape[1]
    ax = [x @ Wx[:, k * H:(k + 1) * H] + bx[k * H:(k + 1) * H] for k in range(3)]
    ah = [h_prev @ Wh[:, k * H:(k + 1) * H] + bh[k * H:(k + 1) * H] for k in range(3)]
    r, z = _sigmoid(ax[0] + ah[0]), _sigmoid(ax[1] + ah[1])
    n = np.tanh(ax[2] + r * ah[2])
    return (1 - z) * n + z * h_prev, (x, h_prev, Wx, Wh, r, z, n, ah[2])
