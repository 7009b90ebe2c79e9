"""Wrong implementations of the losses exercises; each must fail at least one test."""

import functools

import numpy as np

from gradeschool.harness.mutants import mutant, solution


@functools.cache
def _solution():
    return solution("losses")


def _reduce(loss, grad, reduction, count):
    """Reduce per-element losses and their gradients the right way (for mutants whose bug is elsewhere)."""
    if reduction == "mean":
        return loss.sum() / count, grad / count
    if reduction == "sum":
        return loss.sum(), grad
    return loss, grad


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _log_softmax(z, axis=1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------- mse, mae, huber
@mutant("mse_loss", "no_1_over_n", "'mean' divides the loss by N but not the gradient")
def mse_loss(pred, target, reduction="mean"):
    diff = pred - target
    loss, grad = _reduce(diff * diff, 2 * diff, reduction, pred.size)
    return loss, 2 * diff if reduction == "mean" else grad


@mutant("mse_loss", "sign_error", "gradient 2 * (target - pred)")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    diff = pred - target
    return _reduce(diff * diff, -2 * diff, reduction, pred.size)


@mutant("mse_loss", "no_factor_2", "gradient (pred - target), forgetting the 2 of d(d**2)")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    diff = pred - target
    return _reduce(diff * diff, diff, reduction, pred.size)


@mutant("mse_loss", "mean_over_last_axis", "'mean' averages the last axis only")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    diff = pred - target
    if reduction == "mean":
        return (diff * diff).mean(axis=-1), 2 * diff / pred.shape[-1]
    return _reduce(diff * diff, 2 * diff, reduction, pred.size)


@mutant("mse_loss", "float64_out", "computes in float64 and returns float64 for float32 input")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    diff = pred.astype(np.float64) - target
    return _reduce(diff * diff, 2 * diff, reduction, pred.size)


@mutant("mae_loss", "sign_at_zero", "gradient +1 where pred == target (torch uses 0)")
def mae_loss(pred, target, reduction="mean"):
    diff = pred - target
    return _reduce(np.abs(diff), np.where(diff >= 0, 1, -1).astype(pred.dtype), reduction, pred.size)


@mutant("mae_loss", "no_1_over_n", "'mean' gradient without the 1/N")
def mae_loss(pred, target, reduction="mean"):  # noqa: F811
    diff = pred - target
    loss, grad = _reduce(np.abs(diff), np.sign(diff), reduction, pred.size)
    return loss, np.sign(diff)


@mutant("huber_loss", "linear_piece_no_offset", "delta * |d| beyond the kink: the pieces do not meet")
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    d = pred - target
    loss = np.where(np.abs(d) <= delta, 0.5 * d * d, delta * np.abs(d))
    return _reduce(loss, np.clip(d, -delta, delta), reduction, pred.size)


@mutant("huber_loss", "smooth_l1", "smooth L1 (huber / delta) instead of huber")
def huber_loss(pred, target, delta=1.0, reduction="mean"):  # noqa: F811
    d = pred - target
    loss = np.where(np.abs(d) < delta, 0.5 * d * d / delta, np.abs(d) - 0.5 * delta)
    return _reduce(loss, np.clip(d, -delta, delta) / delta, reduction, pred.size)


@mutant("huber_loss", "gradient_clipped_at_1", "gradient clipped at +-1 instead of +-delta")
def huber_loss(pred, target, delta=1.0, reduction="mean"):  # noqa: F811
    d = pred - target
    loss = np.where(np.abs(d) <= delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    return _reduce(loss, np.clip(d, -1, 1), reduction, pred.size)


@mutant("huber_loss", "kink_gradient_zero", "gradient 0 exactly at |d| == delta (neither piece's slope)")
def huber_loss(pred, target, delta=1.0, reduction="mean"):  # noqa: F811
    d = pred - target
    loss = np.where(np.abs(d) <= delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    grad = np.where(np.abs(d) < delta, d, np.where(np.abs(d) > delta, delta * np.sign(d), 0))
    return _reduce(loss, grad.astype(pred.dtype), reduction, pred.size)


# ---------------------------------------------------------------- binary cross-entropy
@mutant("binary_cross_entropy", "no_clipping", "log(0) unclamped: inf (or 0 * -inf = nan) at p = 0 or 1")
def binary_cross_entropy(pred, target, reduction="mean"):
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -(target * np.log(pred) + (1 - target) * np.log(1 - pred))
        grad = (pred - target) / np.maximum(pred * (1 - pred), 1e-12)
    return _reduce(loss, grad, reduction, pred.size)


@mutant("binary_cross_entropy", "no_epsilon", "gradient (p - y) / (p (1 - p)) divides by 0 at p = 0 and 1")
def binary_cross_entropy(pred, target, reduction="mean"):  # noqa: F811
    loss, _ = _solution().binary_cross_entropy(pred, target, "none")
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = (pred - target) / (pred * (1 - pred))
    return _reduce(loss, grad, reduction, pred.size)


@mutant("binary_cross_entropy", "sign_error", "gradient (y - p) / (p (1 - p))")
def binary_cross_entropy(pred, target, reduction="mean"):  # noqa: F811
    loss, grad = _solution().binary_cross_entropy(pred, target, reduction)
    return loss, -grad


@mutant("binary_cross_entropy_with_logits", "unstable", "log(sigmoid(z)): log(0) = -inf at logits of -1e4")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):
    w = 1 if pos_weight is None else pos_weight
    p = _sigmoid(logits)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -(w * target * np.log(p) + (1 - target) * np.log(1 - p))
    return _reduce(loss, p * (w * target + 1 - target) - w * target, reduction, logits.size)


@mutant("binary_cross_entropy_with_logits", "ignores_pos_weight", "pos_weight accepted but never used")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):  # noqa: F811
    return _solution().binary_cross_entropy_with_logits(logits, target, None, reduction)


@mutant("binary_cross_entropy_with_logits", "pos_weight_on_gradient_only_sigmoid",
        "gradient sigmoid(z) - w * y: forgets that pos_weight also scales the sigmoid term")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):  # noqa: F811
    w = 1 if pos_weight is None else pos_weight
    loss = w * target * np.logaddexp(0, -logits) + (1 - target) * np.logaddexp(0, logits)
    return _reduce(loss, _sigmoid(logits) - w * target, reduction, logits.size)


