"""Topic 1 — neuron: property tests against torch, and speed gates.

Every function is drawn on its whole documented domain: element-wise functions on every
rank from 0-d to 4-D and on empty arrays, softmax on every axis (negative and positive)
of 1- to 4-D arrays, every option over its documented range (a leaky slope of any sign,
alpha >= 0, both gelu forms), and the default arguments."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import LearnerFailure, check_forward, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.gates import elementwise_gates, label, learner, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import check_untouched, describe_call, describe_value, snapshots
from gradeschool.testing.speed import Gate, gate_params, limited, run_gate
from gradeschool.testing.strategies import neuron as ts

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


def heaviside(t):
    """torch's step: 1 where t >= 0 (heaviside's value at 0 is the second argument)."""
    return torch.heaviside(t, torch.ones((), dtype=t.dtype, device=t.device))


def out_of(forward, name):
    """`forward(...) -> (out, cache)` as a function returning `out`, after checking the pair."""

    def call(*args, **kwargs):
        result = forward(*args, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise LearnerFailure(f"{describe_call(name, args, kwargs)}\n  should return a pair (out, cache), "
                                 f"returned {describe_value(result)}\n  hint: {mistake('dense_forward', 'pair')}")
        return result[0]

    call.__name__ = name
    return call


# ---------------------------------------------------------------- step and the perceptron
@pytest.mark.exercise("step", weight=2)
@given(x=ts.any_logits())
def test_step_matches_heaviside(impl, device, x):
    check_forward(impl.step, heaviside, x, argnames=["x"], device=device)


@pytest.mark.exercise("step")
@DTYPES
def test_step_truth_table(impl, dtype):
    x = np.array([-1e4, -1.0, -1e-30, -0.0, 0.0, 1e-30, 1.0, 1e4], dtype)
    expected = np.array([0, 0, 0, 1, 1, 1, 1, 1], dtype)
    compare(impl.step(x), expected, call=describe_call("step", [x], {}, ["x"]), dtype=dtype, rtol=0, atol=0,
            hint=mistake("step", "at_zero"))


@pytest.mark.exercise("perceptron_predict")
@given(problem=ts.perceptron_inputs())
def test_perceptron_predict_matches_step_of_affine(impl, device, problem):
    x, w, b = problem
    check_forward(impl.perceptron_predict, lambda x, w, b: heaviside(x @ w + b), x, w, b,
                  argnames=["x", "w", "b"], device=device)


def train(impl, x, y, **kwargs):
    """Run the learner's perceptron_train and check what comes back: (w, b, mistakes) with w
    of x's dtype and shape (D,), and x and y left alone."""
    call = describe_call("perceptron_train", [x, y], kwargs, ["x", "y"])
    before = snapshots.take([x, y], kwargs)
    result = impl.perceptron_train(x, y, **kwargs)
    if not (isinstance(result, tuple) and len(result) == 3):
        raise LearnerFailure(f"{call}\n  should return (w, b, mistakes), returned {describe_value(result)}")
    w, b, mistakes = result
    check_untouched(call, [x, y], kwargs, before, ["x", "y"])
    compare(w, np.zeros(x.shape[1]), call=call, what="w's shape and dtype", dtype=x.dtype, rtol=0, atol=np.inf)
    if not isinstance(mistakes, list | tuple):
        raise LearnerFailure(f"{call}\n  mistakes should be a list, got {describe_value(mistakes)}")
    return w, float(b), [int(m) for m in mistakes]


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
            hint=mistake("perceptron_train", "update_order"))
    compare(np.float64(b), np.float64(0.0), call=call, what="b after one epoch", rtol=0, atol=0)


@pytest.mark.exercise("perceptron_train")
def test_perceptron_train_defaults(impl):
    """The same first epoch with the default lr = 1 (worked by hand: every step doubles):
    w = (0, -1), b = 0; and the default epochs = 100 on XOR, which never converges."""
    x = np.array([[1, 1], [1, 0], [0, 1], [2, 0]], np.float64)
    y = np.array([0, 1, 0, 1], np.float64)
    w, b, mistakes = train(impl, x, y, epochs=1)
    call = describe_call("perceptron_train", [x, y], {"epochs": 1}, ["x", "y"])
    compare(w, np.array([0.0, -1.0]), call=call, what="w after one epoch with the default lr", rtol=0, atol=0,
            hint=mistake("perceptron_train", "default_lr"))
    compare(np.float64(b), np.float64(0.0), call=call, what="b after one epoch with the default lr", rtol=0, atol=0)
    xor = np.array(TRUTH_INPUTS, np.float64)
    _, _, mistakes = train(impl, xor, np.array(LOGIC_GATES["XOR"], np.float64))
    assert len(mistakes) == 100 and min(mistakes) > 0, (
        f"perceptron_train(XOR inputs, XOR targets) with the default epochs=100: expected 100 epochs, each with "
        f"mistakes; got {len(mistakes)} epochs: {mistakes}")


