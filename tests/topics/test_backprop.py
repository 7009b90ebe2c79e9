"""Topic 3 — backprop: backward passes against torch autograd, gradient checking,
initialisers against their variance formulas, the MLP against the same torch network,
and the training loop (a scripted model first, then the XOR / spirals / digits capstone).

Tests of each exercise run cheap first: under --mutants a mutant's remaining tests are
skipped once one catches it."""

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
from gradeschool.testing import strategies as gs
from gradeschool.testing.oracle import LearnerFailure, describe_call, describe_value, to_torch, tolerance
from gradeschool.testing.strategies import backprop as ts


def _fail(call, problem, hint=None):
    raise LearnerFailure(f"{call}\n  {problem}" + (f"\n  hint: {hint}" if hint else ""))


def _check_untouched(call, named_arrays, before):
    for (name, a), b in zip(named_arrays.items(), before, strict=True):
        if not np.array_equal(a, b, equal_nan=True):
            _fail(call, f"modified its input `{name}` in place", "Work on copies of your inputs.")


# ---------------------------------------------------------------- dense_backward
@pytest.mark.exercise("dense_backward", weight=3)
@given(args=gs.dtypes.flatmap(ts.dense_args))
def test_dense_backward_matches_autograd(impl, device, args):
    x, W, _ = args
    check_layer(impl.dense_forward, impl.dense_backward, lambda x, W, b: F.linear(x, W.T, b), *args,
                grad_wrt=(0, 1, 2), argnames=["x", "W", "b"], device=device,
                scale=25.0, terms=max(x.shape[0], *W.shape))


# ---------------------------------------------------------------- activation backward passes
def _softmax(t, axis=-1):
    return torch.softmax(t, dim=axis)


ACTIVATIONS = [
    pytest.param("sigmoid_backward", torch.sigmoid, {}, marks=pytest.mark.exercise("sigmoid_backward")),
    pytest.param("tanh_backward", torch.tanh, {}, marks=pytest.mark.exercise("tanh_backward")),
    pytest.param("relu_backward", F.relu, {}, marks=pytest.mark.exercise("relu_backward")),
    pytest.param("leaky_relu_backward", F.leaky_relu, {"negative_slope": (0.01, 0.1, 0.3)},
                 marks=pytest.mark.exercise("leaky_relu_backward")),
    pytest.param("elu_backward", F.elu, {"alpha": (1.0, 0.5, 2.0)}, marks=pytest.mark.exercise("elu_backward")),
    pytest.param("softmax_backward", _softmax, {"axis": (-1, 0)}, marks=pytest.mark.exercise("softmax_backward")),
]


@pytest.mark.parametrize("name, torch_fn, options", ACTIVATIONS, ids=lambda v: v if isinstance(v, str) else "")
@given(data=st.data())
def test_activation_backward_matches_autograd(impl, device, name, torch_fn, options, data):
    """dx = fn(dout, x, **params) against autograd's vector-Jacobian product for a random
    upstream gradient dout."""
    dtype = data.draw(gs.dtypes, label="dtype")
    shape = data.draw(gs.shapes(1, 3), label="shape")
    make = gs.logits if name == "softmax_backward" else ts.activation_inputs
    x = data.draw(make(dtype, shape), label="x")
    kwargs = {k: data.draw(st.sampled_from(v), label=k) for k, v in options.items()}
    dout = np.random.default_rng(data.draw(gs.seeds, label="seed")).standard_normal(shape).astype(dtype)
    call = describe_call(name, [dout, x], kwargs, ["dout", "x"])
    before = [dout.copy(), x.copy()]
    got = impl.get(name)(dout, x, **kwargs)
    _check_untouched(call, {"dout": dout, "x": x}, before)
    tx = to_torch(x, device, requires_grad=True)
    (ref,) = torch.autograd.grad(torch_fn(tx, **kwargs), tx, to_torch(dout, device))
    terms = shape[kwargs["axis"]] if "axis" in kwargs else 1
    compare(got, ref, call=call, what="dx", dtype=dtype, terms=terms, scale=float(np.abs(dout).max(initial=1)))