@mutant("binary_cross_entropy_with_logits", "sign_error", "gradient y - sigmoid(z)")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):  # noqa: F811
    loss, grad = _solution().binary_cross_entropy_with_logits(logits, target, pos_weight, reduction)
    return loss, -grad


@mutant("binary_cross_entropy_with_logits", "row_loop", "a Python loop over rows: correct but slow")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):  # noqa: F811
    sol = _solution()
    if logits.ndim < 2:
        return sol.binary_cross_entropy_with_logits(logits, target, pos_weight, reduction)
    loss, grad = np.empty_like(logits), np.empty_like(logits)
    for i in range(logits.shape[0]):
        loss[i], grad[i] = sol.binary_cross_entropy_with_logits(logits[i], target[i], pos_weight, "none")
    return _reduce(loss, grad, reduction, logits.size)


# ---------------------------------------------------------------- cross-entropy over classes
@mutant("categorical_cross_entropy", "softmax_over_axis_0", "normalises over the samples (axis 0), not the classes")
def categorical_cross_entropy(logits, target, reduction="mean"):
    log_probs = _log_softmax(logits, axis=0)
    loss = -(target * log_probs).sum(axis=1)
    return _reduce(loss, np.exp(log_probs) * target.sum(axis=1, keepdims=True) - target, reduction, len(logits))


@mutant("categorical_cross_entropy", "no_max_shift", "log-sum-exp without the max: overflows at logits of 1e4")
def categorical_cross_entropy(logits, target, reduction="mean"):  # noqa: F811
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -(target * (logits - np.log(e.sum(axis=1, keepdims=True)))).sum(axis=1)
    return _reduce(loss, probs * target.sum(axis=1, keepdims=True) - target, reduction, len(logits))


@mutant("categorical_cross_entropy", "no_1_over_n", "'mean' gradient without the 1/N")
def categorical_cross_entropy(logits, target, reduction="mean"):  # noqa: F811
    loss, grad = _solution().categorical_cross_entropy(logits, target, reduction)
    return loss, grad * len(logits) if reduction == "mean" else grad


@mutant("sparse_categorical_cross_entropy", "ignores_weight", "class weights accepted but never used")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):
    return _solution().sparse_categorical_cross_entropy(logits, y, None, label_smoothing, reduction)


@mutant("sparse_categorical_cross_entropy", "mean_over_n", "weighted 'mean' divides by N, not by sum(weight[y])")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    loss, grad = _solution().sparse_categorical_cross_entropy(logits, y, weight, label_smoothing, "sum")
    return _reduce(loss, grad, reduction, len(logits)) if reduction != "none" else \
        _solution().sparse_categorical_cross_entropy(logits, y, weight, label_smoothing, "none")


