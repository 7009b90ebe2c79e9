"""Hidden tests of topic 2 — losses. Never released, never run by `gradeschool check`: the
grader and the instructor's nbgrader run collect them. Property runs draw their examples
from the course's seed (`--course-seed`); edge cases are fixed. In each exercise they
cover they weigh `results.HIDDEN_SHARE` of its points."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import check_loss, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.oracle import describe_call
from gradeschool.testing.strategies import losses as ts

pytestmark = pytest.mark.hidden


def size(*arrays):
    return max([1.0] + [float(np.abs(a).max()) for a in arrays if a is not None and a.size])


@st.composite
def pairs(draw, lo=-10.0, hi=10.0):
    """(pred, target) of up to 4 axes, sides up to 8."""
    dtype = draw(gs.dtypes)
    shape = draw(gs.shapes(1, 4, max_side=8))
    return draw(gs.arrays(dtype, shape, lo, hi, extremes=(0.0,))), draw(gs.arrays(dtype, shape, lo, hi))


REGRESSION = [
    pytest.param("mse_loss", F.mse_loss, {}, marks=pytest.mark.exercise("mse_loss"), id="mse"),
    pytest.param("mae_loss", F.l1_loss, {}, marks=pytest.mark.exercise("mae_loss"), id="mae"),
    pytest.param("huber_loss", F.huber_loss, {"delta": 0.25}, marks=pytest.mark.exercise("huber_loss"),
                 id="huber-0.25"),
    pytest.param("huber_loss", F.huber_loss, {"delta": 40.0}, marks=pytest.mark.exercise("huber_loss"),
                 id="huber-40"),
]


@pytest.mark.parametrize("name, torch_fn, kwargs", REGRESSION)
@settings(max_examples=15)
@given(pair=pairs(), reduction=ts.reductions)
def test_regression_losses_on_the_course_examples(impl, device, name, torch_fn, kwargs, pair, reduction):
    pred, target = pair
    check_loss(impl.get(name), torch_fn, pred, target, name=name, kwargs=ts.with_reduction(kwargs, reduction),
               device=device, scale=20.0, terms=pred.size)


@pytest.mark.exercise("sparse_categorical_cross_entropy")
@settings(max_examples=15)
@given(problem=ts.classification_problems(max_n=16, max_c=12), data=st.data(),
       label_smoothing=ts.label_smoothings, reduction=ts.reductions)
def test_sparse_cross_entropy_on_the_course_examples(impl, device, problem, data, label_smoothing, reduction):
    z, y = problem
    weight = data.draw(ts.class_weights(z.dtype, z.shape[1]), label="weight")
    kwargs = {k: v for k, v in [("weight", weight), ("label_smoothing", label_smoothing)] if v is not None}
    check_loss(impl.sparse_categorical_cross_entropy, F.cross_entropy, z, y, argnames=("logits", "y"),
               kwargs=ts.with_reduction(kwargs, reduction), device=device, scale=size(z) * size(weight),
               terms=z.size)


@pytest.mark.exercise("categorical_cross_entropy")
@settings(max_examples=15)
@given(problem=ts.classification_problems(max_n=16, max_c=12), data=st.data(), reduction=ts.reductions)
def test_categorical_cross_entropy_on_the_course_examples(impl, device, problem, data, reduction):
    z, y = problem
    target = data.draw(ts.target_distributions(y, z.shape[1], z.dtype), label="target")
    check_loss(impl.categorical_cross_entropy, F.cross_entropy, z, target, argnames=("logits", "target"),
               kwargs=ts.with_reduction({}, reduction), device=device, scale=size(z), terms=z.size)


@pytest.mark.exercise("binary_cross_entropy_with_logits")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_at_the_float32_exp_limits(impl, device, dtype, reduction):
    z = np.array([[-104.0, -88.8, -87.3, 0.0], [87.3, 88.8, 104.0, -1e-7]], dtype)
    y = np.array([[1.0, 0.0, 0.25, 1.0], [0.0, 1.0, 0.75, 0.5]], dtype)
    check_loss(impl.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z, y,
               argnames=("logits", "target"), kwargs={"reduction": reduction}, device=device, scale=104.0,
               terms=z.size)


PENALTIES = [
    pytest.param("l1_penalty", {}, marks=pytest.mark.exercise("l1_penalty"), id="l1"),
    pytest.param("l2_penalty", {}, marks=pytest.mark.exercise("l2_penalty"), id="l2"),
    pytest.param("elastic_net_penalty", {"l1_ratio": 0.3}, marks=pytest.mark.exercise("elastic_net_penalty"),
                 id="elastic_net"),
]


@pytest.mark.parametrize("name, extra", PENALTIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_penalty_of_zero_weights_is_zero_with_zero_gradients(impl, name, extra, dtype):
    """|w| has no slope at 0: the penalty and every gradient are exactly 0 there (torch's
    sign(0) = 0), whatever lam."""
    weights = [np.zeros((2, 3), dtype), np.zeros(4, dtype)]
    call = describe_call(name, [weights], {"lam": 0.7, **extra}, ["weights"])
    penalty, grads = impl.get(name)(weights, lam=0.7, **extra)
    compare(penalty, np.float64(0.0), call=call, what="the penalty", rtol=0, atol=0)
    for k, (g, w) in enumerate(zip(grads, weights, strict=True)):
        compare(g, torch.zeros(w.shape, dtype=torch.float64), call=call, what=f"the gradient of weights[{k}]",
                dtype=dtype, rtol=0, atol=0)
