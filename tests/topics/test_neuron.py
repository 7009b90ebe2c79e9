"""Topic 1 — neuron: property tests against torch, and speed gates."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import LearnerFailure, assert_speed, check_forward, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.oracle import describe_call, describe_value
from gradeschool.testing.strategies import neuron as ts

AXES = st.sampled_from([-1, 0])
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
LOGITS = st.tuples(gs.dtypes, gs.shapes(1, 3)).flatmap(lambda a: gs.logits(*a))


def heaviside(t):
    """torch's step: 1 where t >= 0 (heaviside's value at 0 is the second argument)."""
    return torch.heaviside(t, torch.ones((), dtype=t.dtype, device=t.device))


def out_of(forward, name):
    """`forward(...) -> (out, cache)` as a function returning `out`, after checking the pair."""

    def call(*args, **kwargs):
        result = forward(*args, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise LearnerFailure(f"{describe_call(name, args, kwargs)}\n  should return a pair (out, cache), "
                                 f"returned {describe_value(result)}\n  hint: end with `return out, cache`.")
        return result[0]

    call.__name__ = name
    return call


# ---------------------------------------------------------------- step and the perceptron
@pytest.mark.exercise("step", weight=2)
@given(x=LOGITS)
def test_step_matches_heaviside(impl, device, x):
    check_forward(impl.step, heaviside, x, argnames=["x"], device=device)


@pytest.mark.exercise("step")
@DTYPES
def test_step_truth_table(impl, dtype):
    x = np.array([-1e4, -1.0, -1e-30, -0.0, 0.0, 1e-30, 1.0, 1e4], dtype)
    expected = np.array([0, 0, 0, 1, 1, 1, 1, 1], dtype)
    compare(impl.step(x), expected, call=describe_call("step", [x], {}, ["x"]), dtype=dtype, rtol=0, atol=0,
            hint="step(0) is 1: the comparison is x >= 0, not x > 0.")


@pytest.mark.exercise("perceptron_predict")
@given(problem=ts.perceptron_inputs())
def test_perceptron_predict_matches_step_of_affine(impl, device, problem):
    x, w, b = problem
    check_forward(impl.perceptron_predict, lambda x, w, b: heaviside(x @ w + b), x, w, b,
                  argnames=["x", "w", "b"], device=device)


def perceptron_rule(x, y, lr, epochs):
    """The learning rule exactly as the docstring states it, in plain Python floats."""
    w, b, mistakes = [0.0] * x.shape[1], 0.0, []
    for _ in range(epochs):
        wrong = 0
        for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
            y_hat = 1.0 if sum(a * c for a, c in zip(xi, w, strict=True)) + b >= 0 else 0.0
            if y_hat != yi:
                w = [wj + lr * (yi - y_hat) * xj for wj, xj in zip(w, xi, strict=True)]
                b += lr * (yi - y_hat)
                wrong += 1
        mistakes.append(wrong)
        if wrong == 0:
            break
    return w, b, mistakes


def train(impl, x, y, **kwargs):
    """Run the learner's perceptron_train and check the shape of what comes back."""
    call = describe_call("perceptron_train", [x, y], kwargs, ["x", "y"])
    before = (x.copy(), y.copy())
    result = impl.perceptron_train(x, y, **kwargs)
    assert isinstance(result, tuple) and len(result) == 3, f"{call}\n  should return (w, b, mistakes)"
    w, b, mistakes = result
    assert np.array_equal(x, before[0]) and np.array_equal(y, before[1]), f"{call}\n  modified its inputs"
    compare(w, np.zeros(x.shape[1]), call=call, what="w's shape and dtype", dtype=x.dtype, rtol=0, atol=np.inf)
    assert isinstance(mistakes, list | tuple), f"{call}\n  mistakes should be a list, got {describe_value(mistakes)}"
    return w, float(b), [int(m) for m in mistakes]


@pytest.mark.exercise("perceptron_train", weight=2)
@settings(max_examples=20)
@given(problem=ts.perceptron_problems(), epochs=st.integers(1, 6))
def test_perceptron_train_follows_the_rule(impl, problem, epochs):
    x, y, lr = problem
    w, b, mistakes = train(impl, x, y, lr=lr, epochs=epochs)
    rw, rb, rmistakes = perceptron_rule(x, y, lr, epochs)
    call = describe_call("perceptron_train", [x, y], {"lr": lr, "epochs": epochs}, ["x", "y"])
    assert mistakes == rmistakes, f"{call}\n  mistakes per epoch: expected {rmistakes}, got {mistakes}"
    compare(w, np.array(rw), call=call, what="w", rtol=0, atol=0)
    compare(np.float64(b), np.float64(rb), call=call, what="b", rtol=0, atol=0)


