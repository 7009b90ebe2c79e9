"""Topic 5 — regularization: dropout (statistical tests with bounds from the sample size),
batch and layer normalisation against torch (values, gradients, running statistics), early
stopping and checkpoints on scripted metric curves, and speed gates.

Domain: dropout on every rank (0-d and empty included), p from 0 to 1 and the defaults;
batch norm on (N, D), (N, C, L), (N, C, H, W) and (N, C, D, H, W) inputs, layer norm over
the last 1 to 4 axes, both with large-mean/small-spread features (1e4 + z in float32,
1e8 + z in float64: a one-pass variance loses every digit there), momentum in (0, 1], and
their defaults; every documented attribute of the callbacks, read after every epoch.
The torch references and the speed gates' pairs are in
gradeschool.testing.references.regularization, the statistical bounds and the
normalisations' error scale in gradeschool.testing.tolerances.regularization."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.testing import check_layer, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.gates import ELEMENTWISE_SHAPES, label, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import check_untouched, describe_call, describe_value, expect, expect_tuple, snapshots
from gradeschool.testing.references.regularization import (
    batchnorm_gate,
    dropout_check,
    dropout_pass,
    layernorm_gate,
    torch_batchnorm,
    torch_dropout_pass,
)
from gradeschool.testing.speed import Gate, gate_params, limited, run_gate
from gradeschool.testing.strategies import regularization as ts
from gradeschool.testing.tolerances.regularization import SIGMAS, kept_fraction_bound, norm_scale


# ---------------------------------------------------------------- dropout
def dropout(impl, x, **kwargs):
    """(out, cache, call) of dropout_forward, after checking the pair, the output's type,
    dtype and shape, and that x was left alone."""
    call = describe_call("dropout_forward", [x], kwargs, ["x"])
    before = snapshots.take([x], kwargs)
    out, cache = expect_tuple(impl.dropout_forward(x, **kwargs), 2, call, ["out", "cache"])
    check_untouched(call, [x], kwargs, before, ["x"])
    if isinstance(out, np.generic) and x.ndim == 0:  # NumPy's arithmetic on 0-d arrays gives scalars
        out = np.asarray(out)
    expect(type(out) is np.ndarray and out.dtype == x.dtype and out.shape == x.shape, call,
           f"out is {describe_value(out)}, expected {describe_value(x)}",
           mistake("dropout", "shape_dtype"))
    return out, cache, call


DROPOUT_X = ts.dropout_x

@pytest.mark.exercise("dropout", weight=2)
@given(x=DROPOUT_X, p=ts.dropout_p(), seed=gs.seeds)
def test_dropout_scales_kept_elements_and_backward_reuses_the_mask(impl, x, p, seed):
    out, cache, call = dropout(impl, x, p=p, train=True, seed=seed)
    kept = out != 0
    scale = 0.0 if p == 1 else 1 / (1 - p)
    expect(np.isfinite(out).all(), call, "out holds nan or inf",
           mistake("dropout", "p_one"))
    compare(out[kept], x[kept].astype(np.float64) * scale, call=call, dtype=x.dtype,
            what="the kept elements of out",
            hint=mistake("dropout", "scale"))
    dout = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    bcall = f"dropout_backward(dout: {describe_value(dout)}, cache) after {call}"
    compare(impl.dropout_backward(dout, cache), np.where(kept, dout.astype(np.float64) * scale, 0.0),
            call=bcall, dtype=x.dtype, what="dx",
            hint=mistake("dropout", "backward_mask"))


@pytest.mark.exercise("dropout")
@given(x=DROPOUT_X, p=ts.dropout_p(), seed=gs.seeds)
def test_dropout_is_the_identity_at_eval(impl, x, p, seed):
    out, cache, call = dropout(impl, x, p=p, train=False, seed=seed)
    compare(out, x, call=call, dtype=x.dtype, rtol=0, atol=0,
            hint=mistake("dropout", "eval_identity"))
    dout = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    compare(impl.dropout_backward(dout, cache), dout, call=f"dropout_backward(dout, cache) after {call}",
            dtype=x.dtype, rtol=0, atol=0, what="dx", hint=mistake("dropout", "eval_backward"))


@pytest.mark.exercise("dropout")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_dropout_with_p_zero_is_the_identity(impl, dtype):
    x = np.random.default_rng(3).uniform(0.5, 5.0, (50, 20)).astype(dtype)
    out, _, call = dropout(impl, x, p=0.0, train=True, seed=3)
    compare(out, x, call=call, dtype=dtype, rtol=0, atol=0,
            hint=mistake("dropout", "p_zero"))


@pytest.mark.exercise("dropout")
def test_dropout_defaults(impl):
    """dropout_forward(x) alone: p = 0.5, training, a fresh mask at every call."""
    x = np.ones(STAT_SHAPE)
    out, _, call = dropout(impl, x)
    kept, bound = float(np.count_nonzero(out)) / x.size, kept_fraction_bound(x.size, 0.5)
    expect(abs(kept - 0.5) <= bound, call, f"kept {kept:.4f} of the elements, expected the default p = 0.5 "
           f"to keep 0.5 +- {bound:.4f}", mistake("dropout", "defaults"))
    expect(set(np.unique(out)) <= {0.0, 2.0}, call, "the kept elements are not x / (1 - 0.5)",
           mistake("dropout", "defaults"))
    again, _, _ = dropout(impl, x)
    expect(not np.array_equal(out, again), call, "two calls without a seed gave the same mask",
           mistake("dropout", "seeded_mask"))


DROP_PS = [0.1, 0.3, 0.5, 0.8]
STAT_SHAPE = (400, 250)


@pytest.mark.exercise("dropout", weight=2)
@pytest.mark.parametrize("seed", [0, 1, None], ids=["seed0", "seed1", "no_seed"])
@pytest.mark.parametrize("p", DROP_PS)
def test_dropout_keep_rate_and_mean(impl, p, seed):
    x = np.random.default_rng(7).uniform(0.5, 1.5, STAT_SHAPE)
    out, _, call = dropout(impl, x, p=p, train=True, seed=seed)
    n = x.size
    kept = float(np.count_nonzero(out)) / n
    bound = kept_fraction_bound(n, p)
    expect(abs(kept - (1 - p)) <= bound, call,
           f"kept {kept:.4f} of the elements, expected 1 - p = {1 - p:.4f} +- {bound:.4f} ({SIGMAS:g} sigma)",
           mistake("dropout", "drop_probability"))
    # E[out] = x element-wise; the mean of n independent terms has variance sum(x^2) p / (1-p) / n^2
    sigma = math.sqrt(float((x ** 2).sum()) * p / (1 - p)) / n
    expect(abs(out.mean() - x.mean()) <= SIGMAS * sigma, call,
           f"mean(out) = {out.mean():.5f}, expected mean(x) = {x.mean():.5f} +- {SIGMAS * sigma:.5f} "
           f"({SIGMAS:g} sigma)",
           mistake("dropout", "scale"))


@pytest.mark.exercise("dropout")
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_drops_elements_independently(impl, p):
    x = np.ones(STAT_SHAPE)
    out, _, call = dropout(impl, x, p=p, train=True, seed=11)
    mask = out != 0
    agree = p ** 2 + (1 - p) ** 2  # chance that two independent elements are both kept or both dropped
    for axis, what in [(0, "rows"), (1, "columns")]:
        m = np.moveaxis(mask, axis, 0)
        pairs = m[0:-1:2] == m[1::2]  # disjoint pairs of rows (columns): independent
        bound = SIGMAS * math.sqrt(agree * (1 - agree) / pairs.size)
        expect(abs(pairs.mean() - agree) <= bound, call,
               f"neighbouring {what} of the mask agree at {pairs.mean():.4f} of the positions, "
               f"expected p^2 + (1-p)^2 = {agree:.4f} +- {bound:.4f} for independent elements",
               mistake("dropout", "independent"))


@pytest.mark.exercise("dropout")
def test_dropout_seed_makes_the_mask_reproducible(impl):
    x = np.ones((40, 25))
    a, _, call = dropout(impl, x, p=0.5, seed=123)
    b, _, _ = dropout(impl, x, p=0.5, seed=123)
    c, _, _ = dropout(impl, x, p=0.5, seed=124)
    d, _, _ = dropout(impl, x, p=0.5, seed=None)
    e, _, _ = dropout(impl, x, p=0.5, seed=None)
    hint = mistake("dropout", "seeded_mask")
    expect(np.array_equal(a, b), call, "two calls with seed=123 gave different masks", hint)
    expect(not np.array_equal(a, c), call, "seed=123 and seed=124 gave the same mask of 1000 elements", hint)
    expect(not np.array_equal(d, e), describe_call("dropout_forward", [x], {"p": 0.5, "seed": None}, ["x"]),
           "two calls with seed=None gave the same mask of 1000 elements", hint)


# ---------------------------------------------------------------- batch and layer normalisation
def bn_axes(x):
    return (0, *range(2, x.ndim))


def bn_pair(impl):
    """batchnorm_forward as the (out, cache) pair that check_layer expects: returns
    (out, cache, new_running_mean, new_running_var)."""

    def batchnorm_forward(*args, **kwargs):
        call = describe_call("batchnorm_forward", args, kwargs,
                             ["x", "gamma", "beta", "running_mean", "running_var"])
        result = expect_tuple(impl.batchnorm_forward(*args, **kwargs), 4, call,
                              ["out", "cache", "new_running_mean", "new_running_var"])
        return result[:2]

    return batchnorm_forward


BN_ARGNAMES = ["x", "gamma", "beta", "running_mean", "running_var"]


BN_DEFAULTS = {"train": True, "momentum": 0.1, "eps": 1e-5}


def check_batchnorm(impl, device, x, gamma, beta, running_mean, running_var, **options):
    """check_layer for batchnorm_forward/backward; `options` left out take their defaults."""
    train, momentum, eps = ({**BN_DEFAULTS, **options}[k] for k in ("train", "momentum", "eps"))
    m = x.size // x.shape[1]
    # training: batch statistics, error grows with the conditioning; eval: a per-element affine map
    scale = norm_scale(x, gamma, beta, bn_axes(x), eps) if train else None
    check_layer(bn_pair(impl), impl.batchnorm_backward, torch_batchnorm(train, momentum, eps),
                x, gamma, beta, running_mean, running_var, grad_wrt=[0, 1, 2], name="batchnorm_forward",
                argnames=BN_ARGNAMES, kwargs=options, torch_kwargs={}, device=device, scale=scale, terms=m,
                hint=mistake("batchnorm", "one_pass_variance") if large_mean(x, bn_axes(x)) else None)


def large_mean(x, axes):
    """Whether some feature's mean is over 1000 times its spread (x**2 would swamp the variance)."""
    x64 = x.astype(np.float64)
    return bool((np.abs(x64.mean(axis=axes)) > 1000 * (x64.std(axis=axes) + 1e-300)).any())