@mutant("sparse_categorical_cross_entropy", "ignores_smoothing", "label_smoothing accepted but never used")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    return _solution().sparse_categorical_cross_entropy(logits, y, weight, 0.0, reduction)


@mutant("sparse_categorical_cross_entropy", "smoothing_over_other_classes",
        "spreads eps over the C - 1 wrong classes (eps / (C - 1)) instead of eps / C over all")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    n, c = logits.shape
    q = np.full_like(logits, label_smoothing / max(c - 1, 1))
    q[np.arange(n), y] = 1 - label_smoothing
    q = q if weight is None else q * weight
    log_probs = _log_softmax(logits)
    loss = -(q * log_probs).sum(axis=1)
    grad = np.exp(log_probs) * q.sum(axis=1, keepdims=True) - q
    return _reduce(loss, grad, reduction, n if weight is None else weight[y].sum())


@mutant("sparse_categorical_cross_entropy", "sign_error", "gradient one_hot - softmax")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    loss, grad = _solution().sparse_categorical_cross_entropy(logits, y, weight, label_smoothing, reduction)
    return loss, -grad


@mutant("sparse_categorical_cross_entropy", "row_loop", "a Python loop over rows: correct but slow")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    sol = _solution()
    loss, grad = np.empty(len(logits), logits.dtype), np.empty_like(logits)
    for i in range(len(logits)):
        loss[i:i + 1], grad[i:i + 1] = sol.sparse_categorical_cross_entropy(
            logits[i:i + 1], y[i:i + 1], weight, label_smoothing, "none")
    return _reduce(loss, grad, reduction, len(logits) if weight is None else weight[y].sum())


# ---------------------------------------------------------------- penalties
@mutant("l1_penalty", "l2_gradient", "gradient lam * w (the L2 one) instead of lam * sign(w)")
def l1_penalty(weights, lam):
    penalty, _ = _solution().l1_penalty(weights, lam)
    return penalty, [lam * w for w in weights]


@mutant("l1_penalty", "first_array_only", "penalises weights[0] only")
def l1_penalty(weights, lam):  # noqa: F811
    penalty, grads = _solution().l1_penalty(weights[:1], lam)
    return penalty, grads + [np.zeros_like(w) for w in weights[1:]]


@mutant("l2_penalty", "gradient_2_lam_w", "gradient 2 * lam * w: forgets the 1/2 in (lam / 2) * sum(w**2)")
def l2_penalty(weights, lam):
    penalty, _ = _solution().l2_penalty(weights, lam)
    return penalty, [2 * lam * w for w in weights]


@mutant("l2_penalty", "no_half", "penalty lam * sum(w**2), without the 1/2")
def l2_penalty(weights, lam):  # noqa: F811
    penalty, grads = _solution().l2_penalty(weights, lam)
    return 2 * penalty, grads


@mutant("elastic_net_penalty", "swapped_ratio", "l1_ratio weighs the L2 part and 1 - l1_ratio the L1 part")
def elastic_net_penalty(weights, lam, l1_ratio=0.5):
    return _solution().elastic_net_penalty(weights, lam, 1 - l1_ratio)


@mutant("elastic_net_penalty", "no_half_on_l2", "lam * (r * L1 + (1 - r) * L2): the L2 part without its 1/2")
def elastic_net_penalty(weights, lam, l1_ratio=0.5):  # noqa: F811
    sol = _solution()
    l1, g1 = sol.l1_penalty(weights, lam * l1_ratio)
    l2, g2 = sol.l2_penalty(weights, 2 * lam * (1 - l1_ratio))
    return l1 + l2, [a + b for a, b in zip(g1, g2, strict=True)]


# ---------------------------------------------------------------- the whole domain, defaults, inputs
@mutant("mse_loss", "divides_by_len", "'mean' divides by len(pred), the first axis: wrong for 2-D and up, "
        "an error for 0-d")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    loss, grad = _solution().mse_loss(pred, target, "none")
    return _reduce(loss, grad, reduction, len(pred))


@mutant("mse_loss", "none_grad_of_mean", "reduction='none' returns the gradient of the mean (divided by pred.size)")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    loss, grad = _solution().mse_loss(pred, target, reduction)
    return (loss, grad / pred.size) if reduction == "none" else (loss, grad)


@mutant("mae_loss", "default_sum", "the default reduction is 'sum' instead of 'mean'")
def mae_loss(pred, target, reduction="sum"):  # noqa: F811
    return _solution().mae_loss(pred, target, reduction)


@mutant("huber_loss", "default_delta_half", "the default delta is 0.5 instead of 1.0")
def huber_loss(pred, target, delta=0.5, reduction="mean"):  # noqa: F811
    return _solution().huber_loss(pred, target, delta, reduction)


