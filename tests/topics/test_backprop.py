"""Topic 3 — backprop: backward passes against torch autograd, gradient checking,
initialisers against their variance formulas, the MLP against the same torch network
(explicit parameters and its own initialisation), the training loop against
torch.optim.SGD (then the XOR / spirals / digits capstone), and speed gates.

Domain: backward passes on every rank from 0-d to 4-D (empty arrays included), every
option over its documented range and the defaults, softmax_backward on every axis; the
MLP built with and without `params`, every documented attribute read.

Tests of each exercise run cheap first: under --mutants a mutant's remaining tests are
skipped once one catches it. The torch references and the speed gates' pairs are in
gradeschool.testing.references.backprop, softmax_backward's error scale and the
initialisers' statistical bounds in gradeschool.testing.tolerances.backprop."""

import copy
import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool import datasets as data
from gradeschool.pictures.training import plot_decision_boundary, plot_loss_curve
from gradeschool.testing import check_layer, compare
from gradeschool.testing import references as ref
from gradeschool.testing import strategies as gs
from gradeschool.testing.gates import elementwise_gates, label, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import (
    LearnerFailure,
    check_untouched,
    describe_call,
    describe_value,
    snapshots,
    to_torch,
    tolerance,
)
from gradeschool.testing.references.backprop import (
    dense_pass,
    init_gate,
    mlp_gate,
    torch_backward,
    torch_dense_pass,
    torch_relative_error,
    torch_softmax,
    train_gate,
)
from gradeschool.testing.speed import Gate, gate_params, limited, run_gate
from gradeschool.testing.strategies import backprop as ts
from gradeschool.testing.strategies import neuron as neuron_strategies
from gradeschool.testing.strategies.backprop import (
    cube_sum,
    log_one_plus_sum_exp,
    position_weights,
    square_of_sum,
    weighted_sum,
    x_sin_x,
)
from gradeschool.testing.tolerances.backprop import check_statistics, softmax_backward_tolerance


def _fail(call, problem, hint=None):
    raise LearnerFailure(f"{call}\n  {problem}" + (f"\n  hint: {hint}" if hint else ""))


# ---------------------------------------------------------------- dense_backward
@pytest.mark.exercise("dense_backward", weight=3)
@given(args=gs.dtypes.flatmap(ts.dense_args))
def test_dense_backward_matches_autograd(impl, device, args):
    x, W, _ = args
    check_layer(impl.dense_forward, impl.dense_backward, lambda x, W, b: F.linear(x, W.T, b), *args,
                grad_wrt=(0, 1, 2), argnames=["x", "W", "b"], device=device,
                scale=25.0, terms=max(x.shape[0], *W.shape))


# ---------------------------------------------------------------- activation backward passes
ACTIVATIONS = [
    pytest.param("sigmoid_backward", torch.sigmoid, marks=pytest.mark.exercise("sigmoid_backward")),
    pytest.param("tanh_backward", torch.tanh, marks=pytest.mark.exercise("tanh_backward")),
    pytest.param("relu_backward", F.relu, marks=pytest.mark.exercise("relu_backward")),
    pytest.param("leaky_relu_backward", F.leaky_relu, marks=pytest.mark.exercise("leaky_relu_backward")),
    pytest.param("elu_backward", F.elu, marks=pytest.mark.exercise("elu_backward")),
]


def check_backward(impl, device, name, torch_fn, dout, x, kwargs, **tol):
    """dx = fn(dout, x, **kwargs) against autograd's vector-Jacobian product for `dout`,
    both computed from copies taken before the call."""
    call = describe_call(name, [dout, x], kwargs, ["dout", "x"])
    before = snapshots.take([dout, x], kwargs)
    got = impl.get(name)(dout, x, **kwargs)
    check_untouched(call, [dout, x], kwargs, before, ["dout", "x"])
    (d0, x0), k0 = before
    tx = to_torch(x0, device, requires_grad=True)
    (expected,) = torch.autograd.grad(torch_fn(tx, **k0), tx, to_torch(d0, device))
    compare(got, expected, call=call, what="dx", dtype=x.dtype, **tol)


@pytest.mark.parametrize("name, torch_fn", ACTIVATIONS, ids=lambda v: v if isinstance(v, str) else "")
@given(data=st.data())
def test_activation_backward_matches_autograd(impl, device, name, torch_fn, data):
    dout, x, kwargs = data.draw(ts.activation_problems(name), label="dout, x, options")
    option = {"leaky_relu_backward": "negative_slope", "elu_backward": "alpha"}.get(name)
    check_backward(impl, device, name, torch_fn, dout, x, kwargs, scale=float(np.abs(dout).max(initial=1)),
                   hint=mistake(name, "option") if option in kwargs else None)