@pytest.mark.exercise("batchnorm", weight=3)
@given(case=ts.batchnorm_inputs(train=True), train=st.sampled_from([True, None]))
def test_batchnorm_train_matches_torch(impl, device, case, train):
    check_batchnorm(impl, device, case["xs"][0], case["gamma"], case["beta"], case["running_mean"],
                    case["running_var"], **ts.without_none(train=train, momentum=case["momentum"], eps=case["eps"]))


@pytest.mark.exercise("batchnorm", weight=2)
@given(case=ts.batchnorm_inputs(train=False))
def test_batchnorm_eval_matches_torch(impl, device, case):
    x, rm, rv = case["xs"][0], case["running_mean"], case["running_var"]
    kwargs = ts.without_none(train=False, momentum=case["momentum"], eps=case["eps"])
    check_batchnorm(impl, device, x, case["gamma"], case["beta"], rm, rv, **kwargs)
    call = describe_call("batchnorm_forward", [x, case["gamma"], case["beta"], rm, rv], kwargs, BN_ARGNAMES)
    _, _, new_rm, new_rv = impl.batchnorm_forward(x, case["gamma"], case["beta"], rm, rv, **kwargs)
    hint = mistake("batchnorm", "eval_running_stats")
    compare(new_rm, rm, call=call, what="new_running_mean", dtype=x.dtype, rtol=0, atol=0, hint=hint)
    compare(new_rv, rv, call=call, what="new_running_var", dtype=x.dtype, rtol=0, atol=0, hint=hint)


