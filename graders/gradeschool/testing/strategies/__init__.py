"""Hypothesis strategies shared by every topic: dtypes, shapes and values.

They include the cases that break naive code: logits of +-1e4, probabilities of exactly
0 and 1, size-1 dimensions, 0-d and empty arrays where a function takes any shape, every
axis of 1- to 4-D arrays, and rows with a large mean and a small spread (where a one-pass
variance E[x**2] - E[x]**2 cancels catastrophically). A topic's own strategies live beside
these, in `gradeschool.testing.strategies.<topic>` (one module per topic)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DTYPES = (np.float32, np.float64)
seeds = st.integers(0, 2**32 - 1)
dtypes = st.sampled_from(DTYPES)


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 6):
    """Array shapes, size-1 dimensions included."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def any_shapes(max_dims: int = 4, max_side: int = 5, zero_d: bool = True, empty: bool = True):
    """Shapes of every rank up to `max_dims`, mostly with sides 1..max_side; now and then (one
    draw in 7 or 8 each) the 0-d shape () (`zero_d`) and a shape with a side of 0, an empty
    array (`empty`)."""
    main = shapes(1, max_dims, 1, max_side)
    extra = [st.just(())] if zero_d else []
    if empty:
        extra.append(hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=0, max_side=max_side)
                     .map(lambda s: s if 0 in s else (0, *s[1:])))
    return st.one_of(*[main] * 6, *extra)


def axes(ndim: int):
    """Every axis of an ndim-dimensional array, negative and positive: -ndim .. ndim - 1."""
    return st.integers(-ndim, ndim - 1)


def every_axis(shapes_: tuple[tuple[int, ...], ...] = ((5,), (3, 4), (2, 3, 4), (2, 3, 4, 5))):
    """(shape, axis) for every axis, negative and positive, of shapes of 1 to 4 dimensions
    whose sides all differ (a transposed result cannot have the right shape by chance)."""
    return [(s, a) for s in shapes_ for a in range(-len(s), len(s))]


def _floats(dtype, lo: float, hi: float):
    width = 32 if np.dtype(dtype) == np.float32 else 64
    return st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(dtype, shape, lo: float = -5.0, hi: float = 5.0, extremes: tuple[float, ...] = ()):
    """Float arrays of `dtype` and `shape` (a tuple or a strategy) with values in [lo, hi],
    and now and then one of `extremes`."""
    elements = _floats(dtype, lo, hi)
    if extremes:
        elements = st.one_of(elements, elements, elements, st.sampled_from(extremes))
    return hnp.arrays(dtype, shape, elements=elements)


def logits(dtype, shape):
    """Logits of moderate size, mixed with +-1e4 and +-1e3 that overflow a naive exp."""
    return arrays(dtype, shape, -20.0, 20.0, extremes=(1e4, -1e4, 1e3, -1e3, 0.0))


def offset_arrays(dtype, shape, offsets=None, spreads=(1.0, 0.1)):
    """Arrays whose values share a large mean and have a small spread: offset + spread * z
    with z standard normal (drawn from a seed). The offsets (1e4 in float32, 1e8 in float64)
    make x**2 so large that its rounding error exceeds the spread squared: E[x**2] - E[x]**2
    loses every digit, while the two-pass sum((x - mean)**2) keeps them."""
    big = 1e4 if np.dtype(dtype) == np.float32 else 1e8
    offsets = offsets or (big, -big)

    @st.composite
    def make(draw):
        offset, spread, seed = draw(st.sampled_from(offsets)), draw(st.sampled_from(spreads)), draw(seeds)
        z = np.random.default_rng(seed).standard_normal(shape)
        return (offset + spread * z).astype(dtype)

    return make()


def probabilities(dtype, shape):
    """Values in [0, 1], exactly 0 and exactly 1 included."""
    return arrays(dtype, shape, 0.0, 1.0, extremes=(0.0, 1.0))


def matrices(dtype, max_rows: int = 8, max_cols: int = 8):
    """2-D arrays (N, D), each side from 1."""
    return st.tuples(st.integers(1, max_rows), st.integers(1, max_cols)).flatmap(
        lambda s: arrays(dtype, s)
    )


@st.composite
def dtype_and(draw, make, *args, **kwargs):
    """(dtype, array) with the dtype drawn first: `dtype_and(logits, shapes())`."""
    dtype = draw(dtypes)
    shape = draw(args[0]) if args and isinstance(args[0], st.SearchStrategy) else args[0]
    return dtype, draw(make(dtype, shape, *args[1:], **kwargs))


def integer_valued(dtype, shape, lo: int = -3, hi: int = 3):
    """Whole numbers stored as floats: their sums and products are exact in float32 and
    float64, so a threshold at 0 is hit exactly and results can be compared exactly."""
    return hnp.arrays(dtype, shape, elements=st.integers(lo, hi).map(float))
