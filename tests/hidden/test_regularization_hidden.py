"""Hidden tests of topic 5 — regularization. Never released, never run by `gradeschool
check`: the grader and the instructor's nbgrader run collect them. Property runs draw
their examples from the course's seed (`--course-seed`); edge cases are fixed. In each
exercise they cover they weigh `results.HIDDEN_SHARE` of its points."""

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import check_layer, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.oracle import LearnerFailure, describe_call

pytestmark = pytest.mark.hidden


@st.composite
def wide_layernorm_inputs(draw):
    """(x, gamma, beta, eps): x of up to four axes, sides up to 8, normalised over its last
    k axes; values now and then 0 or 50 (constant and off-centre rows)."""
    dtype = draw(gs.dtypes)
    shape = draw(gs.shapes(1, 4, max_side=8))
    k = draw(st.integers(1, len(shape)))
    x = draw(gs.arrays(dtype, shape, extremes=(0.0, 50.0)))
    return x, draw(gs.arrays(dtype, shape[-k:], -2.0, 2.0)), draw(gs.arrays(dtype, shape[-k:], -2.0, 2.0)), \
        draw(st.sampled_from([1e-5, 1e-3, 0.1]))


@pytest.mark.exercise("layernorm")
@settings(max_examples=15)
@given(case=wide_layernorm_inputs())
def test_layernorm_on_the_course_examples(impl, device, case):
    x, gamma, beta, eps = case
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    x64 = x.astype(np.float64)
    # x - mean loses eps * max|x|; dividing by the smallest sqrt(var + eps) magnifies that by
    # `cond`, gamma scales the output, and dx is magnified once more by |gamma| / spread
    # (check_layer's upstream gradient is standard normal: |dout| < 5)
    spread = float(np.sqrt(x64.var(axis=axes).min() + eps))
    cond, g = 1.0 + float(np.abs(x64).max(initial=0.0)) / spread, float(np.abs(gamma).max())
    scale = max(g * cond + float(np.abs(beta).max()), 5.0 * cond * max(1.0, g / spread))
    check_layer(impl.layernorm_forward, impl.layernorm_backward,
                lambda x, g, b: F.layer_norm(x, tuple(g.shape), g, b, eps), x, gamma, beta,
                grad_wrt=[0, 1, 2], argnames=["x", "gamma", "beta"], kwargs={"eps": eps}, torch_kwargs={},
                device=device, scale=scale,
                terms=max(gamma.size, x.size // gamma.size))


@pytest.mark.exercise("dropout")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_dropout_with_p_one_drops_everything(impl, dtype):
    """p = 1: every element dropped, the output and the gradient all zeros (no 1 / 0)."""
    x = np.arange(1, 13, dtype=dtype).reshape(3, 4)
    call = describe_call("dropout_forward", [x], {"p": 1.0, "seed": 5}, ["x"])
    out, cache = impl.dropout_forward(x, p=1.0, seed=5)
    compare(out, np.zeros(x.shape), call=call, what="out", dtype=dtype, rtol=0, atol=0)
    dx = impl.dropout_backward(np.ones_like(x), cache)
    compare(dx, np.zeros(x.shape), call=call + " then dropout_backward(ones)", what="dx", dtype=dtype, rtol=0, atol=0)


@pytest.mark.exercise("EarlyStopping")
def test_early_stopping_in_max_mode_with_min_delta(impl):
    """mode 'max', min_delta 0.1, patience 2: 0.55 is no improvement on 0.5 (not above
    0.6), 0.65 is; 0.7 and 0.74 are not (not above 0.75): stop at the end of epoch 4."""
    stopper = impl.EarlyStopping(monitor="acc", mode="max", min_delta=0.1, patience=2)
    curve = [0.5, 0.55, 0.65, 0.7, 0.74]
    stops = [bool(stopper.update({"acc": v}, {"w": np.full(2, float(i))})) for i, v in enumerate(curve)]
    seen = (stops, stopper.best, stopper.best_epoch, stopper.stopped_epoch)
    if seen != ([False, False, False, False, True], 0.65, 2, 4):
        raise LearnerFailure(f"EarlyStopping(monitor='acc', mode='max', min_delta=0.1, patience=2) on acc {curve}\n"
                             f"  update() returned {stops}, best={stopper.best}, best_epoch={stopper.best_epoch}, "
                             f"stopped_epoch={stopper.stopped_epoch}\n  expected [False, False, False, False, "
                             "True], best=0.65, best_epoch=2, stopped_epoch=4\n  hint: in 'max' mode an epoch "
                             "improves when value > best + min_delta.")
