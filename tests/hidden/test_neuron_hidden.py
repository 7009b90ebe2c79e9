"""Hidden tests of topic 1 — neuron. Never released, never run by `gradeschool check`: the
grader and the instructor's nbgrader run collect them. Property runs draw their examples
from the course's seed (`--course-seed`), so no one can tune an answer to them; edge cases
are fixed. In each exercise they cover they weigh `results.HIDDEN_SHARE` of its points."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import check_forward
from gradeschool.testing import strategies as gs
from gradeschool.testing.strategies import neuron as ts

pytestmark = pytest.mark.hidden

# wider than the public tests: up to 4 axes, sides up to 9
WIDE = st.tuples(gs.dtypes, gs.shapes(1, 4, max_side=9)).flatmap(lambda a: gs.logits(*a))
# float32's exp overflows above 88.72 and reaches subnormals below -87.3
EDGES = [-104.0, -88.8, -87.3, -1e-7, 1e-7, 87.3, 88.8, 104.0]


def heaviside(t):
    return torch.heaviside(t, torch.ones((), dtype=t.dtype, device=t.device))


def exercise(name, *values, id=None):
    return pytest.param(*values, marks=pytest.mark.exercise(name), id=id or name)


ELEMENTWISE = [
    exercise("step", "step", heaviside, {}),
    exercise("sigmoid", "sigmoid", torch.sigmoid, {}),
    exercise("tanh", "tanh", torch.tanh, {}),
    exercise("relu", "relu", F.relu, {}),
    exercise("leaky_relu", "leaky_relu", F.leaky_relu, {"negative_slope": 0.3}),
    exercise("elu", "elu", F.elu, {"alpha": 0.5}),
    exercise("gelu", "gelu", F.gelu, {}),
    exercise("gelu", "gelu", F.gelu, {"approximate": "tanh"}, id="gelu-tanh"),
]


@pytest.mark.parametrize("name, torch_fn, kwargs", ELEMENTWISE)
@settings(max_examples=15)
@given(x=WIDE)
def test_elementwise_on_the_course_examples(impl, device, name, torch_fn, kwargs, x):
    check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs=kwargs, device=device, scale=1.0)


@pytest.mark.parametrize("name, torch_fn, kwargs", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_elementwise_at_the_float32_exp_limits(impl, device, name, torch_fn, kwargs, dtype):
    check_forward(impl.get(name), torch_fn, np.array(EDGES, dtype), name=name, argnames=["x"], kwargs=kwargs,
                  device=device, scale=1.0)


SOFTMAXES = [exercise("softmax", "softmax", torch.softmax), exercise("log_softmax", "log_softmax", torch.log_softmax)]


@pytest.mark.parametrize("name, torch_fn", SOFTMAXES)
@settings(max_examples=15)
@given(x=WIDE, data=st.data())
def test_softmax_along_any_axis(impl, device, name, torch_fn, x, data):
    """Every axis of up to four, negative or not (the public tests use -1 and 0)."""
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    scale = float(np.abs(x).max(initial=1)) if name == "log_softmax" else None
    check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs={"axis": axis},
                  torch_kwargs={"dim": axis}, device=device, scale=scale)


@pytest.mark.parametrize("name, torch_fn", SOFTMAXES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_softmax_of_rows_at_the_exp_limits(impl, device, name, torch_fn, dtype):
    x = np.array([EDGES, EDGES[::-1], [88.8] * len(EDGES)], dtype)
    check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs={"axis": 1},
                  torch_kwargs={"dim": 1}, device=device, scale=104.0 if name == "log_softmax" else None)


@pytest.mark.exercise("dense_forward")
@settings(max_examples=15)
@given(problem=ts.dense_inputs(max_n=16, max_in=16, max_out=16))
def test_dense_forward_on_the_course_examples(impl, device, problem):
    x, W, b = problem

    def out(x, W, b):
        return impl.dense_forward(x, W, b)[0]

    check_forward(out, lambda x, W, b: F.linear(x, W.T, b), x, W, b, name="dense_forward",
                  argnames=["x", "W", "b"], device=device, terms=W.shape[0] + 1,
                  scale=float(np.abs(x).max(initial=1) * np.abs(W).max(initial=1) + np.abs(b).max(initial=1)))


@pytest.mark.exercise("perceptron_predict")
@settings(max_examples=15)
@given(problem=ts.perceptron_inputs(max_n=16, max_d=8))
def test_perceptron_predict_on_the_course_examples(impl, device, problem):
    x, w, b = problem
    check_forward(impl.perceptron_predict, lambda x, w, b: heaviside(x @ w + b), x, w, b,
                  argnames=["x", "w", "b"], device=device)


@pytest.mark.exercise("perceptron_train")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_perceptron_right_from_the_start_stops_after_one_epoch(impl, dtype):
    """w = 0, b = 0 predicts 1 everywhere: with every target 1, the first epoch makes no
    mistake, nothing changes, and training stops."""
    x = np.array([[1, -2], [0, 3], [-1, -1]], dtype)
    w, b, mistakes = impl.perceptron_train(x, np.ones(3, dtype), lr=0.5, epochs=10)
    assert list(mistakes) == [0] and float(b) == 0.0 and np.array_equal(w, np.zeros(2, dtype)), (
        f"perceptron_train(x, y=all ones, lr=0.5, epochs=10) returned w={w}, b={b}, mistakes={mistakes}: "
        "expected w=0, b=0, mistakes=[0] (step(0) = 1 is already right)")
    assert w.dtype == dtype, f"w has dtype {w.dtype}, expected x's dtype {np.dtype(dtype)}"