@mutant("binary_cross_entropy", "clipped_probabilities", "clips p to [1e-7, 1 - 1e-7] instead of clamping the "
        "logs at -100: a confident wrong prediction costs 16, not 100")
def binary_cross_entropy(pred, target, reduction="mean"):  # noqa: F811
    p = np.clip(pred, 1e-7, 1 - 1e-7)
    loss = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    grad = (pred - target) / np.maximum(pred * (1 - pred), 1e-12)
    return _reduce(loss.astype(pred.dtype), grad, reduction, pred.size)


@mutant("categorical_cross_entropy", "mean_over_elements", "'mean' divides by N * C (every element), not by N")
def categorical_cross_entropy(logits, target, reduction="mean"):  # noqa: F811
    loss, grad = _solution().categorical_cross_entropy(logits, target, "none")
    return _reduce(loss, grad, reduction, logits.size)


@mutant("sparse_categorical_cross_entropy", "weight_scaled_in_place",
        "w = weight; w *= 1 - eps: scales the caller's class weights in place")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    result = _solution().sparse_categorical_cross_entropy(logits, y, weight, label_smoothing, reduction)
    if weight is not None:
        weight *= 1 - label_smoothing
    return result


@mutant("sparse_categorical_cross_entropy", "default_smoothing", "label_smoothing defaults to 0.1 (as some "
        "libraries' training recipes) instead of 0")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.1, reduction="mean"):  # noqa: F811
    return _solution().sparse_categorical_cross_entropy(logits, y, weight, label_smoothing, reduction)


@mutant("l2_penalty", "grad_aliases_weight", "g = w; g *= lam: the gradient is the caller's weight array, scaled")
def l2_penalty(weights, lam):  # noqa: F811
    penalty, _ = _solution().l2_penalty(weights, lam)
    grads = []
    for w in weights:
        g = w
        g *= lam
        grads.append(g)
    return penalty, grads


@mutant("elastic_net_penalty", "default_ratio_one", "l1_ratio defaults to 1 (pure L1) instead of 0.5")
def elastic_net_penalty(weights, lam, l1_ratio=1.0):  # noqa: F811
    return _solution().elastic_net_penalty(weights, lam, l1_ratio)


# ---------------------------------------------------------------- loops (correct, but slow)
def _element_loop(f, pred, target, reduction):
    """Per-element (loss, grad) = f(p, t) by a Python loop, then reduced."""
    loss, grad = np.empty_like(pred), np.empty_like(pred)
    for idx in np.ndindex(pred.shape):
        loss[idx], grad[idx] = f(float(pred[idx]), float(target[idx]))
    return _reduce(loss, grad, reduction, pred.size)


@mutant("mse_loss", "element_loop", "a Python loop over every element")
def mse_loss(pred, target, reduction="mean"):  # noqa: F811
    return _element_loop(lambda p, t: ((p - t) ** 2, 2 * (p - t)), pred, target, reduction)


def _row_loop(name, pred, target, reduction):
    """The solution's loss `name` ("none") row by row (0-d: in one go), then reduced."""
    loss_of = getattr(_solution(), name)
    if pred.ndim == 0:
        return loss_of(pred, target, reduction)
    loss, grad = np.empty_like(pred), np.empty_like(pred)
    for i in range(len(pred)):
        loss[i], grad[i] = loss_of(pred[i], target[i], "none")
    return _reduce(loss, grad, reduction, pred.size)


@mutant("mae_loss", "row_loop", "a Python loop over the rows")
def mae_loss(pred, target, reduction="mean"):  # noqa: F811
    return _row_loop("mae_loss", pred, target, reduction)


@mutant("huber_loss", "element_loop", "a Python loop over every element")
def huber_loss(pred, target, delta=1.0, reduction="mean"):  # noqa: F811
    def one(p, t):
        d = p - t
        return (0.5 * d * d, d) if abs(d) <= delta else (delta * (abs(d) - 0.5 * delta), delta * np.sign(d))

    return _element_loop(one, pred, target, reduction)


@mutant("binary_cross_entropy", "row_loop", "a Python loop over the rows")
def binary_cross_entropy(pred, target, reduction="mean"):  # noqa: F811
    return _row_loop("binary_cross_entropy", pred, target, reduction)


