"""Hypothesis strategies of the neuron topic (one neuron, forward only)."""

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradeschool.testing.strategies import _floats, any_shapes, arrays, axes, dtypes, integer_valued, logits, shapes

# Activation options over the domain their docstrings give (and torch accepts): a leaky
# slope of any sign and size (np.maximum(x, slope * x) is right only for 0 <= slope <= 1),
# alpha >= 0, both forms of gelu. {} calls the function with its defaults.
slopes = st.one_of(st.sampled_from([0.01, 0.0, 0.2, 1.0, 1.5, -0.5]), st.integers(-300, 300).map(lambda k: k / 100))
alphas = st.one_of(st.sampled_from([1.0, 0.0, 0.5, 2.0]), st.integers(0, 300).map(lambda k: k / 100))
# Every option's range, swept in full by a deterministic test beside the random ones.
OPTION_SWEEPS = {
    "leaky_relu": {"negative_slope": [-1.5, -0.5, 0.0, 0.01, 0.3, 1.0, 2.5]},
    "elu": {"alpha": [0.0, 0.5, 1.0, 2.5]},
    "gelu": {"approximate": ["none", "tanh"]},
}
ACTIVATION_OPTIONS = {
    "sigmoid": st.just({}),
    "tanh": st.just({}),
    "relu": st.just({}),
    "leaky_relu": st.one_of(st.just({}), st.fixed_dictionaries({"negative_slope": slopes})),
    "elu": st.one_of(st.just({}), st.fixed_dictionaries({"alpha": alphas})),
    "gelu": st.one_of(st.just({}), st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])})),
}


@st.composite
def any_logits(draw):
    """Logits (with +-1e4 and +-1e3) of every rank from 0-d to 4-D, empty arrays included."""
    return draw(logits(draw(dtypes), any_shapes()))


@st.composite
def softmax_inputs(draw):
    """(x, kwargs): x of 1 to 4 dimensions (another axis may be empty, never the softmax
    axis), kwargs {"axis": any axis, negative or positive} or {} (the default, -1)."""
    shape = draw(st.one_of(shapes(1, 4, 1, 5), shapes(2, 4, 0, 4)))
    axis = draw(axes(len(shape)))
    shape = tuple(max(side, 1) if i == axis % len(shape) else side for i, side in enumerate(shape))
    x = draw(logits(draw(dtypes), shape))
    use_default = axis == -1 and draw(st.booleans())
    return x, ({} if use_default else {"axis": axis})


@st.composite
def perceptron_inputs(draw, max_n: int = 8, max_d: int = 4):
    """(x (N, D), w (D,), b) of whole numbers: x @ w + b is exact and often exactly 0.
    N = 0 (an empty batch) now and then."""
    dtype = draw(dtypes)
    n, d = draw(st.integers(0, max_n)), draw(st.integers(1, max_d))
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
    """(x, weight): x of 1 to 4 dimensions (N = 0 now and then) with logits' extremes;
    weight of shape (1,) (shared) or (C,) with C = x.shape[1] (one distinct slope per
    channel, of either sign)."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 4, max_side=5))
    shape = (0, *shape[1:]) if draw(st.integers(0, 7)) == 0 else shape
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
