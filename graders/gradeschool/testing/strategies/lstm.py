"""Hypothesis strategies of the lstm topic: recurrent cells and sequences.

Every size starts at 1 (one sample, one time step, one input feature, one hidden unit)
and D and H are drawn independently, so that code mixing them up fails. Values come in
two regimes, drawn per array: moderate ones in [-1, 1], where every gate is in its
sensitive range, and large ones in [-3, 3] now and then +-20 (and exact zeros), which
drive the gates to saturation: preactivations of several tens, where sigmoid is 0 or 1
and tanh is +-1 to the last bit, and where exp(-a) overflows a naive sigmoid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from gradeschool.testing.strategies import arrays, dtypes

SATURATING = (20.0, -20.0, 0.0)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def values(dtype, shape):
    """One array: moderate values, or large ones with +-20 and zeros (saturation)."""
    return st.one_of(arrays(dtype, shape, -1.0, 1.0),
                     arrays(dtype, shape, -3.0, 3.0, extremes=SATURATING))


@dataclass
class Problem:
    """A drawn recurrent problem: `args` in the order of the forward function's inputs
    (None for an absent initial state), their names, and the sizes."""

    kind: str
    args: list
    names: list
    n: int
    t: int
    d: int
    h: int

    @property
    def dtype(self):
        return self.args[0].dtype

    def magnitude(self, *names: str) -> float:
        """The largest |value| among the named arguments (1 at least; None counts as 0)."""
        found = [np.abs(self.args[self.names.index(n)]).max(initial=0.0) for n in names
                 if self.args[self.names.index(n)] is not None]
        return max([1.0, *map(float, found)])


@st.composite
def recurrent_problems(draw, kind: str, sequence: bool, max_n: int = 3, max_t: int = 4,
                       max_d: int = 4, max_h: int = 4):
    """Arguments of a cell (sequence=False) or of a whole-sequence layer of `kind`
    ("rnn", "lstm" or "gru"), in the order of the kit's functions:

        rnn_cell:  x (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,)
        lstm_cell: x, h_prev, c_prev (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)
        gru_cell:  x, h_prev, Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,)
        rnn:       x (N, T, D), h0 (N, H) or None, Wx, Wh, b
        lstm:      x (N, T, D), h0 or None, c0 or None, Wx, Wh, b

    One dtype (float32 or float64) for all; initial states absent (None) about half of
    the time; previous states and initial states in [-3, 3] (+-20 for c)."""
    dtype = draw(dtypes)
    n, t = draw(st.integers(1, max_n)), draw(st.integers(1, max_t))
    d, h = draw(st.integers(1, max_d)), draw(st.integers(1, max_h))
    g = GATES[kind]
    x = draw(values(dtype, (n, t, d) if sequence else (n, d)))

    def state(optional: bool):
        array = values(dtype, (n, h))
        return draw(st.one_of(st.none(), array) if optional else array)

    names, args = ["x"], [x]
    names.append("h0" if sequence else "h_prev")
    args.append(state(sequence))
    if kind == "lstm":
        names.append("c0" if sequence else "c_prev")
        args.append(state(sequence))
    names += ["Wx", "Wh"]
    args += [draw(values(dtype, (d, g * h))), draw(values(dtype, (h, g * h)))]
    if kind == "gru":
        names += ["bx", "bh"]
        args += [draw(values(dtype, (g * h,))), draw(values(dtype, (g * h,)))]
    else:
        names.append("b")
        args.append(draw(values(dtype, (g * h,))))
    return Problem(kind, args, names, n, t if sequence else 1, d, h)


@st.composite
def gradient_norm_problems(draw, max_n: int = 3, max_t: int = 6, max_d: int = 3, max_h: int = 4):
    """(cell, x (N, T, D), Wx, Wh, b, dh_T (N, H)) for gradient_norms_over_time: cell
    "rnn" or "lstm", the weights' shapes those of the cell, dh_T standard-normal-sized."""
    cell = draw(st.sampled_from(["rnn", "lstm"]))
    dtype = draw(dtypes)
    n, t = draw(st.integers(1, max_n)), draw(st.integers(1, max_t))
    d, h = draw(st.integers(1, max_d)), draw(st.integers(1, max_h))
    g = GATES[cell]
    return (cell, draw(values(dtype, (n, t, d))), draw(values(dtype, (d, g * h))),
            draw(values(dtype, (h, g * h))), draw(values(dtype, (g * h,))),
            draw(arrays(dtype, (n, h), -3.0, 3.0)))


def lesson_problem(T=40, N=4, D=4, H=16, seed=0):
    """The vanishing/exploding lesson's fixed problem: inputs, an orthogonal Q (the RNN's
    recurrent weights are a multiple of it), LSTM weights with forget-gate biases of 3, and
    the upstream gradient of the last state."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    dh_T = rng.standard_normal((N, H))
    lstm_b = np.zeros(4 * H)
    lstm_b[H:2 * H] = 3.0
    return dict(x=x, rnn_Wx=0.1 * rng.standard_normal((D, H)) / np.sqrt(D), Q=Q, dh_T=dh_T,
                lstm_Wx=rng.uniform(-1, 1, (D, 4 * H)) / np.sqrt(D),
                lstm_Wh=rng.uniform(-1, 1, (H, 4 * H)) / np.sqrt(H), lstm_b=lstm_b)