# ---------------------------------------------------------------- numerical_gradient
# Known functions and their exact gradients. `third` bounds |f'''| along any coordinate
# on [-2, 2]: the truncation error of central differences is h**2 / 6 * |f'''|.
def cube_sum(x):
    return float((x**3).sum())


def x_sin_x(x):
    return float((x * np.sin(x)).sum())


def square_of_sum(x):
    return float(x.sum() ** 2)


def log_sum_exp(x):
    m = x.max()
    return float(m + np.log(np.exp(x - m).sum()))


KNOWN = [
    pytest.param(cube_sum, lambda x: 3 * x**2, 6.0, id="sum(x^3)"),
    pytest.param(x_sin_x, lambda x: np.sin(x) + x * np.cos(x), 5.0, id="sum(x sin x)"),
    pytest.param(square_of_sum, lambda x: np.full_like(x, 2 * x.sum()), 0.0, id="sum(x)^2"),
    pytest.param(log_sum_exp, lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(), 1.0, id="logsumexp"),
]


@pytest.mark.exercise("numerical_gradient")
@pytest.mark.parametrize("h", [1e-2, 1e-3])
@given(x=gs.dtype_and(gs.arrays, gs.shapes(1, 2, max_side=4), -2.0, 2.0))
def test_numerical_gradient_is_central_with_step_h(impl, x, h):
    """For f = sum(x**3) central differences give exactly 3 x**2 + h**2 (forward
    differences: 3 x**2 + 3 x h + h**2), so the step and the formula both show."""
    _, x = x
    call = describe_call("numerical_gradient", [cube_sum, x], {"h": h}, ["f", "x"])
    before = [x.copy()]
    got = impl.numerical_gradient(cube_sum, x, h=h)
    _check_untouched(call, {"x": x}, before)
    x64 = x.astype(np.float64)
    rtol, atol = tolerance(x.dtype, scale=12.0)
    # float64 rounding of (f(x+h) - f(x-h)) / 2h: about eps * |f| / h, with |f| <= 8 * x.size
    atol += 8 * np.finfo(np.float64).eps * 8 * x.size / h
    compare(got, 3 * x64**2 + h**2, call=call, what="the gradient", dtype=x.dtype, rtol=rtol, atol=atol,
            hint="Central differences: (f(x + h e_i) - f(x - h e_i)) / (2 h), with the h you are given.")


@pytest.mark.exercise("numerical_gradient", weight=2)
@pytest.mark.parametrize("f, grad, third", KNOWN)
@given(x=gs.dtype_and(gs.arrays, gs.shapes(1, 2, max_side=4), -2.0, 2.0))
def test_numerical_gradient_of_known_functions(impl, f, grad, third, x):
    """With the default h = 1e-5 the error is h**2 / 6 * |f'''| (truncation) plus about
    eps * |f| / h (rounding), both far below 1e-7 here."""
    _, x = x
    h = 1e-5
    call = describe_call("numerical_gradient", [f, x], {}, ["f", "x"])
    got = impl.numerical_gradient(f, x)
    x64 = x.astype(np.float64)
    f_size = abs(f(x64)) + np.abs(x64).sum() ** 2 + 1.0
    bound = h**2 / 6 * third + 8 * np.finfo(np.float64).eps * f_size / h
    expected = grad(x64)
    rtol, atol = tolerance(x.dtype, scale=float(np.abs(expected).max(initial=1)))
    compare(got, expected, call=call, what="the gradient", dtype=x.dtype, rtol=rtol, atol=atol + bound,
            hint="Evaluate f on a float64 copy of x and use central differences.")


# ---------------------------------------------------------------- gradient_check
def _relative_error(a, n, tiny=1e-12):
    a, n = a.astype(np.float64), n.astype(np.float64)
    return float((np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)).max(initial=0.0))