@mutant("binary_cross_entropy_with_logits", "last_axis_loop", "a Python loop over the last axis (one pos_weight "
        "at a time)")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):  # noqa: F811
    sol = _solution()
    if logits.ndim == 0:
        return sol.binary_cross_entropy_with_logits(logits, target, pos_weight, reduction)
    loss, grad = np.empty_like(logits), np.empty_like(logits)
    for c in range(logits.shape[-1]):
        w = None if pos_weight is None else pos_weight[c]
        loss[..., c], grad[..., c] = sol.binary_cross_entropy_with_logits(logits[..., c], target[..., c], w, "none")
    return _reduce(loss, grad, reduction, logits.size)


@mutant("categorical_cross_entropy", "row_loop", "a Python loop over the samples")
def categorical_cross_entropy(logits, target, reduction="mean"):  # noqa: F811
    loss, grad = np.empty(len(logits), logits.dtype), np.empty_like(logits)
    for i in range(len(logits)):
        loss[i:i + 1], grad[i:i + 1] = _solution().categorical_cross_entropy(logits[i:i + 1], target[i:i + 1], "none")
    return _reduce(loss, grad, reduction, len(logits))


@mutant("categorical_cross_entropy", "class_loop", "the log-sum-exp by a Python loop over the classes")
def categorical_cross_entropy(logits, target, reduction="mean"):  # noqa: F811
    m = logits[:, 0].copy()
    for c in range(1, logits.shape[1]):
        m = np.maximum(m, logits[:, c])
    total = np.zeros_like(m)
    for c in range(logits.shape[1]):
        total += np.exp(logits[:, c] - m)
    log_probs = logits - (m + np.log(total))[:, None]
    loss = -(target * log_probs).sum(axis=1)
    return _reduce(loss, np.exp(log_probs) * target.sum(axis=1, keepdims=True) - target, reduction, len(logits))


@mutant("sparse_categorical_cross_entropy", "class_loop", "q built by a Python loop over the classes")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    n, c = logits.shape
    w = np.ones(c, logits.dtype) if weight is None else weight
    q = np.empty_like(logits)
    for k in range(c):
        q[:, k] = w[k] * ((1 - label_smoothing) * (y == k) + label_smoothing / c)
    log_probs = _log_softmax(logits)
    loss = -(q * log_probs).sum(axis=1)
    grad = np.exp(log_probs) * q.sum(axis=1, keepdims=True) - q
    return _reduce(loss, grad, reduction, n if weight is None else w[y].sum())


def _penalty_loop(weights, per_element):
    total, grads = 0.0, []
    for w in weights:
        g = np.empty_like(w)
        for idx in np.ndindex(w.shape):
            value, g[idx] = per_element(float(w[idx]))
            total += value
        grads.append(g)
    return np.asarray(total, dtype=weights[0].dtype)[()], grads


@mutant("l1_penalty", "element_loop", "a Python loop over every weight")
def l1_penalty(weights, lam):  # noqa: F811
    return _penalty_loop(weights, lambda v: (lam * abs(v), lam * np.sign(v)))


@mutant("l2_penalty", "element_loop", "a Python loop over every weight")
def l2_penalty(weights, lam):  # noqa: F811
    return _penalty_loop(weights, lambda v: (lam / 2 * v * v, lam * v))


@mutant("elastic_net_penalty", "element_loop", "a Python loop over every weight")
def elastic_net_penalty(weights, lam, l1_ratio=0.5):  # noqa: F811
    return _penalty_loop(weights, lambda v: (lam * (l1_ratio * abs(v) + (1 - l1_ratio) / 2 * v * v),
                                             lam * (l1_ratio * np.sign(v) + (1 - l1_ratio) * v)))


@mutant("binary_cross_entropy_with_logits", "pos_weight_first_axis", "pos_weight[:, None]: broadcast along the "
        "first axis of 2-D logits instead of the last")
def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):  # noqa: F811
    w = pos_weight[:, None] if pos_weight is not None and logits.ndim == 2 else pos_weight
    return _solution().binary_cross_entropy_with_logits(logits, target, w, reduction)


@mutant("sparse_categorical_cross_entropy", "smoothing_weighted_by_true_class", "weights the whole smoothed target "
        "row by w[y] instead of each class c by w[c]")
def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):  # noqa: F811
    n, c = logits.shape
    w_y = np.ones(n, logits.dtype) if weight is None else weight[y]
    q = np.full_like(logits, label_smoothing / c)
    q[np.arange(n), y] += 1 - label_smoothing
    q = q * w_y[:, None]
    log_probs = _log_softmax(logits)
    loss = -(q * log_probs).sum(axis=1)
    grad = np.exp(log_probs) * q.sum(axis=1, keepdims=True) - q
    return _reduce(loss, grad, reduction, n if weight is None else w_y.sum())