@pytest.mark.parametrize("name, torch_fn", ACTIVATIONS, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_activation_backward_at_kinks_and_over_the_range_of_its_option(impl, device, name, torch_fn, dtype):
    """x from -4 to 4 through exactly 0 (where ReLU-like derivatives jump), with the
    defaults, then negative_slope below 0, 0, between 0 and 1 and above 1, and alpha from 0
    to above 1."""
    forward = name.removesuffix("_backward")
    x = np.linspace(-4, 4, 17).astype(dtype)
    dout = normal(np.random.default_rng(2), x.shape, dtype)
    check_backward(impl, device, name, torch_fn, dout, x, {}, scale=4.0)
    for option, values in neuron_strategies.OPTION_SWEEPS.get(forward, {}).items():
        for value in values:
            check_backward(impl, device, name, torch_fn, dout, x, {option: value}, scale=4.0,
                           hint=mistake(name, "option"))


@pytest.mark.exercise("softmax_backward", weight=2)
@given(problem=neuron_strategies.softmax_inputs(), seed=gs.seeds)
def test_softmax_backward_matches_autograd(impl, device, problem, seed):
    x, kwargs = problem
    dout = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    check_backward(impl, device, "softmax_backward", torch_softmax, dout, x, kwargs,
                   terms=x.shape[kwargs.get("axis", -1)], **softmax_backward_tolerance(dout, x),
                   hint=mistake("softmax_backward", "axis") if kwargs else None)


@pytest.mark.exercise("softmax_backward")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_softmax_backward_on_every_axis(impl, device, dtype):
    """Every axis of 1- to 4-D arrays whose sides all differ, and the default axis."""
    rng = np.random.default_rng(6)
    shapes = dict.fromkeys(s for s, _ in gs.every_axis())
    for shape, kwargs in [(s, {"axis": a}) for s, a in gs.every_axis()] + [(s, {}) for s in shapes]:
        x, dout = normal(rng, shape, dtype, 3.0), normal(rng, shape, dtype)
        check_backward(impl, device, "softmax_backward", torch_softmax, dout, x, kwargs,
                       terms=shape[kwargs.get("axis", -1)], **softmax_backward_tolerance(dout, x),
                       hint=mistake("softmax_backward", "axis"))


# ---------------------------------------------------------------- numerical_gradient
# Known functions (strategies.backprop) and their exact gradients. `third` bounds |f'''| along
# any coordinate on [-2, 2]: the truncation error of central differences is h**2 / 6 * |f'''|.
KNOWN = [
    pytest.param(cube_sum, lambda x: 3 * x**2, 6.0, id="sum(x^3)"),
    pytest.param(x_sin_x, lambda x: np.sin(x) + x * np.cos(x), 5.0, id="sum(x sin x)"),
    pytest.param(square_of_sum, lambda x: np.full_like(x, 2 * x.sum()), 0.0, id="sum(x)^2"),
    pytest.param(log_one_plus_sum_exp, lambda x: np.exp(x) / (1 + np.exp(x).sum()), 1.0, id="log(1+sum exp x)"),
    pytest.param(weighted_sum, lambda x: position_weights(x.shape), 0.0, id="sum(c x)"),
]
POINTS = gs.dtype_and(gs.arrays, gs.any_shapes(max_dims=3, max_side=3), -2.0, 2.0)


def numerical_gradient(impl, f, x, **kwargs):
    """The learner's numerical_gradient(f, x, **kwargs), with x left alone."""
    call = describe_call("numerical_gradient", [f, x], kwargs, ["f", "x"])
    before = snapshots.take([f, x], kwargs)
    got = impl.numerical_gradient(f, x, **kwargs)
    check_untouched(call, [f, x], kwargs, before, ["f", "x"])
    return got, call


@pytest.mark.exercise("numerical_gradient")
@pytest.mark.parametrize("h", [1e-2, 1e-3])
@given(x=POINTS)
def test_numerical_gradient_is_central_with_step_h(impl, x, h):
    """For f = sum(x**3) central differences give exactly 3 x**2 + h**2 (forward
    differences: 3 x**2 + 3 x h + h**2), so the step and the formula both show."""
    _, x = x
    got, call = numerical_gradient(impl, cube_sum, x, h=h)
    x64 = x.astype(np.float64)
    rtol, atol = tolerance(x.dtype, scale=12.0)
    # float64 rounding of (f(x+h) - f(x-h)) / 2h: about eps * |f| / h, with |f| <= 8 * x.size
    atol += 8 * np.finfo(np.float64).eps * 8 * max(x.size, 1) / h
    compare(got, 3 * x64**2 + h**2, call=call, what="the gradient", dtype=x.dtype, rtol=rtol, atol=atol,
            hint=mistake("numerical_gradient", "not_central"))


@pytest.mark.exercise("numerical_gradient", weight=2)
@pytest.mark.parametrize("f, grad, third", KNOWN)
@given(x=POINTS)
def test_numerical_gradient_of_known_functions(impl, f, grad, third, x):
    """With the default h = 1e-5 the error is h**2 / 6 * |f'''| (truncation) plus about
    eps * |f| / h (rounding), both far below 1e-7 here. x has any shape (0-d and empty
    included), and f must be given a float64 array of x's shape."""
    _, x = x
    h = 1e-5
    got, call = numerical_gradient(impl, f, x)
    x64 = x.astype(np.float64)
    f_size = abs(f(x64)) + np.abs(x64).sum() ** 2 + 2 * position_weights(x.shape).sum() + 1.0
    bound = h**2 / 6 * third + 8 * np.finfo(np.float64).eps * f_size / h
    expected = grad(x64)
    rtol, atol = tolerance(x.dtype, scale=float(np.abs(expected).max(initial=1)))
    compare(got, expected, call=call, what="the gradient", dtype=x.dtype, rtol=rtol, atol=atol + bound,
            hint=mistake("numerical_gradient", "float32_evaluation"))


# ---------------------------------------------------------------- gradient_check
@pytest.mark.exercise("gradient_check")
@pytest.mark.parametrize("a, n, kwargs, expected", [
    pytest.param([0.0, 0.0], [0.0, 0.0], {}, 0.0, id="both-zero"),
    pytest.param([1.0, -2.0], [-1.0, -2.0], {}, 1.0, id="opposite-signs"),
    pytest.param([1e-3, 5.0], [2e-3, 5.0], {}, 1 / 3, id="largest-not-mean"),
    pytest.param([0.0, 100.0], [1e-13, 100.0], {}, 0.1, id="tiny-floor"),
    pytest.param([0.0, 1e-3], [0.0, 2e-3], {"tiny": 1.0}, 1e-3, id="tiny=1"),
    pytest.param(5.0, 4.0, {}, 1 / 9, id="0-d"),
    pytest.param([], [], {}, 0.0, id="empty"),
])
def test_gradient_check_on_simple_cases(impl, a, n, kwargs, expected):
    a, n = np.array(a), np.array(n)
    call = describe_call("gradient_check", [a, n], kwargs, ["analytic", "numeric"])
    got = impl.gradient_check(a, n, **kwargs)
    if not isinstance(got, float):
        _fail(call, f"returned a {type(got).__name__}, expected a Python float",
              mistake("gradient_check", "python_float"))
    if not math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15):
        _fail(call, f"returned {got!r}, expected {expected!r}",
              mistake("gradient_check", "formula"))


