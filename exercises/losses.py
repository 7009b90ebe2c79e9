"""Topic 2 — losses: how wrong is the network.

A loss turns a prediction and a target into one number to minimise; training needs its
gradient with respect to the prediction too. Every loss here returns a pair
(loss, dpred):

- reduction="mean": loss is the average of the per-element (or per-sample) losses;
- reduction="sum":  loss is their sum;
- reduction="none": loss is the array of per-element losses, and dpred[i] is the
  derivative of element i's own loss.

dpred always has the prediction's shape and is the gradient of the returned loss. That
last step is the same in every loss, so it is given: compute the per-element losses and
the gradient of each one's own loss, then `return reduce_loss(loss, dpred, reduction)`.
Penalties (L1, L2, elastic net) take a list of weight arrays and return
(penalty, list of gradients), one gradient per array.

Conventions: arrays are NumPy ndarrays; the loss and its gradient keep the prediction's
dtype (float32 in, float32 out) and inputs are never modified (class weights and
pos_weight included). "Any shape" means any shape with at least one element, 0-d
included (a NumPy scalar of the dtype is a fine result for those). reduction defaults to
"mean". NumPy and the standard library only.
"""

import numpy as np


def reduce_loss(loss, dpred, reduction, count=None):
    """The reduction every loss shares (given: nothing to write here).

    Inputs:
    - loss: the per-element (or per-sample) losses l_i.
    - dpred: the gradient of each l_i w.r.t. the prediction (the prediction's shape).
    - reduction: "mean", "sum" or "none".
    - count: what "mean" divides by; default loss.size, the number of l_i.

    Returns (loss, dpred) as the module docstring describes: "none" returns them as they
    are, "sum" adds the l_i, "mean" divides the sum and dpred by count.
    """
    if reduction == "none":
        return loss, dpred
    if reduction == "sum":
        return loss.sum(), dpred
    if reduction == "mean":
        count = loss.size if count is None else count
        return loss.sum() / count, dpred / count
    raise ValueError(f"unknown reduction {reduction!r}: use 'mean', 'sum' or 'none'")


def mse_loss(pred, target, reduction="mean"):
    """Mean squared error.

        l_i = (pred_i - target_i)**2,        loss = mean(l) | sum(l) | l

    Inputs:
    - pred: predictions, any shape, float32 or float64.
    - target: targets, pred's shape and dtype.
    - reduction: "mean", "sum" or "none".

    Returns a tuple (loss, dpred):
    - loss: a scalar of pred's dtype ("mean", "sum"), or an array of pred's shape ("none").
    - dpred: gradient of loss w.r.t. pred, pred's shape and dtype.

    Hint: d l_i / d pred_i = 2 * (pred_i - target_i). "mean" divides the sum by the
    number of elements (pred.size), so its gradient is divided by pred.size as well.
    """
    # YOUR CODE HERE
    raise NotImplementedError("mse_loss is not written yet: see its docstring")


def mae_loss(pred, target, reduction="mean"):
    """Mean absolute error (L1 loss).

        l_i = |pred_i - target_i|,           loss = mean(l) | sum(l) | l

    Inputs:
    - pred: predictions, any shape, float32 or float64.
    - target: targets, pred's shape and dtype.
    - reduction: "mean", "sum" or "none".

    Returns a tuple (loss, dpred):
    - loss: a scalar of pred's dtype ("mean", "sum"), or an array of pred's shape ("none").
    - dpred: gradient of loss w.r.t. pred, pred's shape and dtype.

    Hint: d|d|/dd = sign(d). At d = 0 the loss has a kink; like PyTorch, use 0 there
    (np.sign(0) is 0).
    """
    # YOUR CODE HERE
    raise NotImplementedError("mae_loss is not written yet: see its docstring")


def huber_loss(pred, target, delta=1.0, reduction="mean"):
    """Huber loss: quadratic near the target, linear far from it.

        with d_i = pred_i - target_i:
        l_i = 0.5 * d_i**2                     if |d_i| <= delta
              delta * (|d_i| - 0.5 * delta)    otherwise

    The two pieces meet, with the same slope, at |d_i| = delta; the loss grows like MSE
    for small errors and like MAE (so outliers pull less) for large ones.

    Inputs:
    - pred: predictions, any shape, float32 or float64.
    - target: targets, pred's shape and dtype.
    - delta: where the quadratic piece becomes linear, a float > 0 (default 1.0).
    - reduction: "mean", "sum" or "none".

    Returns a tuple (loss, dpred):
    - loss: a scalar of pred's dtype ("mean", "sum"), or an array of pred's shape ("none").
    - dpred: gradient of loss w.r.t. pred, pred's shape and dtype.

    Hint: the derivative is d_i inside the band and delta * sign(d_i) outside it, which is
    np.clip(d, -delta, delta).
    """
    # YOUR CODE HERE
    raise NotImplementedError("huber_loss is not written yet: see its docstring")