LOGIC_GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}
TRUTH_INPUTS = [[0, 0], [0, 1], [1, 0], [1, 1]]


@pytest.mark.exercise("perceptron_train")
@DTYPES
@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_perceptron_learns_linearly_separable_gates(impl, dtype, gate):
    x, y = np.array(TRUTH_INPUTS, dtype), np.array(LOGIC_GATES[gate], dtype)
    w, b, mistakes = train(impl, x, y, lr=1.0, epochs=100)
    predictions = (x.astype(np.float64) @ w.astype(np.float64) + b >= 0).astype(int).tolist()
    assert mistakes and mistakes[-1] == 0 and all(mistakes[:-1]), (
        f"{gate}: mistakes per epoch {mistakes}: the rule must stop after its first epoch without mistakes")
    assert predictions == LOGIC_GATES[gate], f"{gate}: the learned w={w}, b={b} predict {predictions}"


@pytest.mark.exercise("perceptron_train")
@DTYPES
def test_perceptron_never_learns_xor(impl, dtype):
    x, y = np.array(TRUTH_INPUTS, dtype), np.array(LOGIC_GATES["XOR"], dtype)
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
    pytest.param("sigmoid", torch.sigmoid, marks=pytest.mark.exercise("sigmoid"), id="sigmoid"),
    pytest.param("tanh", torch.tanh, marks=pytest.mark.exercise("tanh"), id="tanh"),
    pytest.param("relu", F.relu, marks=pytest.mark.exercise("relu"), id="relu"),
    pytest.param("leaky_relu", F.leaky_relu, marks=pytest.mark.exercise("leaky_relu"), id="leaky_relu"),
    pytest.param("elu", F.elu, marks=pytest.mark.exercise("elu"), id="elu"),
    pytest.param("gelu", F.gelu, marks=pytest.mark.exercise("gelu"), id="gelu"),
]
# Element-wise functions: each value is accurate relative to itself, so `scale=1`.
LARGE = [-1e30, -1e4, -1000.0, -100.0, -20.0, -1.0, -1e-3, -0.0, 0.0, 1e-3, 1.0, 20.0, 100.0, 1000.0, 1e4, 1e30]
OPTIONS = {"leaky_relu": "negative_slope", "elu": "alpha"}  # the option each has a mistake for


def activation_hint(name, kwargs):
    """The catalogue's hint for a wrong option, when the failing call set that option."""
    return mistake(name, "option") if OPTIONS.get(name) in kwargs else None


@pytest.mark.parametrize("name, torch_fn", ACTIVATIONS)
@given(x=ts.any_logits(), data=st.data())
def test_activation_matches_torch(impl, device, name, torch_fn, x, data):
    kwargs = data.draw(ts.ACTIVATION_OPTIONS[name], label="options")
    check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs=kwargs, device=device, scale=1.0,
                  hint=activation_hint(name, kwargs))


EXTREME_OPTIONS = {"leaky_relu": {"negative_slope": 2.5}, "elu": {"alpha": 2.0}, "gelu": {"approximate": "tanh"}}


@pytest.mark.parametrize("name, torch_fn", ACTIVATIONS)
@pytest.mark.parametrize("options", ["defaults", "options"])
@DTYPES
def test_activation_at_large_inputs(impl, device, name, torch_fn, options, dtype):
    """Magnitudes up to 1e30, and -inf and inf where torch's value is a number (gelu's
    x * Phi(x) is undefined at -inf: inf * 0)."""
    kwargs = EXTREME_OPTIONS.get(name, {}) if options == "options" else {}
    infinite = [] if name == "gelu" else [np.array([-np.inf, -1.0, 0.0, np.inf], dtype)]
    for x in (np.array(LARGE, dtype), np.array(LARGE, dtype).reshape(4, 2, 2)[1:3], np.asarray(dtype(-1e30)),
              *infinite):
        check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs=kwargs, device=device,
                      scale=1.0, hint=activation_hint(name, kwargs) or mistake(name, "overflow"))


SWEPT = [p for p in ACTIVATIONS if p.values[0] in ts.OPTION_SWEEPS]