@pytest.mark.exercise("gradient_check")
@given(an=gs.dtype_and(gs.arrays, gs.any_shapes()).flatmap(
    lambda d: st.tuples(st.just(d[1]), gs.arrays(d[0], d[1].shape, extremes=(0.0,)))),
    tiny=st.one_of(st.none(), st.sampled_from([1e-12, 1e-6, 1.0, 10.0])))
def test_gradient_check_matches_formula(impl, an, tiny):
    """Any shape (0-d included; 0.0 for empty arrays), `tiny` given or left at 1e-12."""
    a, n = an
    kwargs = {} if tiny is None else {"tiny": tiny}
    call = describe_call("gradient_check", [a, n], kwargs, ["analytic", "numeric"])
    before = snapshots.take([a, n], kwargs)
    got = impl.gradient_check(a, n, **kwargs)
    check_untouched(call, [a, n], kwargs, before, ["analytic", "numeric"])
    expected = torch_relative_error(*to_torch([a, n], "cpu"), **kwargs)
    if not isinstance(got, float) or not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
        _fail(call, f"returned {got!r}, expected {expected!r}",
              mistake("gradient_check", "formula"))


WRONG_DW = [
    pytest.param(lambda x, dout: (x.T @ dout) * 2, id="twice-dW"),
    pytest.param(lambda x, dout: np.outer(x[0], dout[0]), id="first-sample-only"),
    pytest.param(lambda x, dout: (dout.T @ x).T[::-1], id="rows-reversed"),
]