@pytest.mark.exercise("perceptron_train")
@DTYPES
def test_perceptron_train_first_epoch_by_hand(impl, dtype):
    # One pass of the rule from w = 0, b = 0 with lr = 0.5, worked by hand:
    #   x=(1, 1), y=0: step(0) = 1, wrong -> w = (-0.5, -0.5), b = -0.5
    #   x=(1, 0), y=1: step(-1) = 0, wrong -> w = (0, -0.5),    b = 0
    #   x=(0, 1), y=0: step(-0.5) = 0, right -> unchanged
    #   x=(2, 0), y=1: step(0) = 1, right    -> unchanged
    x = np.array([[1, 1], [1, 0], [0, 1], [2, 0]], dtype)
    y = np.array([0, 1, 0, 1], dtype)
    w, b, mistakes = train(impl, x, y, lr=0.5, epochs=1)
    call = describe_call("perceptron_train", [x, y], {"lr": 0.5, "epochs": 1}, ["x", "y"])
    assert mistakes == [2], f"{call}\n  expected mistakes [2], got {mistakes}"
    compare(w, np.array([0.0, -0.5]), call=call, what="w after one epoch", dtype=dtype, rtol=0, atol=0,
            hint="Update after every wrong sample, in order; a right prediction changes nothing.")
    compare(np.float64(b), np.float64(0.0), call=call, what="b after one epoch", rtol=0, atol=0)


GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}
TRUTH_INPUTS = [[0, 0], [0, 1], [1, 0], [1, 1]]


@pytest.mark.exercise("perceptron_train")
@DTYPES
@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_perceptron_learns_linearly_separable_gates(impl, dtype, gate):
    x, y = np.array(TRUTH_INPUTS, dtype), np.array(GATES[gate], dtype)
    w, b, mistakes = train(impl, x, y, lr=1.0, epochs=100)
    predictions = (x.astype(np.float64) @ w.astype(np.float64) + b >= 0).astype(int).tolist()
    assert mistakes and mistakes[-1] == 0 and all(mistakes[:-1]), (
        f"{gate}: mistakes per epoch {mistakes}: the rule must stop after its first epoch without mistakes")
    assert predictions == GATES[gate], f"{gate}: the learned w={w}, b={b} predict {predictions}"


@pytest.mark.exercise("perceptron_train")
@DTYPES
def test_perceptron_never_learns_xor(impl, dtype):
    x, y = np.array(TRUTH_INPUTS, dtype), np.array(GATES["XOR"], dtype)
    _, _, mistakes = train(impl, x, y, lr=1.0, epochs=50)
    assert len(mistakes) == 50 and min(mistakes) > 0, (
        f"XOR is not linearly separable: every one of the 50 epochs must make a mistake, got {mistakes}")


# ---------------------------------------------------------------- dense layer
@pytest.mark.exercise("dense_forward")
@given(problem=ts.dense_inputs())
def test_dense_forward_matches_linear(impl, device, problem):
    x, W, b = problem
    check_forward(out_of(impl.dense_forward, "dense_forward"), lambda x, W, b: F.linear(x, W.T, b), x, W, b,
                  argnames=["x", "W", "b"], device=device, terms=W.shape[0] + 1,
                  scale=float(np.abs(x).max() * np.abs(W).max() + np.abs(b).max()))


# ---------------------------------------------------------------- activations
ACTIVATIONS = [
    pytest.param("sigmoid", torch.sigmoid, {}, marks=pytest.mark.exercise("sigmoid"), id="sigmoid"),
    pytest.param("tanh", torch.tanh, {}, marks=pytest.mark.exercise("tanh"), id="tanh"),
    pytest.param("relu", F.relu, {}, marks=pytest.mark.exercise("relu"), id="relu"),
    pytest.param("leaky_relu", F.leaky_relu, {}, marks=pytest.mark.exercise("leaky_relu"), id="leaky_relu"),
    pytest.param("leaky_relu", F.leaky_relu, {"negative_slope": 0.2}, marks=pytest.mark.exercise("leaky_relu"),
                 id="leaky_relu-0.2"),
    pytest.param("elu", F.elu, {}, marks=pytest.mark.exercise("elu"), id="elu"),
    pytest.param("elu", F.elu, {"alpha": 1.7}, marks=pytest.mark.exercise("elu"), id="elu-1.7"),
    pytest.param("gelu", F.gelu, {}, marks=pytest.mark.exercise("gelu"), id="gelu"),
    pytest.param("gelu", F.gelu, {"approximate": "tanh"}, marks=pytest.mark.exercise("gelu"), id="gelu-tanh"),
]
# Element-wise functions: each value is accurate relative to itself, so `scale=1`.
LARGE = [-1e4, -1000.0, -100.0, -20.0, -1.0, -1e-3, -0.0, 0.0, 1e-3, 1.0, 20.0, 100.0, 1000.0, 1e4]


