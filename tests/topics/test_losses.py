"""Topic 2 — losses: (loss, dpred) against torch's losses and autograd, and speed gates.

Domain: predictions of every rank (0-d and empty included) for the element-wise losses,
every reduction and the default one, every option over its documented range (delta > 0,
pos_weight, class weights, label smoothing in [0, 1], l1_ratio in [0, 1], lam >= 0) and
its default, class indices of int64 and int32.

Tolerances: `check_loss` compares in the prediction's dtype; `scale` is the size of the
numbers a correct implementation may cancel (|logits| for the cross-entropies), `terms`
the number of terms summed (the rule of gradeschool.testing.oracle)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.testing import LearnerFailure, check_loss, compare
from gradeschool.testing.gates import ELEMENTWISE_SHAPES, label, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import check_untouched, describe_call, describe_value, snapshots, to_torch
from gradeschool.testing.speed import Gate, gate_params, limited, run_gate
from gradeschool.testing.strategies import losses as ts

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
REDUCTIONS = pytest.mark.parametrize("reduction", ["mean", "sum", "none", None])  # None: the default


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
    check_loss(impl.get(name), torch_fn, pred, target, name=name, kwargs=ts.with_reduction({}, reduction),
               device=device, scale=1.0, terms=pred.size)


@pytest.mark.exercise("huber_loss", weight=2)
@given(problem=ts.huber_problems(), reduction=ts.reductions)
def test_huber_loss_matches_torch(impl, device, problem, reduction):
    pred, target, delta = problem
    kwargs = ts.with_reduction({} if delta is None else {"delta": delta}, reduction)
    check_loss(impl.huber_loss, F.huber_loss, pred, target, kwargs=kwargs, device=device, scale=1.0, terms=pred.size,
               hint=mistake("huber_loss", "pieces"))


# ---------------------------------------------------------------- binary cross-entropy
TORCH_BCE_EPSILON = float(np.float32(1e-12))  # torch keeps its 1e-12 as a float32: 9.99999996e-13


def binary_cross_entropy(p, y, reduction="mean"):
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
    check_loss(impl.binary_cross_entropy, binary_cross_entropy, p, y, kwargs=ts.with_reduction({}, reduction),
               device=device, scale=1.0, terms=p.size,
               grad_hint=mistake("binary_cross_entropy", "gradient_at_0_and_1"))


@pytest.mark.exercise("binary_cross_entropy_with_logits", weight=2)
@given(problem=ts.logit_label_problems(), reduction=ts.reductions)
def test_binary_cross_entropy_with_logits_matches_torch(impl, device, problem, reduction):
    z, y, pos_weight = problem
    kwargs = ts.with_reduction({} if pos_weight is None else {"pos_weight": pos_weight}, reduction)
    check_loss(impl.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z, y,
               argnames=("logits", "target"), kwargs=kwargs, device=device,
               scale=size(z) * size(pos_weight), terms=z.size)


# ---------------------------------------------------------------- cross-entropy over classes
@pytest.mark.exercise("categorical_cross_entropy", weight=2)
@given(problem=ts.classification_problems(), data=st.data(), reduction=ts.reductions)
def test_categorical_cross_entropy_matches_torch(impl, device, problem, data, reduction):
    z, y = problem
    target = data.draw(ts.target_distributions(y, z.shape[1], z.dtype), label="target")
    check_loss(impl.categorical_cross_entropy, F.cross_entropy, z, target, argnames=("logits", "target"),
               kwargs=ts.with_reduction({}, reduction), device=device, scale=size(z), terms=z.size)



@pytest.mark.exercise("sparse_categorical_cross_entropy", weight=3)
@given(problem=ts.classification_problems(), data=st.data(), label_smoothing=ts.label_smoothings,
       reduction=ts.reductions)
def test_sparse_categorical_cross_entropy_matches_torch(impl, device, problem, data, label_smoothing, reduction):
    z, y = problem
    weight = data.draw(ts.class_weights(z.dtype, z.shape[1]), label="weight")
    kwargs = {k: v for k, v in [("weight", weight), ("label_smoothing", label_smoothing)] if v is not None}
    check_loss(impl.sparse_categorical_cross_entropy, F.cross_entropy, z, y, argnames=("logits", "y"),
               kwargs=ts.with_reduction(kwargs, reduction), device=device,
               scale=size(z) * size(weight), terms=z.size,
               hint=mistake("sparse_categorical_cross_entropy", "weighted_mean"))


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
    pytest.param("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
                 [[2, -1, 0, 5], [-3, 1, 4, -2], [0.5, 0, -1, 1]], [[1, 0, 1, 1], [0, 1, 0.5, 1], [1, 1, 0, 0]],
                 {"pos_weight": [0.5, 2.0, 3.0, 1.0]}, marks=pytest.mark.exercise("binary_cross_entropy_with_logits"),
                 id="bce-logits-pos_weight-2d"),
    pytest.param("sparse_categorical_cross_entropy", F.cross_entropy, [[1, 2, 3], [0, 0, 5], [2, -1, 0], [1, 1, 1]],
                 [2, 1, 0, 1], {"weight": [1.0, 4.0, 0.5], "label_smoothing": 0.3},
                 marks=pytest.mark.exercise("sparse_categorical_cross_entropy"), id="sce-weights-and-smoothing"),
    pytest.param("huber_loss", F.huber_loss, [0, 1, -1, 3, 0.5], [1, 0, 0, 0, -1.5], {"delta": 1.0},
                 marks=pytest.mark.exercise("huber_loss"), id="huber-kinks"),
    pytest.param("huber_loss", F.huber_loss, [0, 0.75, -1, 3, 0.5], [1, 0, 0, 0, -0.25], {},
                 marks=pytest.mark.exercise("huber_loss"), id="huber-default-delta"),
    pytest.param("mae_loss", F.l1_loss, [1, 0, -2, 5], [1, 0, -2, 4], {},
                 marks=pytest.mark.exercise("mae_loss"), id="mae-ties"),
    # every loss has a case here, so that each reduction meets each loss whatever the draws
    pytest.param("mse_loss", F.mse_loss, [[1, 2, 3], [0.5, -4, 0]], [[1, 0, 5], [0, -4, 2]], {},
                 marks=pytest.mark.exercise("mse_loss"), id="mse-2d"),
]


@pytest.mark.parametrize("name, torch_fn, pred, target, kwargs", EDGES)
@DTYPES
@REDUCTIONS
def test_loss_at_edge_cases(impl, device, name, torch_fn, pred, target, kwargs, dtype, reduction):
    pred = np.array(pred, dtype)
    target = np.array(target, np.int64 if name.startswith("sparse") else dtype)
    kwargs = {k: np.array(v, dtype) if isinstance(v, list) else v for k, v in kwargs.items()}
    check_loss(impl.get(name), torch_fn, pred, target, name=name, kwargs=ts.with_reduction(kwargs, reduction),
               device=device, scale=size(pred), terms=pred.size)


# ---------------------------------------------------------------- penalties
def torch_l1(ws, lam):
    return lam * sum(w.abs().sum() for w in ws)


def torch_l2(ws, lam):
    return lam / 2 * sum((w * w).sum() for w in ws)


def torch_elastic_net(ws, lam, l1_ratio=0.5):
    return l1_ratio * torch_l1(ws, lam) + (1 - l1_ratio) * torch_l2(ws, lam)


PENALTIES = [
    pytest.param("l1_penalty", torch_l1, {}, marks=pytest.mark.exercise("l1_penalty"), id="l1"),
    pytest.param("l2_penalty", torch_l2, {}, marks=pytest.mark.exercise("l2_penalty"), id="l2"),
    # None: l1_ratio left out, its default 0.5
    pytest.param("elastic_net_penalty", torch_elastic_net, {"l1_ratio": st.one_of(st.none(), st.floats(0.0, 1.0))},
                 marks=pytest.mark.exercise("elastic_net_penalty"), id="elastic_net"),
]


def penalty_of(impl, name, weights, kwargs):
    """(penalty, grads, call) of the learner's penalty, after checking the result's form and
    that no weight array (nor the list) changed."""
    call = describe_call(name, [weights], kwargs, ["weights"])
    before = snapshots.take([weights], kwargs)
    result = impl.get(name)(weights, **kwargs)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list | tuple)
            and len(result[1]) == len(weights)):
        raise LearnerFailure(f"{call}\n  should return (penalty, [one gradient per weight array]), returned "
                             f"{describe_value(result)}")
    check_untouched(call, [weights], kwargs, before, ["weights"])
    return result[0], result[1], call


@pytest.mark.parametrize("name, torch_fn, extra", PENALTIES)
@given(weights=ts.weight_lists(), lam=st.one_of(st.just(0.0), st.floats(0.0, 2.0)), data=st.data())
def test_penalty_matches_autograd(impl, device, name, torch_fn, extra, weights, lam, data):
    kwargs = {"lam": lam, **{k: v for k, v in ((k, data.draw(s, label=k)) for k, s in extra.items()) if v is not None}}
    penalty, grads, call = penalty_of(impl, name, weights, kwargs)
    tensors = to_torch(weights, device, requires_grad=True)
    ref = torch_fn(tensors, **kwargs)
    ref_grads = torch.autograd.grad(ref, tensors, allow_unused=True, materialize_grads=True)
    dtype, terms = weights[0].dtype, sum(w.size for w in weights)
    compare(penalty, ref, call=call, what="the penalty", dtype=dtype, scale=size(*weights), terms=terms)
    for k, (g, r) in enumerate(zip(grads, ref_grads, strict=True)):
        compare(g, r, call=call, what=f"the gradient of weights[{k}]", dtype=dtype, scale=1.0)


FIXED_WEIGHTS = [[[0.0, -1.5, 2.0], [0.5, 0.0, -3.0]], -0.75, [[[1.0]], [[-2.0]]]]


@pytest.mark.parametrize("name, torch_fn, extra", PENALTIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_penalty_on_fixed_weights(impl, device, name, torch_fn, extra, dtype):
    """A 2-D, a 0-d and a 3-D array with exact zeros; every option left out (l1_ratio's
    default 0.5) and set."""
    weights = [np.asarray(w, dtype) for w in FIXED_WEIGHTS]
    for kwargs in [{"lam": 0.3}, {"lam": 0.3, **{k: 0.2 for k in extra}}]:
        penalty, grads, call = penalty_of(impl, name, weights, kwargs)
        tensors = to_torch(weights, device, requires_grad=True)
        ref = torch_fn(tensors, **kwargs)
        compare(penalty, ref, call=call, what="the penalty", dtype=dtype, scale=size(*weights), terms=8)
        for k, (g, r) in enumerate(zip(grads, torch.autograd.grad(ref, tensors), strict=True)):
            compare(g, r, call=call, what=f"the gradient of weights[{k}]", dtype=dtype, scale=1.0)


# ---------------------------------------------------------------- speed
def with_gradient(loss):
    """torch's loss and its gradient w.r.t. the prediction (or each array of a list of
    predictions): the work a learner's (loss, dpred) does."""

    def reference(pred, *others, **kwargs):
        with torch.enable_grad():
            many = isinstance(pred, list)
            leaves = [p.detach().requires_grad_() for p in pred] if many else pred.detach().requires_grad_()
            value = loss(leaves, *others, **kwargs)
            grads = torch.autograd.grad(value, leaves)
            return value, list(grads) if many else grads[0]

    return reference