@pytest.mark.exercise("gradient_check", weight=2)
@pytest.mark.parametrize("wrong_dW", WRONG_DW)
def test_gradient_check_accepts_right_and_rejects_wrong_gradients(impl, wrong_dW):
    """L(W) = sum(dout * (x @ W + b)) has dL/dW = x.T @ dout, and its numerical gradient
    differs from it by a relative 1e-10 or so (the rounding of central differences).
    gradient_check must pass the right one (error < 1e-7) and flag a wrong one (> 1e-2)."""
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    right = x.T @ dout
    numeric = right * (1 + 1e-10 * rng.standard_normal(right.shape))
    call = "gradient_check(dL/dW, numerical dL/dW) for L(W) = sum(dout * (x @ W + b))"
    ok, wrong = impl.gradient_check(right, numeric), impl.gradient_check(wrong_dW(x, dout), numeric)
    if not ok < 1e-7:
        _fail(call, f"the right gradient x.T @ dout gets relative error {ok:.3g}, expected < 1e-7")
    if not wrong > 1e-2:
        _fail(call, f"a wrong gradient gets relative error {wrong:.3g}, expected > 1e-2: the check "
                    "would let a bug through")


# ---------------------------------------------------------------- initialisers
# (name, is_normal, parameter): the uniform's limit or the normal's std.
INITS = [
    pytest.param("xavier_uniform", False, lambda fi, fo: math.sqrt(6 / (fi + fo)),
                 marks=pytest.mark.exercise("xavier_uniform"), id="xavier_uniform"),
    pytest.param("xavier_normal", True, lambda fi, fo: math.sqrt(2 / (fi + fo)),
                 marks=pytest.mark.exercise("xavier_normal"), id="xavier_normal"),
    pytest.param("he_uniform", False, lambda fi, fo: math.sqrt(6 / fi),
                 marks=pytest.mark.exercise("he_uniform"), id="he_uniform"),
    pytest.param("he_normal", True, lambda fi, fo: math.sqrt(2 / fi),
                 marks=pytest.mark.exercise("he_normal"), id="he_normal"),
]


@pytest.mark.parametrize("name, is_normal, param", INITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, None], ids=["f32", "f64", "default"])
def test_init_shape_dtype_and_seed(impl, name, is_normal, param, dtype):
    """Shape (fan_in, fan_out), the dtype (float64 by default), and the documented rng: an
    int seed and np.random.default_rng(seed) give the same weights, None fresh ones."""
    init = impl.get(name)
    options = {} if dtype is None else {"dtype": dtype}
    call = f"{name}(3, 5, rng=7{'' if dtype is None else ', dtype=' + np.dtype(dtype).name})"
    w = init(3, 5, rng=7, **options)
    want = np.dtype(dtype or np.float64)
    if type(w) is not np.ndarray or w.shape != (3, 5) or w.dtype != want:
        _fail(call, f"returned {describe_value(w)}, expected a {want} array of shape (3, 5)",
              mistake(name, "shape_dtype"))
    hint = mistake(name, "global_state")
    if not np.array_equal(w, init(3, 5, rng=7, **options)):
        _fail(call, "two calls with the same seed gave different weights", hint)
    if np.array_equal(w, init(3, 5, rng=8, **options)):
        _fail(call, "the seeds 7 and 8 gave the same weights", mistake(name, "seed_used"))
    if not np.array_equal(w, init(3, 5, rng=np.random.default_rng(7), **options)):
        _fail(call, "rng=np.random.default_rng(7) gave other weights than rng=7",
              mistake(name, "seed_or_generator"))
    if np.array_equal(init(3, 5, **options), init(3, 5, **options)):
        _fail(f"{name}(3, 5) twice", "two calls without a seed (rng=None) gave the same weights", hint)


@pytest.mark.parametrize("name, is_normal, param", INITS)
@pytest.mark.parametrize("fans", [(400, 100), (100, 400), (1000, 1000), (1, 50000)],
                         ids=lambda f: f"{f[0]}x{f[1]}")