@pytest.mark.parametrize("name, torch_fn", SWEPT)
@DTYPES
def test_activation_over_the_range_of_its_option(impl, device, name, torch_fn, dtype):
    """Every option over its documented range (a leaky slope below 0, 0, between 0 and 1
    and above 1; alpha from 0 to above 1; both gelu forms) on negative, zero and positive x."""
    x = np.linspace(-4, 4, 17).astype(dtype).reshape(1, 17)
    for option, values in ts.OPTION_SWEEPS[name].items():
        for value in values:
            check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs={option: value},
                          device=device, scale=1.0, hint=activation_hint(name, {option: value}))


@pytest.mark.exercise("prelu", weight=2)
@given(problem=ts.prelu_inputs())
def test_prelu_matches_torch(impl, device, problem):
    x, weight = problem
    check_forward(impl.prelu, F.prelu, x, weight, argnames=["x", "weight"], device=device, scale=1.0,
                  hint=mistake("prelu", "channel_axis"))


# ---------------------------------------------------------------- multi-layer perceptron
TORCH_ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                     "softmax": lambda t: torch.softmax(t, dim=-1), None: lambda t: t}


def torch_mlp(x, weights, biases, activation="relu", output_activation=None):
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


MLP_OPTIONS = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"activation": st.sampled_from(["relu", "sigmoid", "tanh"]),
                           "output_activation": st.sampled_from([None, "sigmoid", "softmax", "relu", "tanh"])}),
    st.fixed_dictionaries({"output_activation": st.sampled_from(["softmax", "sigmoid"])}),
)


@pytest.mark.exercise("mlp_forward", weight=2)
@given(problem=ts.mlp_inputs(), options=MLP_OPTIONS)
def test_mlp_forward_matches_torch_layers(impl, device, problem, options):
    x, weights, biases = problem
    check_forward(impl.mlp_forward, torch_mlp, x, weights, biases, argnames=["x", "weights", "biases"],
                  kwargs=options, device=device, scale=size_of_numbers(x, weights, biases),
                  terms=sum(W.shape[0] + 1 for W in weights))


@pytest.mark.exercise("mlp_forward")
@DTYPES
def test_mlp_forward_every_activation(impl, device, dtype):
    """The defaults (relu between the layers, raw scores out), then every hidden activation
    with every output activation, on one network of three layers."""
    rng = np.random.default_rng(13)
    sizes = [3, 5, 4, 3]
    weights = [normal(rng, s, dtype) for s in zip(sizes, sizes[1:], strict=False)]
    biases = [normal(rng, (s,), dtype) for s in sizes[1:]]
    x = normal(rng, (6, 3), dtype, 2.0)
    options = [{}] + [{"activation": a, "output_activation": o} for a in ("relu", "sigmoid", "tanh")
                      for o in (None, "sigmoid", "softmax", "relu", "tanh")]
    for kwargs in options:
        check_forward(impl.mlp_forward, torch_mlp, x, weights, biases, argnames=["x", "weights", "biases"],
                      kwargs=kwargs, device=device, scale=size_of_numbers(x, weights, biases), terms=18,
                      hint=mistake("mlp_forward", "defaults")
                      if not kwargs else None)


# ---------------------------------------------------------------- softmax
def softmax_tolerance(x):
    """The module's tolerance rule (gradeschool.testing.oracle) for softmax and log_softmax:
    both are exact functions of x - logsumexp(x), which a correct implementation knows to
    eps * max|x|; softmax = exp(...) carries it as a relative error of each probability,
    log_softmax as an absolute one."""
    size = float(np.abs(x).max(initial=1.0))
    return {"softmax": dict(scale=1.0, rscale=size), "log_softmax": dict(scale=size)}


SOFTMAXES = [
    pytest.param("softmax", torch.softmax, marks=pytest.mark.exercise("softmax", weight=2), id="softmax"),
    pytest.param("log_softmax", torch.log_softmax, marks=pytest.mark.exercise("log_softmax", weight=2),
                 id="log_softmax"),
]


@pytest.mark.parametrize("name, torch_fn", SOFTMAXES)
@given(problem=ts.softmax_inputs())
def test_softmax_matches_torch(impl, device, name, torch_fn, problem):
    x, kwargs = problem
    check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs=kwargs,
                  torch_kwargs={"dim": kwargs.get("axis", -1)}, device=device, terms=x.shape[kwargs.get("axis", -1)],
                  **softmax_tolerance(x)[name], hint=mistake(name, "axis") if kwargs else None)