@pytest.mark.parametrize("name, torch_fn, kwargs", ACTIVATIONS)
@given(x=LOGITS)
def test_activation_matches_torch(impl, device, name, torch_fn, kwargs, x):
    check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs=kwargs, device=device, scale=1.0)


@pytest.mark.parametrize("name, torch_fn, kwargs", ACTIVATIONS)
@DTYPES
def test_activation_at_large_inputs(impl, device, name, torch_fn, kwargs, dtype):
    check_forward(impl.get(name), torch_fn, np.array(LARGE, dtype), name=name, argnames=["x"], kwargs=kwargs,
                  device=device, scale=1.0, hint="a naive formula overflows for large |x|: see the docstring's hint.")


@pytest.mark.exercise("prelu", weight=2)
@given(problem=ts.prelu_inputs())
def test_prelu_matches_torch(impl, device, problem):
    x, weight = problem
    check_forward(impl.prelu, F.prelu, x, weight, argnames=["x", "weight"], device=device, scale=1.0,
                  hint="weight[c] applies along axis 1 of x (the channels), whatever x's rank.")


# ---------------------------------------------------------------- multi-layer perceptron
TORCH_ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                     "softmax": lambda t: torch.softmax(t, dim=-1), None: lambda t: t}


def torch_mlp(x, weights, biases, activation, output_activation):
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        last = layer == len(weights) - 1
        x = TORCH_ACTIVATIONS[output_activation if last else activation](F.linear(x, W.T, b))
    return x


def size_of_numbers(x, weights, biases):
    """The largest |a[l]| the network can produce from |x|, |W| and |b| (activations here
    are 1-Lipschitz): rounding errors grow with it."""
    a = np.abs(x.astype(np.float64))
    for W, b in zip(weights, biases, strict=True):
        a = a @ np.abs(W.astype(np.float64)) + np.abs(b.astype(np.float64))
    return float(a.max(initial=1.0))


@pytest.mark.exercise("mlp_forward", weight=2)
@given(problem=ts.mlp_inputs(), activation=st.sampled_from(["relu", "sigmoid", "tanh"]),
       output_activation=st.sampled_from([None, "sigmoid", "softmax", "relu", "tanh"]))
def test_mlp_forward_matches_torch_layers(impl, device, problem, activation, output_activation):
    x, weights, biases = problem
    check_forward(impl.mlp_forward, torch_mlp, x, weights, biases, argnames=["x", "weights", "biases"],
                  kwargs={"activation": activation, "output_activation": output_activation}, device=device,
                  scale=size_of_numbers(x, weights, biases), terms=sum(W.shape[0] + 1 for W in weights))


# ---------------------------------------------------------------- softmax
@pytest.mark.exercise("softmax", weight=2)
@given(x=LOGITS, axis=AXES)
def test_softmax_matches_torch(impl, device, x, axis):
    check_forward(impl.softmax, torch.softmax, x, argnames=["x"], kwargs={"axis": axis},
                  torch_kwargs={"dim": axis}, device=device)


@pytest.mark.exercise("log_softmax", weight=2)
@given(x=LOGITS, axis=AXES)
def test_log_softmax_matches_torch(impl, device, x, axis):
    check_forward(impl.log_softmax, torch.log_softmax, x, argnames=["x"], kwargs={"axis": axis},
                  torch_kwargs={"dim": axis}, device=device, scale=float(np.abs(x).max(initial=1)))


SPEED_SHAPES = [(65536, 10), (1024, 1000)]


@pytest.mark.bench
@pytest.mark.parametrize("shape", SPEED_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "name, torch_fn",
    [pytest.param("softmax", torch.softmax, marks=pytest.mark.exercise("softmax")),
     pytest.param("log_softmax", torch.log_softmax, marks=pytest.mark.exercise("log_softmax"))],
)
def test_speed(impl, benchmark, name, torch_fn, shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    assert_speed(benchmark, impl, impl.get(name), torch_fn, x, max_ratio=8,
                 kwargs={"axis": -1}, torch_kwargs={"dim": -1})