def test_init_statistics_match_formula(impl, name, is_normal, param, fans):
    """Mean, variance and range of 40 000+ weights against the formula."""
    fan_in, fan_out = fans
    w = impl.get(name)(fan_in, fan_out, rng=0, dtype=np.float64)
    check_statistics(f"{name}(fan_in={fan_in}, fan_out={fan_out}, rng=0)", w, is_normal, param(fan_in, fan_out), name)


# ---------------------------------------------------------------- MLP
def build_mlp(impl, sizes, options, **kwargs):
    """impl.MLP(sizes, **options, **kwargs) and the call that built it, for messages."""
    args = {**options, **kwargs}
    shown = {k: describe_value(v) if k == "params" else v for k, v in args.items()}
    return impl.MLP(sizes, **args), f"MLP({sizes}, {', '.join(f'{k}={v}' for k, v in shown.items())})"


@pytest.mark.exercise("MLP")
@given(case=ts.mlp_cases())
def test_mlp_penalty_matches_formula(impl, device, case):
    sizes, params, x, options, _ = case
    model, call = build_mlp(impl, sizes, options, dtype=x.dtype, params=params)
    got = model.penalty()
    call += ".penalty()"
    if not isinstance(got, float):
        _fail(call, f"returned a {type(got).__name__}, expected a Python float")
    penalty = ref.mlp_penalty(ref.leaves(params, device), options["l1"], options["l2"])
    terms = sum(p.size for p in params)
    compare(np.float64(got), penalty, call=call, what="the penalty", terms=terms,
            rtol=tolerance(x.dtype, terms=terms)[0],
            hint=mistake("MLP", "penalty_terms"))


def check_mlp_pass(model, call, params, x, options, dout, device):
    """forward(x) then backward(dout): the scores, dx and every gradient of
    <dout, scores> + penalty against torch autograd on the same network."""
    before = snapshots.take([x, dout], {})
    scores = model.forward(x)
    dx = model.backward(dout)
    check_untouched(call, [x, dout], {}, before, ["x", "dout"])
    tp, tx = ref.leaves(params, device), to_torch(before[0][0], device, requires_grad=True)
    out = ref.mlp_scores(tp, tx, options.get("activation", "relu"))
    penalty = ref.mlp_penalty(tp, options["l1"], options["l2"])
    refs = torch.autograd.grad((out * to_torch(dout, device)).sum() + penalty, [tx, *tp])
    terms = max(len(x), *(p.shape[0] for p in params)) * len(params)
    scale = max(1.0, float(out.detach().abs().max()))
    compare(scores, out, call=f"{call}.forward(x: {describe_value(x)})", what="the scores", dtype=x.dtype,
            terms=terms, scale=scale, hint=mistake("MLP", "output_activation"))
    bcall = f"{call}.backward(dout) after forward(x: {describe_value(x)})"
    compare(dx, refs[0], call=bcall, what="dx", dtype=x.dtype, terms=terms)
    grads = model.grads
    if len(grads) != len(params):
        _fail(bcall, f"model.grads has {len(grads)} arrays, expected {len(params)} (one per parameter)")
    for i, (g, r) in enumerate(zip(grads, refs[1:], strict=True)):
        name = f"{'W' if i % 2 == 0 else 'b'}{i // 2 + 1}"
        compare(g, r, call=bcall, what=f"the gradient of {name} (grads[{i}])", dtype=x.dtype, terms=terms,
                hint=mistake("MLP", "penalty_gradient"))


@pytest.mark.exercise("MLP", weight=4)
@given(case=ts.mlp_cases())
def test_mlp_forward_backward_match_autograd(impl, device, case):
    """Scores, dx and every parameter's gradient of <dout, scores> + penalty, for a random
    upstream dout, against torch autograd on the same network with the same weights (the
    activation left out now and then: relu by default)."""
    sizes, params, x, options, dout = case
    model, call = build_mlp(impl, sizes, options, dtype=x.dtype, params=params)
    check_mlp_pass(model, call, params, x, options, dout, device)


