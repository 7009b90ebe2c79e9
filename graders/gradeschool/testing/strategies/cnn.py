"""Hypothesis strategies of the cnn topic (convolution and pooling)."""

import numpy as np
from hypothesis import strategies as st

from gradeschool.testing.strategies import arrays, dtypes, seeds, shapes


@st.composite
def image_batches(draw, min_dims: int = 4, max_dims: int = 4, max_side: int = 7, empty: bool = False):
    """Float arrays (N, C, H, W) (or of min_dims..max_dims axes), sides from 1 (with
    `empty`, N = 0 now and then), any dtype."""
    dtype = draw(dtypes)
    shape = draw(shapes(min_dims, max_dims, 1, max_side))
    shape = (0, *shape[1:]) if empty and draw(st.integers(0, 7)) == 0 else shape
    return draw(arrays(dtype, shape, -3.0, 3.0))


@st.composite
def conv_sizes(draw, max_n: int = 40):
    """(n, f, p, s) with a filter that fits the padded input: 1 <= f <= n + 2p."""
    n, p, s = draw(st.integers(1, max_n)), draw(st.integers(0, 3)), draw(st.integers(1, 5))
    return n, draw(st.integers(1, n + 2 * p)), p, s


@st.composite
def conv2d_problems(draw, max_side: int = 9):
    """(x, w, b, stride, padding) for a convolution: x (N, C, H, W), w (F, C, HH, WW),
    b (F,), non-square images and kernels, stride 1..4, padding 0..3, at least one output
    pixel; values in [-2, 2], one dtype for all. stride and padding are None now and then
    (left out: their defaults 1 and 0)."""
    dtype = draw(dtypes)
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, padding = draw(st.one_of(st.none(), st.integers(1, 4))), draw(st.one_of(st.none(), st.integers(0, 3)))
    given_stride, given_padding = stride, padding
    stride, padding = stride or 1, padding or 0
    h = draw(st.integers(max(1, hh - 2 * padding), max_side))
    w = draw(st.integers(max(1, ww - 2 * padding), max_side))
    x = draw(arrays(dtype, (n, c, h, w), -2.0, 2.0))
    weights = draw(arrays(dtype, (f, c, hh, ww), -2.0, 2.0))
    bias = draw(arrays(dtype, (f,), -2.0, 2.0))
    return x, weights, bias, given_stride, given_padding


@st.composite
def pool2d_problems(draw, distinct: bool = False, ties: bool = False, max_side: int = 9):
    """(x, kernel_size, stride, padding) for pooling as torch allows it: stride None
    (= kernel_size) or 1..3, padding <= kernel_size // 2 (None now and then: left out, the
    default 0), at least one output pixel. distinct=True gives values that are all
    different (multiples of 1/4, exact in float32), so that every window has a single
    maximum; ties=True values from {-1, 0, 1}, so that most windows have several."""
    dtype = draw(dtypes)
    k = draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.one_of(st.none(), st.integers(0, k // 2)))
    given_padding, padding = padding, padding or 0
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, k - 2 * padding), max_side))
    w = draw(st.integers(max(1, k - 2 * padding), max_side))
    if distinct:
        size = n * c * h * w
        order = np.random.default_rng(draw(seeds)).permutation(size)
        x = ((order - size / 2) / 4).reshape(n, c, h, w).astype(dtype)
    elif ties:
        x = np.random.default_rng(draw(seeds)).integers(-1, 2, (n, c, h, w)).astype(dtype)
    else:
        x = draw(arrays(dtype, (n, c, h, w), -3.0, 3.0))
    return x, k, stride, given_padding