@pytest.mark.exercise("gradient_check")
@pytest.mark.parametrize("a, n, expected", [
    pytest.param([0.0, 0.0], [0.0, 0.0], 0.0, id="both-zero"),
    pytest.param([1.0, -2.0], [-1.0, -2.0], 1.0, id="opposite-signs"),
    pytest.param([1e-3, 5.0], [2e-3, 5.0], 1 / 3, id="largest-not-mean"),
    pytest.param([0.0, 100.0], [1e-13, 100.0], 0.1, id="tiny-floor"),
])
def test_gradient_check_on_simple_cases(impl, a, n, expected):
    a, n = np.array(a), np.array(n)
    call = describe_call("gradient_check", [a, n], {}, ["analytic", "numeric"])
    got = impl.gradient_check(a, n)
    if not isinstance(got, float):
        _fail(call, f"returned a {type(got).__name__}, expected a Python float", "Return float(...).")
    if not math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15):
        _fail(call, f"returned {got!r}, expected {expected!r}",
              "max over elements of |a - n| / max(|a| + |n|, tiny), with tiny = 1e-12.")


@pytest.mark.exercise("gradient_check")
@given(an=gs.dtype_and(gs.arrays, gs.shapes(1, 3)).flatmap(
    lambda d: st.tuples(st.just(d[1]), gs.arrays(d[0], d[1].shape, extremes=(0.0,)))))
def test_gradient_check_matches_formula(impl, an):
    a, n = an
    got = impl.gradient_check(a, n)
    expected = _relative_error(a, n)
    if not math.isclose(float(got), expected, rel_tol=1e-6, abs_tol=1e-12):
        _fail(describe_call("gradient_check", [a, n], {}, ["analytic", "numeric"]),
              f"returned {got!r}, expected {expected!r}")