@pytest.mark.exercise("batchnorm", weight=2)
@given(case=ts.batchnorm_inputs(train=True, batches=3))
def test_batchnorm_running_stats_match_torch(impl, device, case):
    gamma, beta, momentum, eps = case["gamma"], case["beta"], case["momentum"], case["eps"]
    rm, rv = case["running_mean"], case["running_var"]
    t_rm = torch.tensor(rm.astype(np.float64), device=device)
    t_rv = torch.tensor(rv.astype(np.float64), device=device)
    kwargs = ts.without_none(momentum=momentum, eps=eps)
    momentum, eps = momentum or BN_DEFAULTS["momentum"], eps or BN_DEFAULTS["eps"]
    hint = mistake("batchnorm", "running_update")
    for step, x in enumerate(case["xs"], 1):
        call = describe_call(f"step {step}: batchnorm_forward", [x, gamma, beta, rm, rv], kwargs, BN_ARGNAMES)
        before = rm.copy(), rv.copy()
        _, _, rm_new, rv_new = expect_tuple(impl.batchnorm_forward(x, gamma, beta, rm, rv, **kwargs), 4, call,
                                            ["out", "cache", "new_running_mean", "new_running_var"])
        expect(np.array_equal(rm, before[0]) and np.array_equal(rv, before[1]), call,
               "modified running_mean or running_var in place",
               mistake("batchnorm", "not_in_place"))
        F.batch_norm(torch.tensor(x.astype(np.float64), device=device), t_rm, t_rv,
                     training=True, momentum=momentum, eps=eps)
        m = x.size // x.shape[1]
        for what, got, ref in [("new_running_mean", rm_new, t_rm), ("new_running_var", rv_new, t_rv)]:
            compare(got, ref, call=call, what=what, dtype=x.dtype, terms=m * step, hint=hint)
        rm, rv = rm_new, rv_new


