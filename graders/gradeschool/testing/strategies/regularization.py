"""Hypothesis strategies of the regularization topic (dropout and normalisation)."""

import numpy as np
from hypothesis import strategies as st

from gradeschool.testing.strategies import arrays, dtypes, shapes

NORM_EPS = (1e-5, 1e-3, 0.1)


def dropout_p():
    """Drop probabilities: 0 and 1 (the edge cases), 0.5, and values in between."""
    return st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.05, 0.95))


def batchnorm_shapes(min_per_channel: int = 2):
    """(N, D) and (N, C, H, W) shapes with at least `min_per_channel` values per feature
    (N * H * W; training statistics need two): N = 1, C = 1 and H = W = 1 included."""
    dense = st.tuples(st.integers(1, 8), st.integers(1, 5))
    spatial = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4))
    return st.one_of(dense, spatial).filter(lambda s: int(np.prod(s)) // s[1] >= min_per_channel)


@st.composite
def batchnorm_inputs(draw, train: bool = True, batches: int = 1):
    """dict(xs, gamma, beta, running_mean, running_var, momentum, eps): `batches` inputs of
    one shape (values in [-5, 5], now and then 0 or 50: constant and off-centre channels),
    parameters of shape (C,), running_var >= 0 (0 included: eps matters)."""
    dtype = draw(dtypes)
    shape = draw(batchnorm_shapes(2 if train else 1))
    c = shape[1]
    return dict(
        xs=[draw(arrays(dtype, shape, extremes=(0.0, 50.0))) for _ in range(batches)],
        gamma=draw(arrays(dtype, (c,), -2.0, 2.0)),
        beta=draw(arrays(dtype, (c,), -2.0, 2.0)),
        running_mean=draw(arrays(dtype, (c,), -2.0, 2.0)),
        running_var=draw(arrays(dtype, (c,), 0.0, 4.0, extremes=(0.0,))),
        momentum=draw(st.sampled_from([0.1, 0.25, 0.9])),
        eps=draw(st.sampled_from(NORM_EPS)),
    )


@st.composite
def layernorm_inputs(draw):
    """dict(x, gamma, beta, eps): x of 1 to 4 dims (size-1 batches included), normalised
    over its last k dims (1 <= k <= x.ndim), gamma and beta of shape x.shape[-k:]."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 4, max_side=5))
    k = draw(st.integers(1, len(shape)))
    return dict(
        x=draw(arrays(dtype, shape, extremes=(0.0, 50.0))),
        gamma=draw(arrays(dtype, shape[-k:], -2.0, 2.0)),
        beta=draw(arrays(dtype, shape[-k:], -2.0, 2.0)),
        eps=draw(st.sampled_from(NORM_EPS)),
    )
