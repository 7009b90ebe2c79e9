"""Hidden tests of topic 3 — backprop. Never released, never run by `gradeschool check`:
the grader and the instructor's nbgrader run collect them. Property runs draw their
examples from the course's seed (`--course-seed`); edge cases are fixed. In each exercise
they cover they weigh `results.HIDDEN_SHARE` of its points."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import check_layer, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.oracle import LearnerFailure, describe_call, to_torch
from gradeschool.testing.strategies import backprop as ts

pytestmark = pytest.mark.hidden


def exercise(name, *values):
    return pytest.param(*values, marks=pytest.mark.exercise(name), id=name)


ACTIVATIONS = [
    exercise("sigmoid_backward", "sigmoid_backward", torch.sigmoid, {}),
    exercise("tanh_backward", "tanh_backward", torch.tanh, {}),
    exercise("relu_backward", "relu_backward", F.relu, {}),
    exercise("leaky_relu_backward", "leaky_relu_backward", F.leaky_relu, {"negative_slope": 0.2}),
    exercise("elu_backward", "elu_backward", F.elu, {"alpha": 1.5}),
]


@pytest.mark.parametrize("name, torch_fn, kwargs", ACTIVATIONS)
@settings(max_examples=15)
@given(data=st.data())
def test_activation_backward_on_the_course_examples(impl, device, name, torch_fn, kwargs, data):
    """Up to four axes; whole numbers half of the time, so the kinks at exactly 0 are hit."""
    dtype = data.draw(gs.dtypes, label="dtype")
    shape = data.draw(gs.shapes(1, 4, max_side=7), label="shape")
    x = data.draw(st.one_of(gs.integer_valued(dtype, shape), ts.activation_inputs(dtype, shape)), label="x")
    dout = np.random.default_rng(data.draw(gs.seeds, label="seed")).standard_normal(shape).astype(dtype)
    call = describe_call(name, [dout, x], kwargs, ["dout", "x"])
    got = impl.get(name)(dout, x, **kwargs)
    tx = to_torch(x, device, requires_grad=True)
    (ref,) = torch.autograd.grad(torch_fn(tx, **kwargs), tx, to_torch(dout, device))
    compare(got, ref, call=call, what="dx", dtype=dtype, scale=float(np.abs(dout).max(initial=1)))


@pytest.mark.exercise("softmax_backward")
@settings(max_examples=15)
@given(data=st.data())
def test_softmax_backward_along_any_axis(impl, device, data):
    dtype = data.draw(gs.dtypes, label="dtype")
    shape = data.draw(gs.shapes(1, 4, max_side=6), label="shape")
    x = data.draw(gs.logits(dtype, shape), label="x")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    dout = np.random.default_rng(data.draw(gs.seeds, label="seed")).standard_normal(shape).astype(dtype)
    got = impl.softmax_backward(dout, x, axis=axis)
    tx = to_torch(x, device, requires_grad=True)
    (ref,) = torch.autograd.grad(torch.softmax(tx, dim=axis), tx, to_torch(dout, device))
    compare(got, ref, call=describe_call("softmax_backward", [dout, x], {"axis": axis}, ["dout", "x"]),
            what="dx", dtype=dtype, terms=shape[axis], scale=float(np.abs(dout).max(initial=1)))


@pytest.mark.exercise("dense_backward")
@settings(max_examples=15)
@given(args=gs.dtypes.flatmap(lambda d: ts.dense_args(d, max_batch=16, max_features=16)))
def test_dense_backward_on_the_course_examples(impl, device, args):
    x, W, _ = args
    check_layer(impl.dense_forward, impl.dense_backward, lambda x, W, b: F.linear(x, W.T, b), *args,
                grad_wrt=(0, 1, 2), argnames=["x", "W", "b"], device=device,
                scale=25.0, terms=max(x.shape[0], *W.shape))


INITIALISERS = [exercise("xavier_uniform", "xavier_uniform", lambda i, o: math.sqrt(6 / (i + o))),
                exercise("he_uniform", "he_uniform", lambda i, o: math.sqrt(6 / i)),
                exercise("xavier_normal", "xavier_normal", None),
                exercise("he_normal", "he_normal", None)]


@pytest.mark.parametrize("name, limit", INITIALISERS)
@settings(max_examples=10)
@given(fan_in=st.integers(1, 300), fan_out=st.integers(1, 300), seed=gs.seeds, dtype=gs.dtypes)
def test_initialisers_shape_dtype_bounds_and_seed(impl, name, limit, fan_in, fan_out, seed, dtype):
    call = describe_call(name, [fan_in, fan_out], {"rng": seed, "dtype": np.dtype(dtype).name})
    a = impl.get(name)(fan_in, fan_out, rng=seed, dtype=dtype)
    b = impl.get(name)(fan_in, fan_out, rng=seed, dtype=dtype)
    if not (type(a) is np.ndarray and a.shape == (fan_in, fan_out) and a.dtype == dtype):
        raise LearnerFailure(f"{call}\n  expected an array of shape {(fan_in, fan_out)} and dtype "
                             f"{np.dtype(dtype)}, got {type(a).__name__} {getattr(a, 'shape', '')} "
                             f"{getattr(a, 'dtype', '')}")
    if not np.array_equal(a, b):
        raise LearnerFailure(f"{call}\n  two calls with the same int seed gave different weights\n"
                             "  hint: np.random.default_rng(rng) with the seed you are given.")
    if limit is not None and np.abs(a.astype(np.float64)).max() > limit(fan_in, fan_out) * (1 + 1e-6):
        raise LearnerFailure(f"{call}\n  a weight of {np.abs(a).max():.6g} is beyond the limit "
                             f"{limit(fan_in, fan_out):.6g}")


@pytest.mark.exercise("gradient_check")
@pytest.mark.parametrize("a, n, expected", [
    pytest.param([3.0, -1e30], [3.0, -1e30], 0.0, id="equal-huge"),
    pytest.param([1e-300], [-1e-300], 2e-300 / 1e-12, id="below-the-floor"),
    pytest.param([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], 1 / 9, id="2d"),
])
def test_gradient_check_edges(impl, a, n, expected):
    a, n = np.array(a), np.array(n)
    got = impl.gradient_check(a, n)
    if not (isinstance(got, float) and math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-300)):
        raise LearnerFailure(f"{describe_call('gradient_check', [a, n], {}, ['analytic', 'numeric'])}\n"
                             f"  returned {got!r}, expected {expected!r}")