def _pair(rng, shape, dtype):
    return normal(rng, shape, dtype, 2.0), normal(rng, shape, dtype, 2.0)


def _probabilities(rng, shape, dtype):
    return rng.uniform(0.01, 0.99, shape).astype(dtype), (rng.random(shape) < 0.5).astype(dtype)


def _logits_labels(rng, shape, dtype):
    return normal(rng, shape, dtype, 3.0), (rng.random(shape) < 0.5).astype(dtype)


def _classes(rng, shape, dtype):
    return normal(rng, shape, dtype, 3.0), rng.integers(0, shape[1], shape[0])


def _distributions(rng, shape, dtype):
    target = rng.random(shape)
    return normal(rng, shape, dtype, 3.0), (target / target.sum(axis=1, keepdims=True)).astype(dtype)


def loss_gates(name, torch_fn, make, shapes, kwargs=None, tag=""):
    def arguments(shape):
        return lambda rng, dtype: (make(rng, shape, dtype), dict(kwargs or {}))

    return [Gate(name, f"{name}{tag}-{label(shape)}", arguments(shape), lambda impl: impl.get(name),
                 with_gradient(torch_fn), name=name) for shape in shapes]


def _pos_weight(rng, shape, dtype):
    z, y = _logits_labels(rng, shape, dtype)
    return (z, y), {"pos_weight": rng.uniform(0.5, 2.0, shape[-1]).astype(dtype)}


