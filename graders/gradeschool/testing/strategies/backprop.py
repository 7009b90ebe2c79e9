"""Hypothesis strategies of the backprop topic (backward passes and MLPs), and the known
functions whose gradients numerical_gradient is checked on."""

import numpy as np
from hypothesis import strategies as st

from gradeschool.testing.strategies import any_shapes, arrays, dtypes, seeds
from gradeschool.testing.strategies.neuron import alphas, slopes


@st.composite
def dense_args(draw, dtype, max_batch: int = 8, max_features: int = 8):
    """(x, W, b) for a dense layer: x (N, D_in), W (D_in, D_out), b (D_out,), sides from 1."""
    n, d_in, d_out = (draw(st.integers(1, m)) for m in (max_batch, max_features, max_features))
    return (draw(arrays(dtype, (n, d_in))), draw(arrays(dtype, (d_in, d_out))), draw(arrays(dtype, (d_out,))))


def activation_inputs(dtype, shape):
    """Inputs of an activation: moderate values, exact zeros (where a ReLU-like derivative
    jumps) and now and then +-30 and +-1e3 (saturation, overflow of a naive exp)."""
    return arrays(dtype, shape, -6.0, 6.0, extremes=(0.0, 0.0, 30.0, -30.0, 1e3, -1e3))


# The backward passes' options over their documented domain; {} uses the defaults.
BACKWARD_OPTIONS = {
    "sigmoid_backward": st.just({}),
    "tanh_backward": st.just({}),
    "relu_backward": st.just({}),
    "leaky_relu_backward": st.one_of(st.just({}), st.fixed_dictionaries({"negative_slope": slopes})),
    "elu_backward": st.one_of(st.just({}), st.fixed_dictionaries({"alpha": alphas})),
}


@st.composite
def activation_problems(draw, name):
    """(dout, x, kwargs) for an element-wise backward pass: any rank from 0-d to 4-D, empty
    arrays included, and the pass's options."""
    dtype, shape = draw(dtypes), draw(any_shapes())
    x = draw(activation_inputs(dtype, shape))
    dout = np.random.default_rng(draw(seeds)).standard_normal(shape).astype(dtype)
    return dout, x, draw(BACKWARD_OPTIONS[name])


mlp_sizes = st.lists(st.integers(1, 6), min_size=2, max_size=4)
ACTIVATIONS = ("relu", "sigmoid", "tanh")


@st.composite
def mlp_cases(draw):
    """(sizes, params, x, options, dout): a network of 1 to 3 layers with standard normal
    parameters, a batch x, constructor options (the activation left out now and then: its
    default is relu; l1 and l2 of 0 or more) and an upstream gradient for the scores."""
    dtype = draw(dtypes)
    sizes = draw(mlp_sizes)
    rng = np.random.default_rng(draw(seeds))
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.standard_normal((fan_in, fan_out)).astype(dtype), rng.standard_normal(fan_out).astype(dtype)]
    x = rng.standard_normal((draw(st.integers(1, 5)), sizes[0])).astype(dtype)
    strengths = st.one_of(st.just(0.0), st.floats(0.0, 1.0))
    options = draw(st.fixed_dictionaries({"l1": strengths, "l2": strengths},
                                         optional={"activation": st.sampled_from(ACTIVATIONS)}))
    return sizes, params, x, options, rng.standard_normal((len(x), sizes[-1])).astype(dtype)


# ---------------------------------------------------------------- numerical_gradient's known functions
def cube_sum(x):
    return float((x**3).sum())


def x_sin_x(x):
    return float((x * np.sin(x)).sum())


def square_of_sum(x):
    return float(x.sum() ** 2)


def log_one_plus_sum_exp(x):
    return float(np.log1p(np.exp(x).sum()))


def position_weights(shape):
    """c[i, j, ...] = (i + 1)(j + 1)... / 7: f = sum(c * x) tells the positions apart, and a
    flattened x (weights 1, 2, 3, ...) from a 2-D one."""
    return np.prod(np.indices(shape) + 1.0, axis=0) / 7


def weighted_sum(x):
    """sum(c * x) with c of x's own shape: f must be given an array of x's shape."""
    return float((position_weights(x.shape) * x).sum())