@pytest.mark.parametrize("name, torch_fn", SOFTMAXES)
@DTYPES
def test_softmax_on_every_axis(impl, device, name, torch_fn, dtype):
    """Every axis, negative and positive, of arrays of 1 to 4 dimensions with sides that
    all differ (a softmax that moves the axis with x.T, or reduces the wrong one, fails),
    and the default axis (-1) of each."""
    rng = np.random.default_rng(5)
    cases = [(shape, {"axis": axis}) for shape, axis in gs.every_axis()]
    for shape, kwargs in cases + [(shape, {}) for shape in dict.fromkeys(s for s, _ in gs.every_axis())]:
        x = normal(rng, shape, dtype, 4.0)
        axis = kwargs.get("axis", -1)
        check_forward(impl.get(name), torch_fn, x, name=name, argnames=["x"], kwargs=kwargs,
                      torch_kwargs={"dim": axis}, device=device, terms=shape[axis], **softmax_tolerance(x)[name],
                      hint=mistake(name, "axis") if kwargs else mistake(name, "default_axis"))


@pytest.mark.parametrize("name, torch_fn", SOFTMAXES)
@DTYPES
def test_softmax_rows_of_different_scales(impl, device, name, torch_fn, dtype):
    """Rows around 1e4, around 0 and around -1e4 in one array, along either axis: one
    maximum for the whole array (np.max(x) without the axis) underflows the other rows."""
    x = np.array([[1e4, 1e4 - 1, 1e4 - 5], [0.0, 1.0, -2.0], [-1e4, -1e4 + 2, -1e4 + 0.5]], dtype)
    for data, axis in [(x, -1), (x.T.copy(), 0)]:
        check_forward(impl.get(name), torch_fn, data, name=name, argnames=["x"], kwargs={"axis": axis},
                      torch_kwargs={"dim": axis}, device=device, terms=3, **softmax_tolerance(data)[name],
                      hint=mistake(name, "per_row_max"))


# ---------------------------------------------------------------- speed
def softmax_gate(name, torch_fn, shape, axis):
    return Gate(name, f"{name}-{label(shape)}-axis{axis}", lambda rng, dtype: ((normal(rng, shape, dtype),),
                {"axis": axis}), learner(name), torch_fn, torch_kwargs={"dim": axis})


def mlp_gate(sizes, n, activation, output_activation):
    def make(rng, dtype):
        x = normal(rng, (n, sizes[0]), dtype)
        weights = [normal(rng, s, dtype, 0.5) for s in zip(sizes, sizes[1:], strict=False)]
        biases = [normal(rng, (s,), dtype) for s in sizes[1:]]
        return (x, weights, biases), {"activation": activation, "output_activation": output_activation}

    return Gate("mlp_forward", f"mlp_forward-{n}x{'-'.join(map(str, sizes))}", make, learner("mlp_forward"),
                torch_mlp)


# (shape, axis): a loop over the rows, over the softmax axis, over the columns, over the
# two other axes of a 3-D array. The softmax axis is gated on ONE row: a loop along it costs
# the same per step whatever the number of rows, while torch's time and a slow correct
# style's (np.logaddexp.reduce, 12-25x torch) grow with them: the loop along the axis
# measured 78x torch at (4, 2048) and 2513x at (1, 8192) (float64).
SOFTMAX_GATE_SHAPES = [((2048, 4), -1), ((1, 8192), -1), ((4, 2048), 0), ((16, 4, 32), 1)]
# Each exercise's limit (max_ratio): between the slowest correct style and the fastest loop
# measured by tests/kit/testing/calibrate_gates.py; the figures and margins (at least 2.3x
# both ways) are in tests/kit/testing/gate_figures.txt.
LIMITS = {
    "step": 15,
    "sigmoid": 35,
    "tanh": 40,
    "relu": 40,
    "leaky_relu": 25,
    "elu": 60,
    "gelu": 30,
    "prelu": 60,
    "perceptron_predict": 8,
    "perceptron_train": 8,
    "dense_forward": 20,
    # measured (5 runs each, load 4.7 on 2 shared cores): the slowest correct style,
    # np.logaddexp.reduce, 11.5-25x at (1, 8192) (everything else <= 8.2x); the fastest
    # loops 156x (rows, (2048, 4)) and 2513x (the softmax axis, (1, 8192)): 2.4x and 2.6x
    # of margin around 60
    "softmax": 60,
    "log_softmax": 60,
    "mlp_forward": 15,
}
SPEED_GATES = limited([
    *elementwise_gates("step", heaviside),
    *elementwise_gates("sigmoid", torch.sigmoid),
    *elementwise_gates("tanh", torch.tanh),
    *elementwise_gates("relu", F.relu),
    *elementwise_gates("leaky_relu", F.leaky_relu, kwargs={"negative_slope": 0.2}),
    *elementwise_gates("elu", F.elu, kwargs={"alpha": 1.5}),
    # the exact gelu needs erf, which NumPy lacks: np.vectorize(math.erf) (the docstring's
    # hint) is a loop, so only the tanh form is gated
    *elementwise_gates("gelu", F.gelu, kwargs={"approximate": "tanh"}),
    *[Gate("prelu", f"prelu-{label(shape, (c,))}", lambda rng, dtype, shape=shape, c=c: (
        normal(rng, shape, dtype, 3.0), rng.uniform(-1, 1, c).astype(dtype)), learner("prelu"), F.prelu)
      for shape, c in [((2048, 4), 4), ((4, 2048), 2048), ((2, 4, 1024), 4), ((8192,), 1)]],
    *[Gate("perceptron_predict", f"perceptron_predict-{label(shape)}", lambda rng, dtype, shape=shape: (
        np.round(normal(rng, shape, dtype, 2.0)), np.round(normal(rng, shape[1:], dtype, 2.0)), 0.5),
        learner("perceptron_predict"), lambda x, w, b: heaviside(x @ w + b))
      for shape in [(2048, 4), (4, 2048)]],
    *[Gate("dense_forward", f"dense_forward-{label(x, w)}", lambda rng, dtype, x=x, w=w: (
        normal(rng, x, dtype), normal(rng, w, dtype), normal(rng, w[1:], dtype)),
        lambda impl: out_of(impl.dense_forward, "dense_forward"), lambda x, W, b: F.linear(x, W.T, b))
      for x, w in [((2048, 4), (4, 4)), ((4, 2048), (2048, 4)), ((4, 4), (4, 2048))]],
    *[softmax_gate(name, fn, shape, axis) for name, fn in [("softmax", torch.softmax),
                                                                       ("log_softmax", torch.log_softmax)]
      for shape, axis in SOFTMAX_GATE_SHAPES],
    mlp_gate([4, 8, 8, 4], 1024, "relu", "softmax"),
    mlp_gate([4, 2048, 4], 2, "tanh", "sigmoid"),
], LIMITS)