BN_EDGE_SHAPES = [(2, 1), (2, 3), (1, 1, 1, 2), (1, 2, 2, 1), (2, 1, 1, 1), (3, 1, 2, 2)]


@pytest.mark.exercise("batchnorm")
@pytest.mark.parametrize("constant", [False, True], ids=["random", "constant"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", BN_EDGE_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_batchnorm_edge_cases(impl, device, shape, train, constant):
    """Two values per channel, C = 1, H = W = 1, a constant batch (variance 0: eps decides)."""
    rng = np.random.default_rng(len(shape) * 10 + shape[0])
    x = np.full(shape, 0.7) if constant else rng.standard_normal(shape)
    c = shape[1]
    gamma, beta = rng.uniform(0.5, 2.0, c), rng.standard_normal(c)
    check_batchnorm(impl, device, x, gamma, beta, rng.standard_normal(c), rng.uniform(0.0, 2.0, c),
                    train=train, momentum=0.1, eps=1e-3)


@pytest.mark.exercise("batchnorm")
@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 2)], ids=["N,D", "N,C,H,W"])
def test_batchnorm_defaults(impl, device, shape):
    """batchnorm_forward(x, gamma, beta, running_mean, running_var) alone: training, with
    momentum 0.1 and eps 1e-5; the returned running statistics against torch's."""
    rng = np.random.default_rng(12)
    x, c = rng.standard_normal(shape) * 2 + 1, shape[1]
    gamma, beta, rm, rv = rng.uniform(0.5, 2, c), rng.standard_normal(c), rng.standard_normal(c), rng.uniform(0.1, 2, c)
    check_batchnorm(impl, device, x, gamma, beta, rm, rv)
    call = describe_call("batchnorm_forward", [x, gamma, beta, rm, rv], {}, BN_ARGNAMES)
    _, _, new_rm, new_rv = expect_tuple(impl.batchnorm_forward(x, gamma, beta, rm, rv), 4, call,
                                        ["out", "cache", "new_running_mean", "new_running_var"])
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    F.batch_norm(torch.tensor(x), t_rm, t_rv, training=True)
    for what, got, expected in [("new_running_mean", new_rm, t_rm), ("new_running_var", new_rv, t_rv)]:
        compare(got, expected, call=call, what=what, dtype=x.dtype, terms=x.size // c,
                hint=mistake("batchnorm", "defaults"))


