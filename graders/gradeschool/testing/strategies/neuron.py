"""Hypothesis strategies of the neuron topic (one neuron, forward only)."""

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradeschool.testing.strategies import _floats, arrays, dtypes, integer_valued, logits, shapes


@st.composite
def perceptron_inputs(draw, max_n: int = 8, max_d: int = 4):
    """(x (N, D), w (D,), b) of whole numbers: x @ w + b is exact and often exactly 0."""
    dtype = draw(dtypes)
    n, d = draw(st.integers(1, max_n)), draw(st.integers(1, max_d))
    return draw(integer_valued(dtype, (n, d))), draw(integer_valued(dtype, (d,))), float(draw(st.integers(-3, 3)))


@st.composite
def perceptron_problems(draw, max_n: int = 6, max_d: int = 3):
    """(x (N, D) of whole numbers, y (N,) of 0s and 1s, lr a power of 2): the perceptron
    rule runs in exact arithmetic on them."""
    dtype = draw(dtypes)
    n, d = draw(st.integers(1, max_n)), draw(st.integers(1, max_d))
    y = hnp.arrays(dtype, (n,), elements=st.sampled_from([0.0, 1.0]))
    return draw(integer_valued(dtype, (n, d), -2, 2)), draw(y), draw(st.sampled_from([1.0, 0.5, 0.25]))


@st.composite
def dense_inputs(draw, max_n: int = 8, max_in: int = 8, max_out: int = 8):
    """(x (N, D_in), W (D_in, D_out), b (D_out,)), every side from 1."""
    dtype = draw(dtypes)
    n, d_in, d_out = draw(st.integers(1, max_n)), draw(st.integers(1, max_in)), draw(st.integers(1, max_out))
    return draw(arrays(dtype, (n, d_in))), draw(arrays(dtype, (d_in, d_out))), draw(arrays(dtype, (d_out,)))


@st.composite
def prelu_inputs(draw):
    """(x, weight): x of 1 to 4 dimensions with logits' extremes; weight of shape (1,)
    (shared) or (C,) with C = x.shape[1] (one distinct slope per channel)."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 4, max_side=5))
    channels = shape[1] if len(shape) >= 2 else 1
    count = draw(st.sampled_from(sorted({1, channels})))
    slopes = hnp.arrays(dtype, (count,), elements=_floats(dtype, -1.0, 1.0), unique=True)
    return draw(logits(dtype, shape)), draw(slopes)


@st.composite
def mlp_inputs(draw, max_layers: int = 3, max_width: int = 6, max_n: int = 6):
    """(x (N, D_0), [W_l (D_{l-1}, D_l)], [b_l (D_l,)]) for 1 to `max_layers` layers."""
    dtype = draw(dtypes)
    widths = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=max_layers + 1))
    x = draw(arrays(dtype, (draw(st.integers(1, max_n)), widths[0]), -2.0, 2.0))
    weights = [draw(arrays(dtype, (a, b), -1.0, 1.0)) for a, b in zip(widths, widths[1:], strict=False)]
    biases = [draw(arrays(dtype, (b,), -1.0, 1.0)) for b in widths[1:]]
    return x, weights, biases