def _dense_loss_parts(seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    return x, W, b, dout


WRONG_DW = [
    pytest.param(lambda x, dout: (x.T @ dout) * 2, id="twice-dW"),
    pytest.param(lambda x, dout: np.outer(x[0], dout[0]), id="first-sample-only"),
    pytest.param(lambda x, dout: (dout.T @ x).T[::-1], id="rows-reversed"),
]


def _central_differences(f, x, h=1e-5):
    """The test's own numerical gradient (float64), so this check needs no learner callback."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = h
        grad[idx] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


@pytest.mark.exercise("gradient_check", weight=2)
@pytest.mark.parametrize("wrong_dW", WRONG_DW)
def test_gradient_check_accepts_right_and_rejects_wrong_gradients(impl, wrong_dW):
    """L(W) = sum(dout * (x @ W + b)) has dL/dW = x.T @ dout. Against its numerical
    gradient, gradient_check must pass the right one (error < 1e-7) and flag a wrong one
    (error > 1e-2)."""
    x, W, b, dout = _dense_loss_parts(0)
    numeric = _central_differences(lambda Wp: float((dout * (x @ Wp + b)).sum()), W)
    right = impl.gradient_check(x.T @ dout, numeric)
    wrong = impl.gradient_check(wrong_dW(x, dout), numeric)
    call = "gradient_check(dL/dW, numerical dL/dW) for L(W) = sum(dout * (x @ W + b))"
    if not right < 1e-7:
        _fail(call, f"the right gradient x.T @ dout gets relative error {right:.3g}, expected < 1e-7")
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
SIGMAS = 6.0  # a bound SIGMAS standard errors wide fails a right initialiser with p < 1e-8


@pytest.mark.parametrize("name, is_normal, param", INITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_init_shape_dtype_and_seed(impl, name, is_normal, param, dtype):
    init = impl.get(name)
    call = f"{name}(3, 5, rng=seed, dtype={np.dtype(dtype).name})"
    w = init(3, 5, rng=7, dtype=dtype)
    if type(w) is not np.ndarray or w.shape != (3, 5) or w.dtype != dtype:
        _fail(call, f"returned {describe_value(w)}, expected a {np.dtype(dtype)} array of shape (3, 5)",
              "The shape is (fan_in, fan_out); pass dtype on with .astype(dtype).")
    if not np.array_equal(w, init(3, 5, rng=7, dtype=dtype)):
        _fail(call, "two calls with the same seed gave different weights",
              "Draw from np.random.default_rng(rng), not from np.random's global state.")
    if np.array_equal(w, init(3, 5, rng=8, dtype=dtype)):
        _fail(call, "the seeds 7 and 8 gave the same weights", "Use the rng argument.")


@pytest.mark.parametrize("name, is_normal, param", INITS)
@pytest.mark.parametrize("fans", [(400, 100), (100, 400), (1000, 1000)], ids=lambda f: f"{f[0]}x{f[1]}")
def test_init_statistics_match_formula(impl, name, is_normal, param, fans):
    """Mean, variance and range of 40 000+ weights against the formula. Each bound is
    SIGMAS standard errors of the statistic for n samples (never hand-tuned), which
    still separates a right initialiser from a wrong scale (fan_out for fan_in, the
    uniform's limit as the normal's std) or the wrong distribution."""
    fan_in, fan_out = fans
    w = impl.get(name)(fan_in, fan_out, rng=0, dtype=np.float64).astype(np.float64).ravel()
    n = w.size
    call = f"{name}(fan_in={fan_in}, fan_out={fan_out}, rng=0)"
    p = param(fan_in, fan_out)
    var = p**2 if is_normal else p**2 / 3
    kurtosis = 3.0 if is_normal else 1.8  # E[w^4] / var^2 of the normal / the uniform
    formula = (f"std = {p:.4g}" if is_normal else f"limit = {p:.4g}") + f", variance {var:.4g}"
    mean_bound = SIGMAS * math.sqrt(var / n)
    if abs(w.mean()) > mean_bound:
        _fail(call, f"mean {w.mean():.4g}, expected 0 within {mean_bound:.2g} ({formula})")
    var_bound = SIGMAS * math.sqrt((kurtosis - 1) / n)  # relative standard error of the sample variance
    if abs(w.var() / var - 1) > var_bound:
        _fail(call, f"variance {w.var():.4g}, expected {var:.4g} within {100 * var_bound:.2g}% ({formula})",
              "Check which fans the formula uses, and whether it gives a std, a variance or a limit.")
    if is_normal:
        # a normal puts P(|z| > sqrt 3) = 8.33% of its weights beyond the matching uniform's limit
        tail = float(np.mean(np.abs(w) > math.sqrt(3) * p))
        q = math.erfc(math.sqrt(1.5))
        if abs(tail - q) > SIGMAS * math.sqrt(q * (1 - q) / n):
            _fail(call, f"{100 * tail:.3g}% of the weights lie beyond sqrt(3) std, a normal has {100 * q:.3g}%",
                  "Draw from a normal distribution (rng.normal), not a uniform one.")
    else:
        # all within the limit, and the largest of n uniform draws is within 20 / n of it (p < e^-20)
        if np.abs(w).max() > p or np.abs(w).max() < p * (1 - 20 / n):
            _fail(call, f"weights reach {np.abs(w).max():.4g}, expected a uniform on (-{p:.4g}, {p:.4g})",
                  "rng.uniform(-limit, limit, size).")


# ---------------------------------------------------------------- MLP
ACT = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


@st.composite
def mlp_cases(draw):
    dtype = draw(gs.dtypes)
    sizes = draw(ts.mlp_sizes)
    rng = np.random.default_rng(draw(gs.seeds))
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.standard_normal((fan_in, fan_out)).astype(dtype), rng.standard_normal(fan_out).astype(dtype)]
    x = rng.standard_normal((draw(st.integers(1, 5)), sizes[0])).astype(dtype)
    options = {"activation": draw(st.sampled_from(sorted(ACT))),
               "l1": draw(st.sampled_from([0.0, 0.3])), "l2": draw(st.sampled_from([0.0, 0.7]))}
    return sizes, params, x, options, rng.standard_normal((len(x), sizes[-1])).astype(dtype)


def _torch_mlp(params, x, activation, l1, l2, device):
    """Forward pass and penalty of the same network in torch (float64)."""
    tp = [to_torch(p, device, requires_grad=True) for p in params]
    tx = to_torch(x, device, requires_grad=True)
    a = tx
    for layer in range(len(tp) // 2):
        a = F.linear(a, tp[2 * layer].T, tp[2 * layer + 1])
        if layer < len(tp) // 2 - 1:
            a = ACT[activation](a)
    penalty = sum(l1 * W.abs().sum() + 0.5 * l2 * (W * W).sum() for W in tp[0::2])
    return tp, tx, a, penalty


@pytest.mark.exercise("MLP")
@given(case=mlp_cases())
def test_mlp_penalty_matches_formula(impl, device, case):
    sizes, params, x, options, _ = case
    model = impl.MLP(sizes, dtype=x.dtype, params=params, **options)
    _, _, _, penalty = _torch_mlp(params, x, device=device, **options)
    call = f"MLP({sizes}, {options}).penalty()"
    got = model.penalty()
    if not isinstance(got, float):
        _fail(call, f"returned a {type(got).__name__}, expected a Python float")
    compare(np.float64(got), penalty, call=call, what="the penalty", terms=sum(p.size for p in params),
            rtol=tolerance(x.dtype, terms=sum(p.size for p in params))[0],
            hint="l1 * sum|W| + (l2 / 2) * sum W**2 over the weights W = params[0::2], not the biases.")


@pytest.mark.exercise("MLP", weight=4)
@given(case=mlp_cases())
def test_mlp_forward_backward_match_autograd(impl, device, case):
    """Scores, dx and every parameter's gradient of <dout, scores> + penalty, for a random
    upstream dout, against torch autograd on the same network with the same weights."""
    sizes, params, x, options, dout = case
    model = impl.MLP(sizes, dtype=x.dtype, params=params, **options)
    call = f"MLP({sizes}, activation={options['activation']!r}, l1={options['l1']}, l2={options['l2']})"
    before = [x.copy(), dout.copy()]
    scores = model.forward(x)
    dx = model.backward(dout)
    _check_untouched(call, {"x": x, "dout": dout}, before)
    tp, tx, out, penalty = _torch_mlp(params, x, device=device, **options)
    refs = torch.autograd.grad((out * to_torch(dout, device)).sum() + penalty, [tx, *tp])
    terms = max(sizes) * len(sizes)
    scale = max(1.0, float(out.detach().abs().max()))
    compare(scores, out, call=f"{call}.forward(x: {x.dtype} {x.shape})", what="the scores", dtype=x.dtype,
            terms=terms, scale=scale, hint="No activation after the last layer: the MLP returns raw scores.")
    bcall = f"{call}.backward(dout) after forward(x: {x.dtype} {x.shape})"
    compare(dx, refs[0], call=bcall, what="dx", dtype=x.dtype, terms=terms)
    grads = model.grads
    if len(grads) != len(params):
        _fail(bcall, f"model.grads has {len(grads)} arrays, expected {len(params)} (one per parameter)")
    for i, (g, r) in enumerate(zip(grads, refs[1:], strict=True)):
        label = f"{'W' if i % 2 == 0 else 'b'}{i // 2 + 1}"
        compare(g, r, call=bcall, what=f"the gradient of {label} (grads[{i}])", dtype=x.dtype, terms=terms,
                hint="Weights get the penalty's gradient l1 * sign(W) + l2 * W on top; biases do not.")


# ---------------------------------------------------------------- train_mlp: the exact trajectory
def _reference_training(X, y, W, b, *, epochs, lr, batch_size, rng, l2, shuffle=True):
    """train_mlp's documented algorithm for a one-layer MLP (scores = x @ W + b), in float64:
    the parameters after training and the loss of every epoch."""
    W, b = W.astype(np.float64), b.astype(np.float64)
    X = X.astype(np.float64)
    rng = np.random.default_rng(rng)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        batch_losses = []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            rows = np.arange(len(idx))
            s = X[idx] @ W + b
            s = s - s.max(axis=1, keepdims=True)
            p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            batch_losses.append(float(-np.log(p[rows, y[idx]]).mean() + 0.5 * l2 * (W * W).sum()))
            p[rows, y[idx]] -= 1
            dscores = p / len(idx)
            W, b = W - lr * (X[idx].T @ dscores + l2 * W), b - lr * dscores.sum(axis=0)
        losses.append(float(np.mean(batch_losses)))
    return [W, b], losses


def _diagnose(got_params, X, y, W, b, options):
    """A hint naming the likely mistake, by replaying common wrong variants."""
    unchanged = all(np.array_equal(g, p) for g, p in zip(got_params, (W, b), strict=True))
    if unchanged:
        return "The parameters never changed: update them in place, p -= lr * g, after every backward."
    fixed_order, _ = _reference_training(X, y, W, b, shuffle=False, **options)
    if all(np.allclose(g, r, rtol=1e-4, atol=1e-6) for g, r in zip(got_params, fixed_order, strict=True)):
        return "That is training without shuffling: draw order = rng.permutation(N) at the start of every epoch."
    return ("Follow the docstring exactly: rng = np.random.default_rng(rng), one rng.permutation(N) per epoch, "
            "batches in that order, dscores = (softmax - onehot) / batch size, then p -= lr * g.")


@pytest.mark.exercise("train_mlp", weight=3)
@pytest.mark.parametrize("batch_size", [1, 4, 10], ids=["sgd", "minibatch", "full-batch"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_train_mlp_follows_the_reference_trajectory(impl, batch_size, dtype):
    """A one-layer MLP (scores = x @ W + b, L2 penalty) trained for 3 epochs on 10 samples
    must end with the parameters and report the losses of the documented algorithm,
    replayed here in float64 with the same seeded permutations."""
    n, n_features, n_classes = 10, 3, 3
    options = {"epochs": 3, "lr": 0.5, "batch_size": batch_size, "rng": 7, "l2": 0.1}
    data_rng = np.random.default_rng(1)
    X = data_rng.standard_normal((n, n_features)).astype(dtype)
    y = data_rng.integers(0, n_classes, n)
    W, b = data_rng.standard_normal((n_features, n_classes)).astype(dtype), np.zeros(n_classes, dtype=dtype)
    model = impl.MLP([n_features, n_classes], l2=options["l2"], dtype=dtype, params=[W, b])
    call = (f"train_mlp(MLP([{n_features}, {n_classes}], l2=0.1), X: {np.dtype(dtype)} {X.shape}, y, "
            f"epochs=3, lr=0.5, batch_size={batch_size}, rng=7)")
    losses = impl.train_mlp(model, X, y, **{k: v for k, v in options.items() if k != "l2"})
    expected_params, expected_losses = _reference_training(X, y, W, b, **options)
    got_params = list(model.params)
    rtol, atol = tolerance(dtype, scale=4.0, terms=n * options["epochs"])
    for name, got, expected in zip(("W", "b"), got_params, expected_params, strict=True):
        try:
            compare(got, expected, call=call, what=f"the trained {name}", dtype=dtype, rtol=rtol, atol=atol)
        except LearnerFailure as failure:
            raise LearnerFailure(f"{failure}\n  hint: {_diagnose(got_params, X, y, W, b, options)}") from None
    if not isinstance(losses, list) or len(losses) != options["epochs"]:
        _fail(call, f"returned {describe_value(losses)}, expected a list of {options['epochs']} losses, one per epoch")
    compare(np.array(losses, dtype=np.float64), np.array(expected_losses), call=call, what="the losses per epoch",
            dtype=np.float64, rtol=rtol, atol=atol,
            hint="An epoch's loss is the mean of its batch losses, each = mean cross-entropy + model.penalty().")


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
              "Check the gradient sign (p -= lr * g) and that every batch of every epoch updates the model.")
    curve = plot_loss_curve(losses, tmp_path / f"{name}-loss.png")
    assert curve.stat().st_size > 1000
    if X.shape[1] == 2:
        boundary = plot_decision_boundary(model.predict, X, y, tmp_path / f"{name}-boundary.png")
        assert boundary.stat().st_size > 1000
