"""Topic 5 — regularization: dropout (statistical tests with bounds from the sample size),
batch and layer normalisation against torch (values, gradients, running statistics), early
stopping and checkpoints on scripted metric curves."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.testing import LearnerFailure, check_layer, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.oracle import describe_call, describe_value
from gradeschool.testing.strategies import regularization as ts

SIGMAS = 6.0  # statistical bounds: a correct implementation fails one in ~500 million runs
DOUT_MAX = 5.0  # bound on |dout|: check_layer's upstream gradient is standard normal


def expect(ok, call, problem, hint=None, lines=()):
    """Fail with a learner-facing message unless `ok`."""
    if not ok:
        text = [call, f"  {problem}", *[f"  {line}" for line in lines]]
        raise LearnerFailure("\n".join(text + ([f"  hint: {hint}"] if hint else [])))


def expect_tuple(result, n, call, names):
    expect(isinstance(result, tuple) and len(result) == n, call,
           f"should return a tuple of {n} ({', '.join(names)}), returned {describe_value(result)}",
           f"End with `return {', '.join(names)}`.")
    return result


# ---------------------------------------------------------------- dropout
def dropout(impl, x, **kwargs):
    """(out, cache, call) of dropout_forward, after checking the pair, the output's type,
    dtype and shape, and that x was left alone."""
    call = describe_call("dropout_forward", [x], kwargs, ["x"])
    before = x.copy()
    out, cache = expect_tuple(impl.dropout_forward(x, **kwargs), 2, call, ["out", "cache"])
    expect(np.array_equal(x, before), call, "modified its input `x` in place",
           "Compute out = x * mask / (1 - p) as a new array.")
    expect(type(out) is np.ndarray and out.dtype == x.dtype and out.shape == x.shape, call,
           f"out is {describe_value(out)}, expected {describe_value(x)}",
           "Keep x's shape and dtype: a boolean mask times x keeps x's dtype.")
    return out, cache, call


def kept_fraction_bound(n, p):
    """6-sigma bound on |kept/n - (1 - p)| for n independent Bernoulli(1 - p) keeps."""
    return SIGMAS * math.sqrt(p * (1 - p) / n)


def nonzero_x(dtype, shape):
    """Inputs with no zeros, so that out == 0 exactly where an element was dropped."""
    return gs.arrays(dtype, shape, 0.5, 5.0)


DROPOUT_X = st.tuples(gs.dtypes, gs.shapes(1, 3)).flatmap(lambda a: nonzero_x(*a))


@pytest.mark.exercise("dropout", weight=2)
@given(x=DROPOUT_X, p=ts.dropout_p(), seed=gs.seeds)
def test_dropout_scales_kept_elements_and_backward_reuses_the_mask(impl, x, p, seed):
    out, cache, call = dropout(impl, x, p=p, train=True, seed=seed)
    kept = out != 0
    scale = 0.0 if p == 1 else 1 / (1 - p)
    expect(np.isfinite(out).all(), call, "out holds nan or inf",
           "With p = 1 every element is dropped: out is all zeros (do not divide by 1 - p = 0).")
    compare(out[kept], x[kept].astype(np.float64) * scale, call=call, dtype=x.dtype,
            what="the kept elements of out",
            hint="Inverted dropout scales every kept element by 1 / (1 - p): out = x * mask / (1 - p).")
    dout = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    bcall = f"dropout_backward(dout: {describe_value(dout)}, cache) after {call}"
    compare(impl.dropout_backward(dout, cache), np.where(kept, dout.astype(np.float64) * scale, 0.0),
            call=bcall, dtype=x.dtype, what="dx",
            hint="dx = dout * mask / (1 - p) with the mask of the forward pass (keep it in the cache): "
                 "the gradient flows back exactly where an element was kept.")


@pytest.mark.exercise("dropout")
@given(x=DROPOUT_X, p=ts.dropout_p(), seed=gs.seeds)
def test_dropout_is_the_identity_at_eval(impl, x, p, seed):
    out, cache, call = dropout(impl, x, p=p, train=False, seed=seed)
    compare(out, x, call=call, dtype=x.dtype, rtol=0, atol=0,
            hint="At evaluation time (train=False) dropout does nothing: return x (a copy), unscaled.")
    dout = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    compare(impl.dropout_backward(dout, cache), dout, call=f"dropout_backward(dout, cache) after {call}",
            dtype=x.dtype, rtol=0, atol=0, what="dx", hint="At evaluation time dx = dout.")


@pytest.mark.exercise("dropout")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_dropout_with_p_zero_is_the_identity(impl, dtype):
    x = np.random.default_rng(3).uniform(0.5, 5.0, (50, 20)).astype(dtype)
    out, _, call = dropout(impl, x, p=0.0, train=True, seed=3)
    compare(out, x, call=call, dtype=dtype, rtol=0, atol=0,
            hint="With p = 0 nothing is dropped and the scale 1 / (1 - p) is 1.")


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
           "p is the probability of DROPPING an element: keep where rng.random(x.shape) >= p.")
    # E[out] = x element-wise; the mean of n independent terms has variance sum(x^2) p / (1-p) / n^2
    sigma = math.sqrt(float((x ** 2).sum()) * p / (1 - p)) / n
    expect(abs(out.mean() - x.mean()) <= SIGMAS * sigma, call,
           f"mean(out) = {out.mean():.5f}, expected mean(x) = {x.mean():.5f} +- {SIGMAS * sigma:.5f} "
           f"({SIGMAS:g} sigma)",
           "Inverted dropout preserves the mean: scale the kept elements by 1 / (1 - p).")


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
               "Draw one random number per element, `rng.random(x.shape)`, not one per row or column.")


@pytest.mark.exercise("dropout")
def test_dropout_seed_makes_the_mask_reproducible(impl):
    x = np.ones((40, 25))
    a, _, call = dropout(impl, x, p=0.5, seed=123)
    b, _, _ = dropout(impl, x, p=0.5, seed=123)
    c, _, _ = dropout(impl, x, p=0.5, seed=124)
    d, _, _ = dropout(impl, x, p=0.5, seed=None)
    e, _, _ = dropout(impl, x, p=0.5, seed=None)
    hint = "Draw the mask from np.random.default_rng(seed): the same seed gives the same mask, None a fresh one."
    expect(np.array_equal(a, b), call, "two calls with seed=123 gave different masks", hint)
    expect(not np.array_equal(a, c), call, "seed=123 and seed=124 gave the same mask of 1000 elements", hint)
    expect(not np.array_equal(d, e), describe_call("dropout_forward", [x], {"p": 0.5, "seed": None}, ["x"]),
           "two calls with seed=None gave the same mask of 1000 elements", hint)


# ---------------------------------------------------------------- batch and layer normalisation
def norm_scale(x, gamma, beta, axes, eps):
    """The size of the rounding errors of a normalisation (for float32 tolerances).
    x - mean loses about eps32 * max|x|, which the division by sqrt(var + eps) magnifies by
    cond = max|x| / min sqrt(var + eps) (large for a constant channel: var = 0); gamma scales
    the output; dx is magnified once more by |gamma| / sqrt(var + eps)."""
    x64 = x.astype(np.float64)
    std_min = float(np.sqrt(x64.var(axis=axes).min(initial=np.inf) + eps))
    cond = 1.0 + float(np.abs(x64).max(initial=0.0)) / std_min
    g = float(np.abs(gamma).max(initial=0.0))
    b = float(np.abs(beta).max(initial=0.0))
    return max(g * cond + b, DOUT_MAX * cond * max(1.0, g / std_min))


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


def torch_batchnorm(train, momentum, eps):
    def batch_norm(x, gamma, beta, running_mean, running_var):
        return F.batch_norm(x, running_mean.clone(), running_var.clone(), gamma, beta,
                            training=train, momentum=momentum, eps=eps)

    return batch_norm


BN_ARGNAMES = ["x", "gamma", "beta", "running_mean", "running_var"]


def check_batchnorm(impl, device, x, gamma, beta, running_mean, running_var, train, momentum, eps):
    kwargs = {"train": train, "momentum": momentum, "eps": eps}
    m = x.size // x.shape[1]
    # training: batch statistics, error grows with the conditioning; eval: a per-element affine map
    scale = norm_scale(x, gamma, beta, bn_axes(x), eps) if train else None
    check_layer(bn_pair(impl), impl.batchnorm_backward, torch_batchnorm(train, momentum, eps),
                x, gamma, beta, running_mean, running_var, grad_wrt=[0, 1, 2], name="batchnorm_forward",
                argnames=BN_ARGNAMES, kwargs=kwargs, torch_kwargs={}, device=device, scale=scale, terms=m)


@pytest.mark.exercise("batchnorm", weight=3)
@given(case=ts.batchnorm_inputs(train=True))
def test_batchnorm_train_matches_torch(impl, device, case):
    check_batchnorm(impl, device, case["xs"][0], case["gamma"], case["beta"], case["running_mean"],
                    case["running_var"], True, case["momentum"], case["eps"])


@pytest.mark.exercise("batchnorm", weight=2)
@given(case=ts.batchnorm_inputs(train=False))
def test_batchnorm_eval_matches_torch(impl, device, case):
    x, rm, rv = case["xs"][0], case["running_mean"], case["running_var"]
    check_batchnorm(impl, device, x, case["gamma"], case["beta"], rm, rv, False, case["momentum"], case["eps"])
    kwargs = {"train": False, "momentum": case["momentum"], "eps": case["eps"]}
    call = describe_call("batchnorm_forward", [x, case["gamma"], case["beta"], rm, rv], kwargs, BN_ARGNAMES)
    _, _, new_rm, new_rv = impl.batchnorm_forward(x, case["gamma"], case["beta"], rm, rv, **kwargs)
    hint = "At evaluation time the running statistics are used, not updated: return them unchanged."
    compare(new_rm, rm, call=call, what="new_running_mean", dtype=x.dtype, rtol=0, atol=0, hint=hint)
    compare(new_rv, rv, call=call, what="new_running_var", dtype=x.dtype, rtol=0, atol=0, hint=hint)


@pytest.mark.exercise("batchnorm", weight=2)
@given(case=ts.batchnorm_inputs(train=True, batches=3))
def test_batchnorm_running_stats_match_torch(impl, device, case):
    gamma, beta, momentum, eps = case["gamma"], case["beta"], case["momentum"], case["eps"]
    rm, rv = case["running_mean"], case["running_var"]
    t_rm = torch.tensor(rm.astype(np.float64), device=device)
    t_rv = torch.tensor(rv.astype(np.float64), device=device)
    kwargs = {"train": True, "momentum": momentum, "eps": eps}
    hint = ("new = (1 - momentum) * running + momentum * batch statistic; the running variance takes the "
            "UNBIASED batch variance, var * m / (m - 1) with m values per channel.")
    for step, x in enumerate(case["xs"], 1):
        call = describe_call(f"step {step}: batchnorm_forward", [x, gamma, beta, rm, rv], kwargs, BN_ARGNAMES)
        before = rm.copy(), rv.copy()
        _, _, rm_new, rv_new = expect_tuple(impl.batchnorm_forward(x, gamma, beta, rm, rv, **kwargs), 4, call,
                                            ["out", "cache", "new_running_mean", "new_running_var"])
        expect(np.array_equal(rm, before[0]) and np.array_equal(rv, before[1]), call,
               "modified running_mean or running_var in place",
               "Return new running statistics and leave the arrays passed in unchanged.")
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
                    train, 0.1, 1e-3)


@pytest.mark.exercise("layernorm", weight=3)
@given(case=ts.layernorm_inputs())
def test_layernorm_matches_torch(impl, device, case):
    x, gamma, beta, eps = case["x"], case["gamma"], case["beta"], case["eps"]
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    terms = max(gamma.size, x.size // gamma.size)
    check_layer(impl.layernorm_forward, impl.layernorm_backward,
                lambda x, g, b: F.layer_norm(x, tuple(g.shape), g, b, eps), x, gamma, beta,
                grad_wrt=[0, 1, 2], argnames=["x", "gamma", "beta"], kwargs={"eps": eps}, torch_kwargs={},
                device=device, scale=norm_scale(x, gamma, beta, axes, eps), terms=terms)


@pytest.mark.exercise("layernorm")
@pytest.mark.parametrize("shape, k", [((1, 6), 1), ((1, 1, 4), 1), ((1, 3, 4), 2), ((5, 1), 1), ((4, 3), 2)],
                         ids=["N1", "N1_T1", "N1_k2", "D1", "all_dims"])
def test_layernorm_edge_cases(impl, device, shape, k):
    """A batch of one sample, a single normalised value (x_hat = 0), every dim normalised."""
    rng = np.random.default_rng(sum(shape) + k)
    x = rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 2.0, shape[-k:]), rng.standard_normal(shape[-k:])
    check_layer(impl.layernorm_forward, impl.layernorm_backward,
                lambda x, g, b: F.layer_norm(x, tuple(g.shape), g, b, 1e-5), x, gamma, beta,
                grad_wrt=[0, 1, 2], argnames=["x", "gamma", "beta"], kwargs={"eps": 1e-5}, torch_kwargs={},
                device=device, scale=norm_scale(x, gamma, beta, tuple(range(x.ndim - k, x.ndim)), 1e-5),
                terms=max(gamma.size, x.size // gamma.size))


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


def train(callback, curve, monitor="val_loss", dtype=np.float64, until_stop=False):
    """Feed a scripted curve to `callback.update(logs, weights)` epoch by epoch, changing
    the weights in place as a training loop does (and leaving the loop at the first True
    if `until_stop`). Returns (the returned flags, the weights)."""
    weights = weights_at(0, dtype)
    flags = []
    for epoch, value in enumerate(curve):
        for a in weights.values():
            a[...] = epoch
        logs = {"loss": 1.0 / (epoch + 1), monitor: value}  # the training loss always improves
        flags.append(callback.update(logs, weights))
        if until_stop and flags[-1]:
            break
    return flags, weights


# (kwargs, curve, epoch at which update first returns True (None: never), best epoch), derived by hand
EARLY_STOPPING_CASES = {
    # best 0.6 at epoch 2; epochs 3, 4, 5 are not better (0.60 only ties): stop at 5, not 6
    "patience3": (dict(patience=3), [0.9, 0.7, 0.6, 0.65, 0.61, 0.60, 0.62, 0.5], 5, 2),
    # improvements reset the count: bad epochs 1, 2, then best at 3, bad 4, 5, 6: stop at 6
    "wait_resets": (dict(patience=3), [1.0, 1.1, 1.2, 0.9, 1.0, 1.1, 1.2, 0.1], 6, 3),
    # improvements smaller than min_delta=0.05 do not count: bad epochs 1 and 2 -> stop at 2
    "min_delta": (dict(patience=2, min_delta=0.05), [1.0, 0.97, 0.96, 0.90, 0.89, 0.88], 2, 0),
    # exactly min_delta better is not better (strict): 0.75 = 1.0 - 0.25
    "min_delta_strict": (dict(patience=2, min_delta=0.25), [1.0, 0.75, 0.8, 0.9], 2, 0),
    # patience 0 stops at the first epoch that does not improve
    "patience0": (dict(patience=0), [3.0, 2.0, 2.5, 1.0], 2, 1),
    # an accuracy goes up: best 0.7 at epoch 2, then 0.69, 0.7 (tie), 0.65 -> stop at 5
    "mode_max": (dict(monitor="val_accuracy", mode="max", patience=3), [0.5, 0.6, 0.7, 0.69, 0.7, 0.65, 0.9], 5, 2),
    # mode max with min_delta: steps of +0.01 and +0.015 are below min_delta=0.02
    "mode_max_min_delta": (dict(monitor="val_accuracy", mode="max", patience=2, min_delta=0.02),
                           [0.5, 0.51, 0.515, 0.6, 0.61], 2, 0),
    # a curve that keeps improving never stops
    "never": (dict(patience=1), [5.0, 4.0, 3.0, 2.0, 1.0], None, 4),
}


@pytest.mark.exercise("EarlyStopping", weight=3)
@pytest.mark.parametrize("case", EARLY_STOPPING_CASES.values(), ids=EARLY_STOPPING_CASES.keys())
def test_early_stopping_on_scripted_curves(impl, case):
    kwargs, curve, stop, best = case
    monitor = kwargs.get("monitor", "val_loss")
    es = impl.EarlyStopping(**kwargs)
    call = f"EarlyStopping({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) on {monitor} = {curve}"
    flags, _ = train(es, curve, monitor, until_stop=True)
    expect(all(isinstance(f, bool | np.bool_) for f in flags), call, f"update returned {flags}, expected True or False")
    got = len(flags) - 1 if flags[-1] else None
    expect(got == stop, call,
           f"update first returned True at epoch {got}, expected {stop} (epochs count from 0)",
           "An epoch improves when value < best - min_delta ('min') or value > best + min_delta ('max'), "
           "strictly; reset wait to 0 then, else add 1, and stop as soon as wait >= patience.",
           [f"update returned {flags}"])
    expect(es.best_epoch == best and es.best == curve[best], call,
           f"best_epoch = {es.best_epoch!r}, best = {es.best!r}; expected {best} and {curve[best]}")
    if stop is not None:
        expect(es.stopped_epoch == stop, call, f"stopped_epoch = {es.stopped_epoch!r}, expected {stop}")


@pytest.mark.exercise("EarlyStopping", weight=2)
@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_restores_the_best_weights(impl, restore_best):
    curve = [1.0, 0.8, 0.5, 0.6, 0.7, 0.9]
    es = impl.EarlyStopping(patience=3, restore_best_weights=restore_best)
    call = f"EarlyStopping(patience=3, restore_best_weights={restore_best}) on val_loss = {curve}"
    flags, weights = train(es, curve, until_stop=True)
    expect(flags == [False] * 5 + [True], call, f"update returned {flags}, expected True at epoch 5 only")
    restored = es.restore()
    call += ", then restore()"
    if restore_best:
        expect(epoch_of(restored, call, "restore()") == 2, call,
               f"restore() gave the weights of epoch {epoch_of(restored, call, 'restore()')}, expected "
               "those of the best epoch 2",
               "Keep copy.deepcopy(weights) at every improvement: the training loop changes its arrays in place.")
        restored["W"][...] = -1
        expect(epoch_of(es.restore(), call, "a second restore()") == 2, call,
               "changing the arrays returned by restore() changed the stored best weights",
               "Return a copy of the best weights.")
    else:
        expect(epoch_of(restored, call, "restore()") == 5, call,
               "with restore_best_weights=False, restore() should give the latest weights (epoch 5)")


# (kwargs, curve, epochs saved), derived by hand
CHECKPOINT_CASES = {
    # improvements at 0, 1, 3; the tie 0.7 at epoch 4 is not an improvement
    "best_min": (dict(), [1.0, 0.8, 0.9, 0.7, 0.7, 0.75], [0, 1, 3]),
    "best_max": (dict(monitor="val_accuracy", mode="max"), [0.5, 0.4, 0.6, 0.6, 0.9], [0, 2, 4]),
    "every_epoch": (dict(save_best_only=False), [1.0, 1.2, 0.9, 1.5], [0, 1, 2, 3]),
}


@pytest.mark.exercise("ModelCheckpoint", weight=3)
@pytest.mark.parametrize("to_files", [False, True], ids=["memory", "files"])
@pytest.mark.parametrize("case", CHECKPOINT_CASES.values(), ids=CHECKPOINT_CASES.keys())
def test_model_checkpoint_saves_copies_of_the_right_epochs(impl, case, to_files, tmp_path):
    kwargs, curve, saved = case
    kwargs = dict(kwargs, path=str(tmp_path / "ckpt-{epoch:02d}.npz") if to_files else None)
    monitor = kwargs.get("monitor", "val_loss")
    cp = impl.ModelCheckpoint(**kwargs)
    call = f"ModelCheckpoint({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) on {monitor} = {curve}"
    flags, _ = train(cp, curve, monitor, dtype=np.float32)
    expected_flags = [e in saved for e in range(len(curve))]
    expect(flags == expected_flags, call, f"update returned {flags}, expected {expected_flags}",
           "With save_best_only, save only when the value beats the best so far (strictly); else every epoch.")
    expect(sorted(cp.saved) == saved, call, f"saved epochs {sorted(cp.saved)}, expected {saved}")
    if to_files:
        files = sorted(p.name for p in tmp_path.iterdir())
        want = [f"ckpt-{e:02d}.npz" for e in saved]
        expect(files == want, call, f"wrote the files {files}, expected {want}",
               "np.savez to path.format(epoch=epoch).")
    for epoch in saved:
        loaded = cp.load(epoch)
        what = f"load({epoch})"
        expect(epoch_of(loaded, call, what) == epoch, call,
               f"{what} gave the weights of epoch {epoch_of(loaded, call, what)}",
               "Save copies of the arrays: the training loop keeps changing them in place after update.")
        expect(all(type(a) is np.ndarray and a.dtype == np.float32 for a in loaded.values()), call,
               f"{what} gave {describe_value(list(loaded.values()))}, expected the float32 arrays that were saved")
        loaded["W"][...] = -1
        expect(epoch_of(cp.load(epoch), call, f"a second {what}") == epoch, call,
               f"changing the arrays returned by {what} changed the checkpoint", "load must return new arrays.")
    expect(epoch_of(cp.load(), call, "load()") == saved[-1], call,
           f"load() gave the weights of epoch {epoch_of(cp.load(), call, 'load()')}, expected the latest saved "
           f"epoch {saved[-1]}")
