"""Hypothesis strategies of the losses topic (loss functions)."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradeschool.testing.strategies import any_shapes, arrays, dtypes, logits, probabilities

# None: the argument is left out, so the default ("mean") is used.
reductions = st.sampled_from(["mean", "sum", "none", None])


def with_reduction(kwargs, reduction):
    """kwargs plus reduction=..., unless `reduction` is None (the default is tested)."""
    return kwargs if reduction is None else {**kwargs, "reduction": reduction}


@st.composite
def regression_pairs(draw):
    """(pred, target) of one shape (any rank, 0-d and empty included) and dtype; target
    equals pred exactly at some elements (the kink of |d|), and both may hold 0."""
    dtype = draw(dtypes)
    shape = draw(any_shapes(empty=False))
    pred = draw(arrays(dtype, shape, -10.0, 10.0, extremes=(0.0,)))
    other = draw(arrays(dtype, shape, -10.0, 10.0, extremes=(0.0,)))
    same = draw(hnp.arrays(np.bool_, shape))
    return pred, np.where(same, pred, other)


@st.composite
def huber_problems(draw):
    """(pred, target, delta) of any shape, in multiples of 1/16 (exact differences), with
    many elements exactly at the kink |pred - target| == delta and others on either side;
    delta from 1/16 to 4, or None (left out: the default 1.0)."""
    dtype = draw(dtypes)
    shape = draw(any_shapes(empty=False))
    delta = draw(st.one_of(st.integers(1, 64).map(lambda k: k / 16), st.none()))
    kink = 1.0 if delta is None else delta
    grid = st.integers(-64, 64).map(lambda k: k / 16)
    pred = draw(hnp.arrays(dtype, shape, elements=st.integers(-128, 128).map(lambda k: k / 16)))
    diff = draw(hnp.arrays(dtype, shape, elements=st.one_of(st.sampled_from([kink, -kink]), grid)))
    return pred, np.asarray(pred - diff), delta


@st.composite
def probability_pairs(draw):
    """(p, y): predicted probabilities and labels in [0, 1] of any shape, both with exact 0s
    and 1s."""
    dtype = draw(dtypes)
    shape = draw(any_shapes(empty=False))
    hard = hnp.arrays(dtype, shape, elements=st.sampled_from([0.0, 1.0]))
    return draw(probabilities(dtype, shape)), draw(st.one_of(hard, probabilities(dtype, shape)))


@st.composite
def logit_label_problems(draw):
    """(logits, y, pos_weight): logits of any shape with +-1e4, labels in [0, 1] with exact
    0s and 1s, pos_weight None or positive of shape (C,) for the last axis (None for 0-d)."""
    dtype = draw(dtypes)
    shape = draw(any_shapes(empty=False))
    pos_weight = st.one_of(st.none(), arrays(dtype, (shape[-1],), 0.25, 4.0)) if shape else st.none()
    return draw(logits(dtype, shape)), draw(probabilities(dtype, shape)), draw(pos_weight)


@st.composite
def classification_problems(draw, max_n: int = 8, max_c: int = 6):
    """(logits (N, C) with +-1e4, y (N,) class indices of int64 or int32), N = 1 and C = 1
    included."""
    dtype = draw(dtypes)
    n, c = draw(st.integers(1, max_n)), draw(st.integers(1, max_c))
    y = hnp.arrays(draw(st.sampled_from([np.int64, np.int32])), (n,), elements=st.integers(0, c - 1))
    return draw(logits(dtype, (n, c))), draw(y)


@st.composite
def target_distributions(draw, y, c, dtype):
    """(N, C) targets for class indices y: one-hot rows, or probability rows summing to 1."""
    one_hot = np.eye(c, dtype=dtype)[y]
    if draw(st.booleans()):
        return one_hot
    rows = draw(probabilities(dtype, one_hot.shape))
    rows = np.where(rows.sum(axis=1, keepdims=True) > 0, rows, one_hot)
    return (rows / rows.sum(axis=1, keepdims=True)).astype(dtype)


def class_weights(dtype, c):
    """None, or positive weights of shape (C,)."""
    return st.one_of(st.none(), arrays(dtype, (c,), 0.25, 4.0))


label_smoothings = st.one_of(st.none(), st.sampled_from([0.0, 0.1, 1.0]), st.floats(0.0, 1.0))  # None: the default


@st.composite
def weight_lists(draw, max_arrays: int = 3):
    """A list of 1 to `max_arrays` weight arrays of one dtype and of any shapes (0-d and
    empty included), with exact zeros."""
    dtype = draw(dtypes)
    count = draw(st.integers(1, max_arrays))
    return [draw(arrays(dtype, draw(any_shapes()), -3.0, 3.0, extremes=(0.0,))) for _ in range(count)]