@pytest.mark.bench
@pytest.mark.parametrize("gate, dtype", gate_params(SPEED_GATES))
def test_speed(impl, benchmark, gate, dtype):
    run_gate(benchmark, impl, gate, dtype)


# ---------------------------------------------------------------- hidden: the perceptron rule
@pytest.mark.hidden
class TestPerceptronRule:
    """The learning rule replayed step by step (a complete answer, so not released)."""

    @staticmethod
    def rule(x, y, lr, epochs):
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

    @pytest.mark.exercise("perceptron_train", weight=2)
    @settings(max_examples=20)
    @given(problem=ts.perceptron_problems(), epochs=st.integers(1, 6))
    def test_perceptron_train_follows_the_rule(self, impl, problem, epochs):
        x, y, lr = problem
        w, b, mistakes = train(impl, x, y, lr=lr, epochs=epochs)
        rw, rb, rmistakes = self.rule(x, y, lr, epochs)
        call = describe_call("perceptron_train", [x, y], {"lr": lr, "epochs": epochs}, ["x", "y"])
        assert mistakes == rmistakes, f"{call}\n  mistakes per epoch: expected {rmistakes}, got {mistakes}"
        compare(w, np.array(rw), call=call, what="w", rtol=0, atol=0)
        compare(np.float64(b), np.float64(rb), call=call, what="b", rtol=0, atol=0)

    @staticmethod
    def torch_rule(x, y, lr, epochs):
        """The rule in torch, one dot product per sample: the work a vectorised answer does."""
        w, b, mistakes = torch.zeros(x.shape[1], dtype=x.dtype), 0.0, []
        for _ in range(epochs):
            wrong = 0
            for xi, yi in zip(x, y.tolist(), strict=True):
                error = yi - float(torch.dot(xi, w) + b >= 0)
                if error:
                    w += lr * error * xi
                    b += lr * error
                    wrong += 1
            mistakes.append(wrong)
            if wrong == 0:
                break
        return w, b, mistakes

    # a loop over features runs 2048 cheap steps per sample
    @pytest.mark.bench
    @pytest.mark.exercise("perceptron_train")
    @DTYPES
    def test_perceptron_train_speed(self, impl, benchmark, dtype):
        rng = np.random.default_rng(0)
        x, y = np.round(normal(rng, (16, 2048), dtype)), (rng.random(16) < 0.5).astype(dtype)
        gate = Gate("perceptron_train", "16x2048", lambda rng, dt: ((x, y, 1.0, 4), {}), learner("perceptron_train"),
                    self.torch_rule, LIMITS["perceptron_train"])
        run_gate(benchmark, impl, gate, dtype)