def binary_cross_entropy(pred, target, reduction="mean"):
    """Binary cross-entropy of predicted probabilities.

        l_i = -[y_i * log(p_i) + (1 - y_i) * log(1 - p_i)]

    with p = pred (probabilities in [0, 1], e.g. sigmoid outputs) and y = target (0/1 or
    soft labels in [0, 1]). At p = 0 or p = 1 one log is log(0) = -inf; like PyTorch,
    clamp each log at -100 so the loss stays finite (and 0 * log(0) is never computed).

    Inputs:
    - pred: probabilities, any shape, float32 or float64, values in [0, 1].
    - target: labels, pred's shape and dtype, values in [0, 1].
    - reduction: "mean", "sum" or "none".

    Returns a tuple (loss, dpred):
    - loss: a scalar of pred's dtype ("mean", "sum"), or an array of pred's shape ("none").
    - dpred: gradient of loss w.r.t. pred, pred's shape and dtype.

    Hint: np.maximum(np.log(p), -100) (inside np.errstate(divide="ignore") to silence
    log(0)). The derivative is (p - y) / (p * (1 - p)); like PyTorch, divide by
    np.maximum(p * (1 - p), 1e-12) so that p = 0 and p = 1 give a finite gradient. The
    clamp is exactly the float 1e-12: torch stores its constant as float32(1e-12) =
    9.99999996e-13, which the float64 tests tell apart at p = 0 and p = 1 (a relative 4e-9).
    """
    # YOUR CODE HERE
    raise NotImplementedError("binary_cross_entropy is not written yet: see its docstring")


def binary_cross_entropy_with_logits(logits, target, pos_weight=None, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits.

        l_i = -[w * y_i * log(sigmoid(z_i)) + (1 - y_i) * log(1 - sigmoid(z_i))]

    with z = logits, y = target and w = pos_weight (1 if None): w > 1 makes a missed
    positive cost more (useful when positives are rare). sigmoid(1e4) is exactly 1.0 in
    floating point and log(1 - 1.0) = -inf, so never form the probabilities: use

        -log(sigmoid(z)) = softplus(-z),   -log(1 - sigmoid(z)) = softplus(z),
        softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))   (stable for any z).

    Inputs:
    - logits: raw scores, any shape, float32 or float64.
    - target: labels, logits' shape and dtype, values in [0, 1].
    - pos_weight: None, or weights of the positive class of shape (C,), C = the size of
      logits' last axis (it broadcasts along the last axis); None for 0-d logits.
    - reduction: "mean", "sum" or "none".

    Returns a tuple (loss, dlogits):
    - loss: a scalar of logits' dtype ("mean", "sum"), or an array of logits' shape ("none").
    - dlogits: gradient of loss w.r.t. logits, logits' shape and dtype.

    Hint: softplus(z) - softplus(-z) = z, so with e = exp(-|z|) (never overflows):
    l = (1 - y) * z + (1 + (w - 1) * y) * (max(-z, 0) + log1p(e)). Its derivative is
    (1 + (w - 1) * y) * sigmoid(z) - w * y (with w = 1: sigmoid(z) - y), and e gives a
    stable sigmoid too: 1 / (1 + e) for z >= 0, e / (1 + e) for z < 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError("binary_cross_entropy_with_logits is not written yet: see its docstring")