LARGE_MEANS = [pytest.param(np.float32, 1e4, id="f32-1e4"), pytest.param(np.float64, 1e8, id="f64-1e8")]


@pytest.mark.exercise("batchnorm")
@pytest.mark.parametrize("dtype, offset", LARGE_MEANS)
@pytest.mark.parametrize("shape", [(16, 3), (4, 2, 3, 3)], ids=["N,D", "N,C,H,W"])
def test_batchnorm_large_mean_small_spread(impl, device, dtype, offset, shape):
    """Features offset + z (z standard normal): E[x**2] - E[x]**2 loses every digit there,
    sum((x - mean)**2) / m none that matter."""
    rng = np.random.default_rng(9)
    x = (offset + rng.standard_normal(shape)).astype(dtype)
    c = shape[1]
    check_batchnorm(impl, device, x, normal(rng, c, dtype), normal(rng, c, dtype), normal(rng, c, dtype),
                    rng.uniform(0.5, 2.0, c).astype(dtype))


def check_layernorm(impl, device, x, gamma, beta, **options):
    """check_layer for layernorm_forward/backward; eps left out takes its default 1e-5."""
    eps = options.get("eps", 1e-5)
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    check_layer(impl.layernorm_forward, impl.layernorm_backward,
                lambda x, g, b: F.layer_norm(x, tuple(g.shape), g, b, eps), x, gamma, beta,
                grad_wrt=[0, 1, 2], argnames=["x", "gamma", "beta"], kwargs=options, torch_kwargs={},
                device=device, scale=norm_scale(x, gamma, beta, axes, eps),
                terms=max(gamma.size, x.size // gamma.size),
                hint=mistake("layernorm", "one_pass_variance") if large_mean(x, axes) else None)


@pytest.mark.exercise("layernorm", weight=3)
@given(case=ts.layernorm_inputs())
def test_layernorm_matches_torch(impl, device, case):
    check_layernorm(impl, device, case["x"], case["gamma"], case["beta"], **ts.without_none(eps=case["eps"]))


@pytest.mark.exercise("layernorm")
@pytest.mark.parametrize("dtype, offset", LARGE_MEANS)
@pytest.mark.parametrize("shape, k", [((3, 16), 1), ((2, 4, 5), 2)], ids=["N,D", "N,T,D"])
def test_layernorm_large_mean_small_spread(impl, device, dtype, offset, shape, k):
    """Rows offset + z (z standard normal): a one-pass variance loses every digit there."""
    rng = np.random.default_rng(10)
    x = (offset + rng.standard_normal(shape)).astype(dtype)
    check_layernorm(impl, device, x, normal(rng, shape[-k:], dtype), normal(rng, shape[-k:], dtype))


@pytest.mark.exercise("layernorm")
@pytest.mark.parametrize("shape, k", [((1, 6), 1), ((1, 1, 4), 1), ((1, 3, 4), 2), ((5, 1), 1), ((4, 3), 2)],
                         ids=["N1", "N1_T1", "N1_k2", "D1", "all_dims"])
def test_layernorm_edge_cases(impl, device, shape, k):
    """A batch of one sample, a single normalised value (x_hat = 0), every dim normalised."""
    rng = np.random.default_rng(sum(shape) + k)
    x = rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 2.0, shape[-k:]), rng.standard_normal(shape[-k:])
    check_layernorm(impl, device, x, gamma, beta)  # eps left out: its default 1e-5


# ---------------------------------------------------------------- early stopping and checkpoints
def weights_at(epoch, dtype=np.float64):
    """The model's weights after `epoch`: every array filled with the epoch number."""
    return {"W": np.full((3, 2), float(epoch), dtype=dtype), "b": np.full(2, float(epoch), dtype=dtype)}