@pytest.mark.exercise("MLP")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_mlp_passes_use_the_last_forward_and_replace_the_grads(impl, device, dtype):
    """forward(x1), forward(x2), backward(dout) is the backward pass of x2; a second
    backward(dout) gives the same grads again (they are replaced, not added up); the
    caller's params are copied, not shared."""
    rng = np.random.default_rng(3)
    sizes, options = [3, 5, 4, 2], {"activation": "tanh", "l1": 0.1, "l2": 0.2}
    params = [normal(rng, s, dtype) for a, b in zip(sizes, sizes[1:], strict=False) for s in ((a, b), (b,))]
    given_params = snapshots.snapshot(params)
    model, call = build_mlp(impl, sizes, options, dtype=dtype, params=params)
    model.forward(normal(rng, (6, 3), dtype))
    x, dout = normal(rng, (4, 3), dtype), normal(rng, (4, 2), dtype)
    check_mlp_pass(model, f"{call}, after a forward pass of another batch", params, x, options, dout, device)
    first = snapshots.snapshot(list(model.grads))
    model.backward(dout)
    for i, (g, f) in enumerate(zip(model.grads, first, strict=True)):
        compare(g, f, call=f"{call}: backward(dout) twice after forward(x)", what=f"grads[{i}] the second time",
                rtol=0, atol=0, hint=mistake("MLP", "grads_replaced"))
    for p in model.params:
        p -= 1.0
    check_untouched(f"{call}, then model.params updated in place", [params], {}, ([given_params], {}), ["params"])


MLP_INITS = [("relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier"), (None, "he")]


@pytest.mark.exercise("MLP")
@pytest.mark.parametrize("activation, init", MLP_INITS, ids=[str(a) for a, _ in MLP_INITS])
@pytest.mark.parametrize("dtype", [np.float32, None], ids=["f32", "default"])
def test_mlp_default_initialisation(impl, activation, init, dtype):
    """Built without params: He normal weights for relu (the default activation), Xavier
    normal otherwise, zero biases, the dtype (float64 by default), the documented
    attributes, and rng as a seed or a Generator (the same weights)."""
    sizes = [300, 200, 100]
    options = {k: v for k, v in (("activation", activation), ("dtype", dtype)) if v is not None}
    model, call = build_mlp(impl, sizes, options, rng=0)
    want = np.dtype(dtype or np.float64)
    for name, value, expected in [("sizes", list(model.sizes), sizes), ("activation", model.activation,
                                  activation or "relu"), ("l1", model.l1, 0.0), ("l2", model.l2, 0.0)]:
        if value != expected:
            _fail(call, f"model.{name} is {value!r}, expected {expected!r}")
    params = model.params
    shapes = [s for a, b in zip(sizes, sizes[1:], strict=False) for s in ((a, b), (b,))]
    if [getattr(p, "shape", None) for p in params] != shapes or any(p.dtype != want for p in params):
        _fail(call, f"model.params is {describe_value(params)}, expected {want} arrays of shapes {shapes}")
    for layer, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        std = math.sqrt(2 / fan_in) if init == "he" else math.sqrt(2 / (fan_in + fan_out))
        check_statistics(f"{call}: params[{2 * layer}] (W{layer + 1})", params[2 * layer], True, std, "MLP",
                         hint=mistake("MLP", "initialisation"))
        compare(params[2 * layer + 1], np.zeros(fan_out), call=call, what=f"params[{2 * layer + 1}] (b{layer + 1})",
                dtype=want, rtol=0, atol=0, hint=mistake("MLP", "zero_biases"))
    again, _ = build_mlp(impl, sizes, options, rng=np.random.default_rng(0))
    if not all(np.array_equal(a, b) for a, b in zip(params, again.params, strict=True)):
        _fail(call, "rng=np.random.default_rng(0) gave other weights than rng=0",
              mistake("MLP", "seed_or_generator"))


# ---------------------------------------------------------------- train_mlp: the exact trajectory
def _diagnose(got_params, X, y, W, b, options):
    """A hint naming the likely mistake, by replaying common wrong variants with torch."""
    unchanged = all(np.array_equal(g, p) for g, p in zip(got_params, (W, b), strict=True))
    if unchanged:
        return mistake("train_mlp", "not_in_place")
    fixed_order, _ = ref.sgd_training([W, b], X, y, shuffle=False, **options)
    if all(np.allclose(g, r.numpy(), rtol=1e-4, atol=1e-6) for g, r in zip(got_params, fixed_order, strict=True)):
        return mistake("train_mlp", "no_shuffle")
    return mistake("train_mlp", "protocol")