def categorical_cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of softmax(logits) against target distributions (one-hot or soft).

        l_n = -sum_c target[n, c] * log_softmax(logits)[n, c]

    "mean" averages over the N samples. log_softmax must be stable (logits of 1e4):
    log_softmax(z) = (z - m) - log(sum(exp(z - m))) with m the row maximum.

    Inputs:
    - logits: raw scores, shape (N, C) with N >= 1 and C >= 1, float32 or float64.
    - target: one-hot rows or probability rows (each summing to 1), shape (N, C), same dtype.
    - reduction: "mean", "sum" or "none" (loss of shape (N,)).

    Returns a tuple (loss, dlogits):
    - loss: a scalar of logits' dtype ("mean", "sum"), or shape (N,) ("none").
    - dlogits: gradient of loss w.r.t. logits, shape (N, C), logits' dtype.

    Hint: d l_n / d logits[n] = softmax(logits[n]) * sum_c target[n, c] - target[n]
    (that is softmax - target when the target row sums to 1); divide by N for "mean".
    """
    # YOUR CODE HERE
    raise NotImplementedError("categorical_cross_entropy is not written yet: see its docstring")


def sparse_categorical_cross_entropy(logits, y, weight=None, label_smoothing=0.0, reduction="mean"):
    """Cross-entropy of softmax(logits) against class indices, as torch's F.cross_entropy.

    With p = log_softmax(logits) (stable), eps = label_smoothing and w = weight (all 1s
    if None), sample n's target distribution mixes its one-hot class with the uniform
    distribution, and each class c counts w[c] times:

        q[n, c] = w[c] * ((1 - eps) * [c == y[n]] + eps / C)
        l_n = -sum_c q[n, c] * p[n, c]

    "sum" adds the l_n. "mean" divides that sum by sum_n w[y[n]], the total weight of
    the true classes (N when weight is None), not by N.

    Inputs:
    - logits: raw scores, shape (N, C) with N >= 1 and C >= 1, float32 or float64.
    - y: class indices, shape (N,), integers (int64 or int32) in [0, C).
    - weight: None (the default), or class weights, shape (C,), logits' dtype.
    - label_smoothing: eps, a float in [0, 1] (default 0).
    - reduction: "mean", "sum" or "none" (loss of shape (N,)).

    Returns a tuple (loss, dlogits):
    - loss: a scalar of logits' dtype ("mean", "sum"), or shape (N,) ("none").
    - dlogits: gradient of loss w.r.t. logits, shape (N, C), logits' dtype.

    Hint: build q as an (N, C) array (q[np.arange(N), y] picks each row's true class),
    then it is categorical cross-entropy with a target q that need not sum to 1:
    d l_n / d logits[n] = softmax(logits[n]) * sum_c q[n, c] - q[n].
    """
    # YOUR CODE HERE
    raise NotImplementedError("sparse_categorical_cross_entropy is not written yet: see its docstring")


def l1_penalty(weights, lam):
    """L1 (lasso) penalty over a list of weight arrays, with its gradients.

        penalty = lam * sum_k sum(|W_k|)

    Adding it to the loss pushes weights towards exactly 0 (sparse weights).

    Inputs:
    - weights: list of arrays (any shapes, 0-d and empty included), all of one dtype.
    - lam: the strength, a float >= 0.

    Returns a tuple (penalty, grads):
    - penalty: a scalar of the weights' dtype.
    - grads: list of arrays, grads[k] = d penalty / d W_k, W_k's shape and dtype.

    Hint: d|w|/dw = sign(w) (0 at w = 0, as PyTorch).
    """
    # YOUR CODE HERE
    raise NotImplementedError("l1_penalty is not written yet: see its docstring")


def l2_penalty(weights, lam):
    """L2 (ridge, weight decay) penalty over a list of weight arrays, with its gradients.

        penalty = (lam / 2) * sum_k sum(W_k**2)

    The 1/2 makes the gradient simply lam * W: each gradient step shrinks the weights by
    a factor (1 - lr * lam), hence "weight decay".

    Inputs:
    - weights: list of arrays (any shapes, 0-d and empty included), all of one dtype.
    - lam: the strength, a float >= 0.

    Returns a tuple (penalty, grads):
    - penalty: a scalar of the weights' dtype.
    - grads: list of arrays, grads[k] = d penalty / d W_k, W_k's shape and dtype.

    Hint: sum the squares of each array, add them up, scale by lam / 2.
    """
    # YOUR CODE HERE
    raise NotImplementedError("l2_penalty is not written yet: see its docstring")


def elastic_net_penalty(weights, lam, l1_ratio=0.5):
    """Elastic net: a mix of the L1 and L2 penalties, with its gradients.

        penalty = lam * (l1_ratio * sum_k sum(|W_k|) + (1 - l1_ratio) / 2 * sum_k sum(W_k**2))

    l1_ratio = 1 is the L1 penalty, l1_ratio = 0 the L2 penalty (both with strength lam).

    Inputs:
    - weights: list of arrays (any shapes, 0-d and empty included), all of one dtype.
    - lam: the strength, a float >= 0.
    - l1_ratio: the share of L1, a float in [0, 1] (default 0.5).

    Returns a tuple (penalty, grads):
    - penalty: a scalar of the weights' dtype.
    - grads: list of arrays, grads[k] = d penalty / d W_k, W_k's shape and dtype.

    Hint: reuse l1_penalty and l2_penalty with strengths lam * l1_ratio and
    lam * (1 - l1_ratio), and add their results array by array.
    """
    # YOUR CODE HERE
    raise NotImplementedError("elastic_net_penalty is not written yet: see its docstring")