def epoch_of(weights, call, what):
    """The epoch whose weights these are (see weights_at)."""
    expect(isinstance(weights, dict) and set(weights) == {"W", "b"}, call,
           f"{what} is {describe_value(weights)}, expected the dict of arrays passed to update")
    values = {float(v) for a in weights.values() for v in np.asarray(a).ravel()}
    expect(len(values) == 1, call, f"{what} mixes the weights of several epochs: {sorted(values)}")
    return int(values.pop())


def train(callback, curve, monitor="val_loss", dtype=np.float64, until_stop=False, watch=None):
    """Feed a scripted curve to `callback.update(logs, weights)` epoch by epoch, changing
    the weights in place as a training loop does (and leaving the loop at the first True
    if `until_stop`); `watch(callback)` reads it after every epoch. Returns (the returned
    flags, the weights, what watch returned at every epoch)."""
    weights = weights_at(0, dtype)
    flags, watched = [], []
    for epoch, value in enumerate(curve):
        for a in weights.values():
            a[...] = epoch
        logs = {"loss": 1.0 / (epoch + 1), monitor: value}  # the training loss always improves
        before = snapshots.take([logs], {})
        flags.append(callback.update(logs, weights))
        check_untouched(f"{type(callback).__name__}.update(logs={logs}, weights) at epoch {epoch}", [logs], {},
                        before, ["logs"])
        watched.append(watch(callback) if watch else None)
        if until_stop and flags[-1]:
            break
    return flags, weights, watched


# (kwargs, curve, epoch at which update first returns True (None: never), best epoch, the
# attribute `wait` after every epoch run), derived by hand
EARLY_STOPPING_CASES = {
    # best 0.6 at epoch 2; epochs 3, 4, 5 are not better (0.60 only ties): stop at 5, not 6
    "patience3": (dict(patience=3), [0.9, 0.7, 0.6, 0.65, 0.61, 0.60, 0.62, 0.5], 5, 2, [0, 0, 0, 1, 2, 3]),
    # improvements reset the count: bad epochs 1, 2, then best at 3, bad 4, 5, 6: stop at 6
    "wait_resets": (dict(patience=3), [1.0, 1.1, 1.2, 0.9, 1.0, 1.1, 1.2, 0.1], 6, 3, [0, 1, 2, 0, 1, 2, 3]),
    # improvements smaller than min_delta=0.05 do not count: bad epochs 1 and 2 -> stop at 2
    "min_delta": (dict(patience=2, min_delta=0.05), [1.0, 0.97, 0.96, 0.90, 0.89, 0.88], 2, 0, [0, 1, 2]),
    # exactly min_delta better is not better (strict): 0.75 = 1.0 - 0.25
    "min_delta_strict": (dict(patience=2, min_delta=0.25), [1.0, 0.75, 0.8, 0.9], 2, 0, [0, 1, 2]),
    # patience 0 stops at the first epoch that does not improve
    "patience0": (dict(patience=0), [3.0, 2.0, 2.5, 1.0], 2, 1, [0, 0, 1]),
    # the defaults: monitor val_loss, mode min, min_delta 0, patience 0
    "defaults": (dict(), [1.0, 0.9, 0.95, 0.5], 2, 1, [0, 0, 1]),
    # an accuracy goes up: best 0.7 at epoch 2, then 0.69, 0.7 (tie), 0.65 -> stop at 5
    "mode_max": (dict(monitor="val_accuracy", mode="max", patience=3), [0.5, 0.6, 0.7, 0.69, 0.7, 0.65, 0.9], 5, 2,
                 [0, 0, 0, 1, 2, 3]),
    # mode max with min_delta: steps of +0.01 and +0.015 are below min_delta=0.02
    "mode_max_min_delta": (dict(monitor="val_accuracy", mode="max", patience=2, min_delta=0.02),
                           [0.5, 0.51, 0.515, 0.6, 0.61], 2, 0, [0, 1, 2]),
    # a curve that keeps improving never stops
    "never": (dict(patience=1), [5.0, 4.0, 3.0, 2.0, 1.0], None, 4, [0, 0, 0, 0, 0]),
}