def check_training(impl, X, y, W, b, options, l2, defaults=()):
    """train_mlp on a one-layer MLP (scores = x @ W + b, L2 penalty) against the documented
    protocol run by torch.optim.SGD: the parameters after training and the loss per epoch.
    `defaults` names the options left out of the call (their documented defaults apply)."""
    dtype = X.dtype
    model = impl.MLP([W.shape[0], W.shape[1]], l2=l2, dtype=dtype, params=[W, b])
    given_options = {k: v for k, v in options.items() if k not in defaults}
    call = (f"train_mlp(MLP([{W.shape[0]}, {W.shape[1]}], l2={l2}), X: {describe_value(X)}, y, "
            f"{', '.join(f'{k}={v!r}' for k, v in given_options.items())})")
    reference_options = copy.deepcopy(options)  # a Generator as rng: the reference gets its own copy
    losses = impl.train_mlp(model, X, y, **given_options)
    expected_params, expected_losses = ref.sgd_training([W, b], X, y, l2=l2, **copy.deepcopy(reference_options))
    got_params = list(model.params)
    steps = options["epochs"] * -(-len(X) // options["batch_size"])
    rtol, atol = tolerance(dtype, scale=4.0, terms=steps)
    for name, got, expected in zip(("W", "b"), got_params, expected_params, strict=True):
        try:
            compare(got, expected, call=call, what=f"the trained {name}", dtype=dtype, rtol=rtol, atol=atol)
        except LearnerFailure as failure:
            hint = _diagnose(got_params, X, y, W, b, {**copy.deepcopy(reference_options), "l2": l2})
            raise LearnerFailure(f"{failure}\n  hint: {hint}") from None
    if not isinstance(losses, list) or len(losses) != options["epochs"]:
        _fail(call, f"returned {describe_value(losses)}, expected a list of {options['epochs']} losses, one per epoch")
    compare(np.array(losses, dtype=np.float64), np.array(expected_losses), call=call, what="the losses per epoch",
            dtype=np.float64, rtol=rtol, atol=atol,
            hint=mistake("train_mlp", "epoch_loss"))


def training_data(n, dtype, seed=1, n_features=3, n_classes=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)).astype(dtype)
    y = rng.integers(0, n_classes, n)
    W, b = rng.standard_normal((n_features, n_classes)).astype(dtype), np.zeros(n_classes, dtype=dtype)
    return X, y, W, b


