"""Topic 2 — losses: (loss, dpred) against torch's losses and autograd, and speed gates.

Tolerances: `check_loss` compares in the prediction's dtype; `scale` is the size of the
numbers a correct implementation may cancel (|logits| for the cross-entropies), `terms`
the number of terms summed."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.testing import LearnerFailure, assert_speed, check_loss, compare
from gradeschool.testing.oracle import describe_call, describe_value, to_torch
from gradeschool.testing.strategies import losses as ts

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
REDUCTIONS = pytest.mark.parametrize("reduction", ["mean", "sum", "none"])


def size(*arrays):
    """The largest |value| among the arrays (at least 1): the `scale` of a check."""
    return max([1.0] + [float(np.abs(a).max()) for a in arrays if a is not None and a.size])


# ---------------------------------------------------------------- regression losses
REGRESSION = [
    pytest.param("mse_loss", F.mse_loss, marks=pytest.mark.exercise("mse_loss"), id="mse"),
    pytest.param("mae_loss", F.l1_loss, marks=pytest.mark.exercise("mae_loss"), id="mae"),
]


@pytest.mark.parametrize("name, torch_fn", REGRESSION)
@given(pair=ts.regression_pairs(), reduction=ts.reductions)
def test_regression_loss_matches_torch(impl, device, name, torch_fn, pair, reduction):
    pred, target = pair
    check_loss(impl.get(name), torch_fn, pred, target, name=name, kwargs={"reduction": reduction},
               device=device, scale=1.0, terms=pred.size)


@pytest.mark.exercise("huber_loss", weight=2)
@given(problem=ts.huber_problems(), reduction=ts.reductions)
def test_huber_loss_matches_torch(impl, device, problem, reduction):
    pred, target, delta = problem
    check_loss(impl.huber_loss, F.huber_loss, pred, target, kwargs={"delta": delta, "reduction": reduction},
               device=device, scale=1.0, terms=pred.size,
               hint="With d = pred - target: 0.5 d**2 for |d| <= delta, delta * (|d| - delta / 2) beyond; "
                    "the pieces meet at |d| = delta.")


# ---------------------------------------------------------------- binary cross-entropy
TORCH_BCE_EPSILON = float(np.float32(1e-12))  # torch keeps its 1e-12 as a float32: 9.99999996e-13


def binary_cross_entropy(p, y, reduction):
    """F.binary_cross_entropy, with the gradient's clamp at exactly 1e-12 (the kit's convention).

    Where p (1 - p) < 1e-12 torch divides by its float32 constant, 4e-9 (relatively) away
    from 1e-12: far beyond a float64 tolerance. A term that is 0 in value moves the gradient
    there to (p - y) / 1e-12; everywhere else it adds exactly 0."""
    loss = F.binary_cross_entropy(p, y, reduction=reduction)
    with torch.no_grad():
        pq = p * (1 - p)
        fix = (p - y) * (1 / pq.clamp(min=1e-12) - 1 / pq.clamp(min=TORCH_BCE_EPSILON))
        fix = fix / p.numel() if reduction == "mean" else fix
    shift = (p - p.detach()) * fix
    return loss + (shift if reduction == "none" else shift.sum())


@pytest.mark.exercise("binary_cross_entropy", weight=2)
@given(pair=ts.probability_pairs(), reduction=ts.reductions)
def test_binary_cross_entropy_matches_torch(impl, device, pair, reduction):
    p, y = pair
    check_loss(impl.binary_cross_entropy, binary_cross_entropy, p, y, kwargs={"reduction": reduction},
               device=device, scale=1.0, terms=p.size,
               grad_hint="d/dp = (p - y) / max(p (1 - p), 1e-12): the 1e-12 keeps p = 0 and p = 1 finite.")


def bce_with_logits(pos_weight):
    def torch_fn(z, y, reduction):
        pw = None if pos_weight is None else to_torch(pos_weight, str(z.device))
        return F.binary_cross_entropy_with_logits(z, y, pos_weight=pw, reduction=reduction)

    return torch_fn


@pytest.mark.exercise("binary_cross_entropy_with_logits", weight=2)
@given(problem=ts.logit_label_problems(), reduction=ts.reductions)
def test_binary_cross_entropy_with_logits_matches_torch(impl, device, problem, reduction):
    z, y, pos_weight = problem
    check_loss(impl.binary_cross_entropy_with_logits, bce_with_logits(pos_weight), z, y,
               argnames=("logits", "target"), kwargs={"pos_weight": pos_weight, "reduction": reduction},
               torch_kwargs={"reduction": reduction}, device=device,
               scale=size(z) * size(pos_weight), terms=z.size)


# ---------------------------------------------------------------- cross-entropy over classes
@pytest.mark.exercise("categorical_cross_entropy", weight=2)
@given(problem=ts.classification_problems(), data=st.data(), reduction=ts.reductions)
def test_categorical_cross_entropy_matches_torch(impl, device, problem, data, reduction):
    z, y = problem
    target = data.draw(ts.target_distributions(y, z.shape[1], z.dtype), label="target")
    check_loss(impl.categorical_cross_entropy, F.cross_entropy, z, target, argnames=("logits", "target"),
               kwargs={"reduction": reduction}, device=device, scale=size(z), terms=z.size)


def cross_entropy(weight):
    def torch_fn(z, y, label_smoothing, reduction):
        w = None if weight is None else to_torch(weight, str(z.device))
        return F.cross_entropy(z, y, weight=w, label_smoothing=label_smoothing, reduction=reduction)

    return torch_fn


@pytest.mark.exercise("sparse_categorical_cross_entropy", weight=3)
@given(problem=ts.classification_problems(), data=st.data(), label_smoothing=ts.label_smoothings,
       reduction=ts.reductions)
def test_sparse_categorical_cross_entropy_matches_torch(impl, device, problem, data, label_smoothing, reduction):
    z, y = problem
    weight = data.draw(ts.class_weights(z.dtype, z.shape[1]), label="weight")
    check_loss(impl.sparse_categorical_cross_entropy, cross_entropy(weight), z, y, argnames=("logits", "y"),
               kwargs={"weight": weight, "label_smoothing": label_smoothing, "reduction": reduction},
               torch_kwargs={"label_smoothing": label_smoothing, "reduction": reduction}, device=device,
               scale=size(z) * size(weight), terms=z.size,
               hint="'mean' divides by the total weight of the true classes, sum(weight[y]); label smoothing "
                    "mixes the one-hot target with eps / C on every class.")


# ---------------------------------------------------------------- edge cases, by hand
EDGES = [
    pytest.param("binary_cross_entropy", binary_cross_entropy, [0, 1, 0, 1, 0.5], [0, 1, 1, 0, 1], {},
                 marks=pytest.mark.exercise("binary_cross_entropy"), id="bce-p-0-1"),
    pytest.param("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
                 [1e4, -1e4, 1e4, -1e4, 0], [1, 0, 0, 1, 0.5], {},
                 marks=pytest.mark.exercise("binary_cross_entropy_with_logits"), id="bce-logits-1e4"),
    pytest.param("categorical_cross_entropy", F.cross_entropy, [[1e4, -1e4, 0]], [[0, 1, 0]], {},
                 marks=pytest.mark.exercise("categorical_cross_entropy"), id="cce-N1-1e4"),
    pytest.param("categorical_cross_entropy", F.cross_entropy, [[3.0], [-1e4]], [[1], [1]], {},
                 marks=pytest.mark.exercise("categorical_cross_entropy"), id="cce-C1"),
    pytest.param("sparse_categorical_cross_entropy", F.cross_entropy, [[-1e4, 1e4], [2, 2]], [0, 1],
                 {"label_smoothing": 0.2}, marks=pytest.mark.exercise("sparse_categorical_cross_entropy"),
                 id="sce-1e4-smoothing"),
    pytest.param("sparse_categorical_cross_entropy", F.cross_entropy, [[0.5], [-1e4]], [0, 0],
                 {"label_smoothing": 0.3}, marks=pytest.mark.exercise("sparse_categorical_cross_entropy"),
                 id="sce-C1"),
    pytest.param("sparse_categorical_cross_entropy", F.cross_entropy, [[1, 2, 3], [0, 0, 5], [2, -1, 0]], [0, 1, 1],
                 {"weight": [1.0, 4.0, 0.5]}, marks=pytest.mark.exercise("sparse_categorical_cross_entropy"),
                 id="sce-class-weights"),
    pytest.param("huber_loss", F.huber_loss, [0, 1, -1, 3, 0.5], [1, 0, 0, 0, -1.5], {"delta": 1.0},
                 marks=pytest.mark.exercise("huber_loss"), id="huber-kinks"),
    pytest.param("mae_loss", F.l1_loss, [1, 0, -2, 5], [1, 0, -2, 4], {},
                 marks=pytest.mark.exercise("mae_loss"), id="mae-ties"),
]


@pytest.mark.parametrize("name, torch_fn, pred, target, kwargs", EDGES)
@DTYPES
@REDUCTIONS
def test_loss_at_edge_cases(impl, device, name, torch_fn, pred, target, kwargs, dtype, reduction):
    pred = np.array(pred, dtype)
    target = np.array(target, np.int64 if name.startswith("sparse") else dtype)
    kwargs = {k: np.array(v, dtype) if isinstance(v, list) else v for k, v in kwargs.items()}
    check_loss(impl.get(name), torch_fn, pred, target, name=name, kwargs={**kwargs, "reduction": reduction},
               device=device, scale=size(pred), terms=pred.size)


# ---------------------------------------------------------------- penalties
def torch_l1(ws, lam):
    return lam * sum(w.abs().sum() for w in ws)


def torch_l2(ws, lam):
    return lam / 2 * sum((w * w).sum() for w in ws)


def torch_elastic_net(ws, lam, l1_ratio):
    return l1_ratio * torch_l1(ws, lam) + (1 - l1_ratio) * torch_l2(ws, lam)


PENALTIES = [
    pytest.param("l1_penalty", torch_l1, {}, marks=pytest.mark.exercise("l1_penalty"), id="l1"),
    pytest.param("l2_penalty", torch_l2, {}, marks=pytest.mark.exercise("l2_penalty"), id="l2"),
    pytest.param("elastic_net_penalty", torch_elastic_net, {"l1_ratio": st.floats(0.0, 1.0)},
                 marks=pytest.mark.exercise("elastic_net_penalty"), id="elastic_net"),
]


@pytest.mark.parametrize("name, torch_fn, extra", PENALTIES)
@given(weights=ts.weight_lists(), lam=st.floats(0.0, 2.0), data=st.data())
def test_penalty_matches_autograd(impl, device, name, torch_fn, extra, weights, lam, data):
    kwargs = {"lam": lam, **{k: data.draw(v, label=k) for k, v in extra.items()}}
    call = describe_call(name, [weights], kwargs, ["weights"])
    before = [w.copy() for w in weights]
    result = impl.get(name)(weights, **kwargs)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list | tuple)
            and len(result[1]) == len(weights)):
        raise LearnerFailure(f"{call}\n  should return (penalty, [one gradient per weight array]), returned "
                             f"{describe_value(result)}")
    if not all(np.array_equal(w, b) for w, b in zip(weights, before, strict=True)):
        raise LearnerFailure(f"{call}\n  modified the weights in place")
    penalty, grads = result
    tensors = to_torch(weights, device, requires_grad=True)
    ref = torch_fn(tensors, **kwargs)
    ref_grads = torch.autograd.grad(ref, tensors)
    dtype, terms = weights[0].dtype, sum(w.size for w in weights)
    compare(penalty, ref, call=call, what="the penalty", dtype=dtype, scale=size(*weights), terms=terms)
    for k, (g, r) in enumerate(zip(grads, ref_grads, strict=True)):
        compare(g, r, call=call, what=f"the gradient of weights[{k}]", dtype=dtype, scale=1.0)


# ---------------------------------------------------------------- speed
def with_gradient(loss):
    """torch's loss and its gradient w.r.t. the prediction: the work a learner's (loss, dpred) does."""

    def reference(pred, *others):
        with torch.enable_grad():
            p = pred.detach().requires_grad_()
            value = loss(p, *others)
            return value, torch.autograd.grad(value, p)[0]

    return reference


def class_problem(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, shape[1], shape[0])


def label_problem(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, 2, shape).astype(dtype)


SPEED_SHAPES = [(65536, 10), (1024, 1000)]


@pytest.mark.bench
@pytest.mark.parametrize("shape", SPEED_SHAPES, ids=lambda s: "x".join(map(str, s)))
@DTYPES
@pytest.mark.parametrize("name, torch_fn, make", [
    pytest.param("sparse_categorical_cross_entropy", F.cross_entropy, class_problem,
                 marks=pytest.mark.exercise("sparse_categorical_cross_entropy"), id="cross_entropy"),
    pytest.param("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, label_problem,
                 marks=pytest.mark.exercise("binary_cross_entropy_with_logits"), id="bce_with_logits"),
])
def test_speed(impl, benchmark, name, torch_fn, make, shape, dtype):
    # Measured (README, speed): the solutions reach 0.5-4x, a loop over the 65,536 rows 87-360x.
    args = make(np.random.default_rng(0), shape, dtype)
    assert_speed(benchmark, impl, impl.get(name), with_gradient(torch_fn), *args, max_ratio=16)