@pytest.mark.exercise("EarlyStopping", weight=3)
@pytest.mark.parametrize("case", EARLY_STOPPING_CASES.values(), ids=EARLY_STOPPING_CASES.keys())
def test_early_stopping_on_scripted_curves(impl, case):
    kwargs, curve, stop, best, waits = case
    monitor = kwargs.get("monitor", "val_loss")
    es = impl.EarlyStopping(**kwargs)
    call = f"EarlyStopping({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) on {monitor} = {curve}"
    start = math.inf if kwargs.get("mode", "min") == "min" else -math.inf
    before, initial = (es.best, es.best_epoch, es.wait, es.stopped_epoch), (start, None, 0, None)
    expect(before == initial, call,
           f"before the first epoch best, best_epoch, wait, stopped_epoch = {before}, expected {initial}")
    flags, _, got_waits = train(es, curve, monitor, until_stop=True, watch=lambda es: es.wait)
    expect(all(isinstance(f, bool | np.bool_) for f in flags), call, f"update returned {flags}, expected True or False")
    got = len(flags) - 1 if flags[-1] else None
    hint = mistake("EarlyStopping", "improvement")
    expect(got == stop, call, f"update first returned True at epoch {got}, expected {stop} (epochs count from 0)",
           hint, [f"update returned {flags}"])
    expect(got_waits == waits, call, f"the attribute wait after each epoch was {got_waits}, expected {waits}", hint)
    expect(es.best_epoch == best and es.best == curve[best], call,
           f"best_epoch = {es.best_epoch!r}, best = {es.best!r}; expected {best} and {curve[best]}")
    expect(es.stopped_epoch == stop, call, f"stopped_epoch = {es.stopped_epoch!r}, expected {stop}")


@pytest.mark.exercise("EarlyStopping", weight=2)
@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_restores_the_best_weights(impl, restore_best):
    curve = [1.0, 0.8, 0.5, 0.6, 0.7, 0.9]
    es = impl.EarlyStopping(patience=3, restore_best_weights=restore_best)
    call = f"EarlyStopping(patience=3, restore_best_weights={restore_best}) on val_loss = {curve}"
    flags, weights, _ = train(es, curve, until_stop=True)
    expect(flags == [False] * 5 + [True], call, f"update returned {flags}, expected True at epoch 5 only")
    restored = es.restore()
    call += ", then restore()"
    if restore_best:
        expect(epoch_of(restored, call, "restore()") == 2, call,
               f"restore() gave the weights of epoch {epoch_of(restored, call, 'restore()')}, expected "
               "those of the best epoch 2",
               mistake("EarlyStopping", "best_copy"))
        restored["W"][...] = -1
        expect(epoch_of(es.restore(), call, "a second restore()") == 2, call,
               "changing the arrays returned by restore() changed the stored best weights",
               mistake("EarlyStopping", "restore_copy"))
    else:
        expect(epoch_of(restored, call, "restore()") == 5, call,
               "with restore_best_weights=False, restore() should give the latest weights (epoch 5)")


# (kwargs, curve, epochs saved), derived by hand
# (kwargs, curve, epochs saved, (best, best_epoch) at the end), derived by hand
CHECKPOINT_CASES = {
    # the defaults (val_loss, min, save_best_only): improvements at 0, 1, 3; the tie 0.7 at epoch 4 is not one
    "best_min": (dict(), [1.0, 0.8, 0.9, 0.7, 0.7, 0.75], [0, 1, 3], (0.7, 3)),
    "best_max": (dict(monitor="val_accuracy", mode="max"), [0.5, 0.4, 0.6, 0.6, 0.9], [0, 2, 4], (0.9, 4)),
    "every_epoch": (dict(save_best_only=False), [1.0, 1.2, 0.9, 1.5], [0, 1, 2, 3], (0.9, 2)),
}