@pytest.mark.exercise("train_mlp", weight=3)
@pytest.mark.parametrize("batch_size", [1, 4, 10], ids=["sgd", "minibatch", "full-batch"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("seed", ["int", "generator"])
def test_train_mlp_follows_the_reference_trajectory(impl, batch_size, dtype, seed):
    """3 epochs on 10 samples must end with the parameters, and report the losses, of the
    documented protocol run by torch.optim.SGD with the same seeded permutations (rng as a
    seed or as a np.random.Generator)."""
    X, y, W, b = training_data(10, dtype)
    rng = 7 if seed == "int" else np.random.default_rng(7)
    options = {"epochs": 3, "lr": 0.5, "batch_size": batch_size, "rng": rng}
    check_training(impl, X, y, W, b, options, l2=0.1)


@pytest.mark.exercise("train_mlp")
def test_train_mlp_defaults(impl):
    """train_mlp(model, X, y) alone: 100 epochs, lr = 0.1, batches of 32 (40 samples: one of
    32, one of 8), rng = 0."""
    X, y, W, b = training_data(40, np.float64, seed=2)
    options = {"epochs": 100, "lr": 0.1, "batch_size": 32, "rng": 0}
    check_training(impl, X, y, W, b, options, l2=0.0, defaults=tuple(options))


# ---------------------------------------------------------------- train_mlp: the capstone
def _init_params(sizes, seed):
    """He-normal weights and zero biases (independent of the learner's initialisers)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.normal(0, math.sqrt(2 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)]
    return params


CAPSTONES = [
    # name, loader, sizes, activation, training options, accuracy on (set, threshold)
    pytest.param("xor", data.load_xor, [2, 8, 2], "tanh", dict(epochs=500, lr=0.5, batch_size=4),
                 ("train", 1.0), id="xor"),
    pytest.param("spirals", data.load_spirals, [2, 64, 64, 2], "relu", dict(epochs=300, lr=0.1, batch_size=32),
                 ("train", 0.95), id="spirals"),
    pytest.param("digits", data.load_digits, [64, 64, 10], "relu", dict(epochs=20, lr=0.1, batch_size=32),
                 ("test", 0.95), id="digits"),
]


@pytest.mark.exercise("train_mlp", weight=2)
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name, loader, sizes, activation, options, goal", CAPSTONES)
def test_capstone_training_reaches_accuracy(impl, tmp_path, record_property, name, loader, sizes, activation,
                                            options, goal):
    X, y, X_test, y_test = loader()
    model = impl.MLP(sizes, activation=activation, params=_init_params(sizes, 0))
    start = time.perf_counter()
    losses = impl.train_mlp(model, X, y, rng=0, **options)
    seconds = time.perf_counter() - start
    which, threshold = goal
    Xe, ye = (X, y) if which == "train" else (X_test, y_test)
    accuracy = float(np.mean(model.predict(Xe) == ye))
    record_property("accuracy", accuracy)
    record_property("seconds", round(seconds, 3))
    print(f"\ncapstone {name}: {which} accuracy {accuracy:.4f} after {options['epochs']} epochs in {seconds:.2f} s")
    if accuracy < threshold:
        _fail(f"train_mlp(MLP({sizes}, {activation!r}), {name}, {options})",
              f"{which} accuracy {accuracy:.3f}, expected at least {threshold} (final loss {losses[-1]:.4g})",
              mistake("train_mlp", "capstone"))
    curve = plot_loss_curve(losses, tmp_path / f"{name}-loss.png")
    assert curve.stat().st_size > 1000
    if X.shape[1] == 2:
        boundary = plot_decision_boundary(model.predict, X, y, tmp_path / f"{name}-boundary.png")
        assert boundary.stat().st_size > 1000


# ---------------------------------------------------------------- speed
ACTIVATION_GATES = [("sigmoid_backward", torch.sigmoid, {}), ("tanh_backward", torch.tanh, {}),
                    ("relu_backward", F.relu, {}), ("leaky_relu_backward", F.leaky_relu, {"negative_slope": 0.2}),
                    ("elu_backward", F.elu, {"alpha": 1.5})]
# Each exercise's limit (max_ratio): between the slowest correct style and the fastest loop
# measured by tests/kit/testing/calibrate_gates.py; the figures and margins (at least 2.3x
# both ways) are in tests/kit/testing/gate_figures.txt.
LIMITS = {
    "dense_backward": 8,
    "sigmoid_backward": 40,
    "tanh_backward": 20,
    "relu_backward": 20,
    "leaky_relu_backward": 6,
    "elu_backward": 40,
    "softmax_backward": 25,
    "gradient_check": 8,
    "xavier_uniform": 40,
    "xavier_normal": 8,
    "he_uniform": 16,
    "he_normal": 10,
    "MLP": 5,
    "train_mlp": 4,
}
SPEED_GATES = limited([
    *[Gate("dense_backward", f"dense_backward-{label(x, w)}", lambda rng, dtype, x=x, w=w: (
        normal(rng, x, dtype), normal(rng, w, dtype), normal(rng, w[1:], dtype), normal(rng, (x[0], w[1]), dtype)),
        dense_pass, torch_dense_pass, name="dense_forward + dense_backward")
      for x, w in [((2048, 4), (4, 4)), ((4, 2048), (2048, 4)), ((4, 4), (4, 2048))]],
    *[gate for name, fn, kwargs in ACTIVATION_GATES for gate in elementwise_gates(
        name, torch_backward(fn), kwargs=kwargs,
        make=lambda rng, shape, dtype: (normal(rng, shape, dtype), normal(rng, shape, dtype, 3.0)))],
    *[Gate("softmax_backward", f"softmax_backward-{label(shape)}-axis{axis}", lambda rng, dtype, shape=shape,
           axis=axis: ((normal(rng, shape, dtype), normal(rng, shape, dtype, 3.0)), {"axis": axis}),
           lambda impl: impl.softmax_backward, torch_backward(torch_softmax))
      for shape, axis in [((2048, 4), -1), ((4, 2048), -1), ((4, 2048), 0), ((16, 4, 32), 1)]],
    *elementwise_gates("gradient_check", lambda a, n: torch_relative_error(a, n),
                       make=lambda rng, shape, dtype: (normal(rng, shape, dtype), normal(rng, shape, dtype))),
    *[init_gate(name, init, fans) for name, init in [
        ("xavier_uniform", torch.nn.init.xavier_uniform_), ("xavier_normal", torch.nn.init.xavier_normal_),
        ("he_uniform", lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu")),
        ("he_normal", lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"))]
      for fans in [(4096, 2), (2, 4096)]],
    mlp_gate([4, 8, 8, 4], 1024, "relu"),
    mlp_gate([4, 2048, 4], 2, "tanh"),
    train_gate(),
], LIMITS)


@pytest.mark.bench
@pytest.mark.parametrize("gate, dtype", gate_params(SPEED_GATES))
def test_speed(impl, benchmark, gate, dtype):
    run_gate(benchmark, impl, gate, dtype)
