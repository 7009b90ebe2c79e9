"""Hypothesis strategies of the regularization topic (dropout and normalisation)."""

import numpy as np
from hypothesis import strategies as st

from gradeschool.testing.strategies import any_shapes, arrays, dtypes, offset_arrays, shapes

NORM_EPS = (1e-5, 1e-3, 0.1)
# None: the argument is left out and its default applies.
norm_eps = st.sampled_from([*NORM_EPS, None])
momenta = st.one_of(st.sampled_from([0.1, 0.25, 0.9, 1.0, None]), st.floats(0.01, 1.0))


def without_none(**kwargs):
    """kwargs without the ones drawn as None (left out: their defaults apply)."""
    return {k: v for k, v in kwargs.items() if v is not None}


def dropout_p():
    """Drop probabilities: 0 and 1 (the edge cases), 0.5, and values in between."""
    return st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.05, 0.95))


def batchnorm_shapes(min_per_channel: int = 2):
    """(N, D), (N, C, L), (N, C, H, W) and (N, C, D, H, W) shapes with at least
    `min_per_channel` values per feature (training statistics need two): N = 1, C = 1 and
    H = W = 1 included."""
    dense = st.tuples(st.integers(1, 8), st.integers(1, 5))
    spatial = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4))
    other = st.one_of(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5)),
                      st.tuples(*[st.integers(1, 2)] * 2, *[st.integers(1, 3)] * 3))
    return st.one_of(dense, spatial, dense, spatial, other).filter(
        lambda s: int(np.prod(s)) // s[1] >= min_per_channel)


def normalised_inputs(dtype, shape):
    """Values in [-5, 5] (now and then 0 or 50: constant and off-centre channels), or a
    large mean with a small spread (1e4 + z in float32, 1e8 + z in float64), where a
    one-pass variance E[x**2] - E[x]**2 loses every digit."""
    return st.one_of(arrays(dtype, shape, extremes=(0.0, 50.0)), arrays(dtype, shape, extremes=(0.0, 50.0)),
                     offset_arrays(dtype, shape))


@st.composite
def batchnorm_inputs(draw, train: bool = True, batches: int = 1):
    """dict(xs, gamma, beta, running_mean, running_var, momentum, eps): `batches` inputs of
    one shape (normalised_inputs), parameters of shape (C,), running_var >= 0 (0 included:
    eps matters); momentum in (0, 1] and eps None now and then (left out: the defaults)."""
    dtype = draw(dtypes)
    shape = draw(batchnorm_shapes(2 if train else 1))
    c = shape[1]
    return dict(
        xs=[draw(normalised_inputs(dtype, shape)) for _ in range(batches)],
        gamma=draw(arrays(dtype, (c,), -2.0, 2.0)),
        beta=draw(arrays(dtype, (c,), -2.0, 2.0)),
        running_mean=draw(arrays(dtype, (c,), -2.0, 2.0)),
        running_var=draw(arrays(dtype, (c,), 0.0, 4.0, extremes=(0.0,))),
        momentum=draw(momenta),
        eps=draw(norm_eps),
    )


@st.composite
def layernorm_inputs(draw):
    """dict(x, gamma, beta, eps): x of 1 to 4 dims (size-1 batches included; normalised_inputs),
    normalised over its last k dims (1 <= k <= x.ndim), gamma and beta of shape
    x.shape[-k:]; eps None now and then (left out: the default)."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 4, max_side=5))
    k = draw(st.integers(1, len(shape)))
    return dict(
        x=draw(normalised_inputs(dtype, shape)),
        gamma=draw(arrays(dtype, shape[-k:], -2.0, 2.0)),
        beta=draw(arrays(dtype, shape[-k:], -2.0, 2.0)),
        eps=draw(norm_eps),
    )


def dropout_inputs(dtype, shape):
    """Inputs with no zeros (so that out == 0 exactly where an element was dropped)."""
    return arrays(dtype, shape, 0.5, 5.0)


dropout_x = st.tuples(dtypes, any_shapes()).flatmap(lambda a: dropout_inputs(*a))