@pytest.mark.exercise("ModelCheckpoint", weight=3)
@pytest.mark.parametrize("to_files", [False, True], ids=["memory", "files"])
@pytest.mark.parametrize("case", CHECKPOINT_CASES.values(), ids=CHECKPOINT_CASES.keys())
def test_model_checkpoint_saves_copies_of_the_right_epochs(impl, case, to_files, tmp_path):
    kwargs, curve, saved, best = case
    folder = impl.scratch_folder(tmp_path) if to_files else None  # in isolation: the worker's own /tmp
    kwargs = dict(kwargs, path=f"{folder}/ckpt-{{epoch:02d}}.npz") if to_files else kwargs  # else the default None
    monitor = kwargs.get("monitor", "val_loss")
    cp = impl.ModelCheckpoint(**kwargs)
    call = f"ModelCheckpoint({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) on {monitor} = {curve}"
    start = math.inf if kwargs.get("mode", "min") == "min" else -math.inf
    expect((cp.best, cp.best_epoch, dict(cp.saved)) == (start, None, {}), call,
           f"before the first epoch best, best_epoch, saved = {cp.best!r}, {cp.best_epoch!r}, {cp.saved!r}; "
           f"expected {start}, None, {{}}")
    flags, _, _ = train(cp, curve, monitor, dtype=np.float32)
    expected_flags = [e in saved for e in range(len(curve))]
    expect(flags == expected_flags, call, f"update returned {flags}, expected {expected_flags}",
           mistake("ModelCheckpoint", "when_to_save"))
    expect(sorted(cp.saved) == saved, call, f"saved epochs {sorted(cp.saved)}, expected {saved}")
    expect((cp.best, cp.best_epoch) == best, call, f"best, best_epoch = {cp.best!r}, {cp.best_epoch!r}; "
           f"expected {best[0]}, {best[1]}")
    if to_files:
        files = impl.list_folder(folder)
        want = [f"ckpt-{e:02d}.npz" for e in saved]
        expect(files == want, call, f"wrote the files {files}, expected {want}",
               mistake("ModelCheckpoint", "file_name"))
    for epoch in saved:
        loaded = cp.load(epoch)
        what = f"load({epoch})"
        expect(epoch_of(loaded, call, what) == epoch, call,
               f"{what} gave the weights of epoch {epoch_of(loaded, call, what)}",
               mistake("ModelCheckpoint", "copies"))
        expect(all(type(a) is np.ndarray and a.dtype == np.float32 for a in loaded.values()), call,
               f"{what} gave {describe_value(list(loaded.values()))}, expected the float32 arrays that were saved")
        loaded["W"][...] = -1
        expect(epoch_of(cp.load(epoch), call, f"a second {what}") == epoch, call,
               f"changing the arrays returned by {what} changed the checkpoint",
               mistake("ModelCheckpoint", "load_copies"))
    expect(epoch_of(cp.load(), call, "load()") == saved[-1], call,
           f"load() gave the weights of epoch {epoch_of(cp.load(), call, 'load()')}, expected the latest saved "
           f"epoch {saved[-1]}")


# ---------------------------------------------------------------- speed
# Each exercise's limit (max_ratio): between the slowest correct style and the fastest loop
# measured by tests/kit/testing/calibrate_gates.py; the figures and margins (at least 2.3x
# both ways) are in tests/kit/testing/gate_figures.txt.
LIMITS = {
    "dropout": 12,
    "batchnorm": 25,
    "layernorm": 25,
}
SPEED_GATES = limited([
    *[Gate("dropout", f"dropout-{label(shape)}", lambda rng, dtype, shape=shape: (
        normal(rng, shape, dtype), normal(rng, shape, dtype), 0.3), dropout_pass, torch_dropout_pass,
        name="dropout_forward + dropout_backward", check=dropout_check) for shape in ELEMENTWISE_SHAPES],
    # a loop over the samples, the features, the channels, the pixels
    *[batchnorm_gate(shape, True) for shape in [(2048, 4), (4, 2048), (2, 512, 2, 2), (2, 2, 32, 32)]],
    batchnorm_gate((2048, 4), False),
    *[layernorm_gate(shape, k) for shape, k in [((2048, 4), 1), ((4, 2048), 1), ((1024, 2, 4), 2)]],
], LIMITS)


@pytest.mark.bench
@pytest.mark.parametrize("gate, dtype", gate_params(SPEED_GATES))
def test_speed(impl, benchmark, gate, dtype):
    run_gate(benchmark, impl, gate, dtype)