def _weighted_classes(rng, shape, dtype):
    z, y = _classes(rng, shape, dtype)
    return (z, y), {"weight": rng.uniform(0.5, 2.0, shape[1]).astype(dtype), "label_smoothing": 0.1}


def _weight_list(shape, **kwargs):
    return lambda rng, dtype: (([normal(rng, shape, dtype), normal(rng, (3, 4), dtype)], 0.1), kwargs)


# a loop over the samples; a loop over the classes, on one row (its cost per step does not
# grow with the rows, torch's and np.logaddexp.reduce's do: see softmax in test_neuron.py)
CLASS_SHAPES = [(2048, 4), (1, 8192)]
# Each exercise's limit (max_ratio): between the slowest correct style and the fastest loop
# measured by tests/kit/testing/calibrate_gates.py; the figures and margins (at least 2.3x
# both ways) are in tests/kit/testing/gate_figures.txt.
LIMITS = {
    "mse_loss": 6,
    "mae_loss": 7,
    "huber_loss": 9,
    "binary_cross_entropy": 25,
    "binary_cross_entropy_with_logits": 20,
    "categorical_cross_entropy": 10,
    "sparse_categorical_cross_entropy": 12,
    "l1_penalty": 5,
    "l2_penalty": 3,
    "elastic_net_penalty": 4,
}
SPEED_GATES = limited([
    *loss_gates("mse_loss", F.mse_loss, _pair, ELEMENTWISE_SHAPES),
    *loss_gates("mae_loss", F.l1_loss, _pair, ELEMENTWISE_SHAPES),
    *loss_gates("huber_loss", F.huber_loss, _pair, ELEMENTWISE_SHAPES, {"delta": 1.5}),
    *loss_gates("binary_cross_entropy", F.binary_cross_entropy, _probabilities, ELEMENTWISE_SHAPES),
    *loss_gates("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, _logits_labels,
                ELEMENTWISE_SHAPES),
    *[Gate("binary_cross_entropy_with_logits", f"binary_cross_entropy_with_logits-pos_weight-{label(shape)}",
           lambda rng, dtype, shape=shape: _pos_weight(rng, shape, dtype),
           lambda impl: impl.binary_cross_entropy_with_logits, with_gradient(F.binary_cross_entropy_with_logits))
      for shape in ELEMENTWISE_SHAPES],
    *loss_gates("categorical_cross_entropy", F.cross_entropy, _distributions, CLASS_SHAPES),
    *loss_gates("sparse_categorical_cross_entropy", F.cross_entropy, _classes, CLASS_SHAPES),
    *[Gate("sparse_categorical_cross_entropy", f"sparse_categorical_cross_entropy-weight-{label(shape)}",
           lambda rng, dtype, shape=shape: _weighted_classes(rng, shape, dtype),
           lambda impl: impl.sparse_categorical_cross_entropy, with_gradient(F.cross_entropy))
      for shape in CLASS_SHAPES],
    *[Gate(name, f"{name}-{label(shape)}", _weight_list(shape, **kwargs), lambda impl, name=name: impl.get(name),
           with_gradient(fn))
      for name, fn, kwargs in [("l1_penalty", torch_l1, {}), ("l2_penalty", torch_l2, {}),
                               ("elastic_net_penalty", torch_elastic_net, {"l1_ratio": 0.3})]
      for shape in ELEMENTWISE_SHAPES],
], LIMITS)


@pytest.mark.bench
@pytest.mark.parametrize("gate, dtype", gate_params(SPEED_GATES))
def test_speed(impl, benchmark, gate, dtype):
    run_gate(benchmark, impl, gate, dtype)
