"""Topic 5 — regularization: training that generalises.

A network that fits its training set perfectly may still fail on new data. This topic
builds the tools that fight overfitting and make deep networks trainable:

- dropout: during training, zero each unit with probability p, so that no unit can rely
  on another one; inverted dropout rescales the kept units by 1 / (1 - p) so that the
  layer is the identity at evaluation time.
- batch normalisation: normalise every feature (every channel of an image) with the mean
  and variance of the current mini-batch, then scale and shift with learned gamma and
  beta; keep running averages of the statistics for evaluation.
- layer normalisation: the same, but every sample is normalised over its own features.
- early stopping and checkpoints: watch a validation metric, stop when it no longer
  improves, and keep the weights of the best epoch.

Conventions: arrays are NumPy ndarrays; every function returns the input's dtype (float32
in, float32 out) and never modifies its inputs. Layers are pairs: `*_forward(...)` returns
`(out, cache)` and `*_backward(dout, cache)` returns the gradients. Use NumPy and the
standard library only.
"""

import copy
import math

import numpy as np


def dropout_forward(x, p=0.5, train=True, seed=None):
    """Inverted dropout.

    In training, every element is kept with probability 1 - p and zeroed with probability
    p, independently; kept elements are scaled by 1 / (1 - p) so that the expected value of
    every output equals its input:

        mask[i] ~ Bernoulli(1 - p)          (1 = keep)
        out = x * mask / (1 - p)            (out = 0 everywhere when p = 1)

    At evaluation time (train=False) dropout is the identity: out = x.

    Inputs:
    - x: array of any shape (0-d and empty included), float32 or float64.
    - p: probability of dropping an element, 0 <= p <= 1 (default 0.5).
    - train: True (the default) for training (random mask), False for evaluation (identity).
    - seed: an int makes the mask reproducible (the same seed gives the same mask); None
      draws a fresh mask on every call. Use np.random.default_rng(seed).

    Returns a tuple (out, cache):
    - out: array of x's shape and dtype.
    - cache: whatever dropout_backward needs (the mask, and the scale you used).

    The mask itself is not compared with a fixed one: the tests check that every element is
    kept with probability 1 - p, independently of its neighbours, that kept elements are
    scaled by 1 / (1 - p) and the others are 0, that a seed reproduces the mask, and that
    backward reuses it. Any way of drawing it from np.random.default_rng(seed) passes.

    Hint: `rng.random(x.shape) >= p` is a boolean mask that keeps each element with
    probability 1 - p. Keep that mask in the cache: backward must reuse it, not draw a new one.
    """
    # YOUR CODE HERE
    raise NotImplementedError("dropout_forward is not written yet: see its docstring")


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout.

    The forward pass multiplied x by mask / (1 - p), so the upstream gradient goes back
    through the same elements with the same scale:

        dx = dout * mask / (1 - p)          (dx = dout at evaluation time)

    Inputs:
    - dout: upstream gradient, same shape as the forward output.
    - cache: the cache returned by dropout_forward.

    Returns:
    - dx: gradient w.r.t. x, dout's shape and dtype.

    Hint: use the mask stored in the cache. A new random mask would send the gradient
    through elements that the forward pass dropped.
    """
    # YOUR CODE HERE
    raise NotImplementedError("dropout_backward is not written yet: see its docstring")


def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
    """Batch normalisation, for dense (N, D) and spatial (N, C, H, W) inputs.

    Every feature (the D columns of an (N, D) batch, or the C channels of an image batch) is
    normalised with statistics taken over all the other axes: over N for (N, D); over N, H
    and W for (N, C, H, W). With m the number of values per feature (N, or N*H*W):

        mean = sum(x) / m
        var  = sum((x - mean)**2) / m                   (biased variance)
        x_hat = (x - mean) / sqrt(var + eps)
        out = gamma * x_hat + beta

    Training (train=True) normalises with the batch's mean and var, and returns running
    averages updated with PyTorch's momentum convention (m >= 2 values per feature needed):

        new_running_mean = (1 - momentum) * running_mean + momentum * mean
        new_running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)

    (the running variance uses the UNBIASED batch variance, as torch.nn.BatchNorm does).
    Evaluation (train=False) normalises with running_mean and running_var instead of the
    batch statistics, and returns the running statistics unchanged: their values are
    compared, so copies (the solution's choice) and the arrays passed in both pass.

    Inputs:
    - x: inputs, shape (N, D) or (N, C, H, W), and any other (N, C, ...) such as (N, C, L)
      or (N, C, D, H, W); float32 or float64. A feature may have a large mean and a small
      spread (1e4 + noise): compute the variance from x - mean, never as
      mean(x**2) - mean**2, which loses every digit there.
    - gamma: scale, shape (C,) (C = D for dense inputs).
    - beta: shift, shape (C,).
    - running_mean: running average of the means, shape (C,).
    - running_var: running average of the variances, shape (C,).
    - train: True (the default) for training, False for evaluation.
    - momentum: weight of the new batch in the running averages, in (0, 1] (default 0.1).
    - eps: added to the variance before the square root (default 1e-5).

    Returns a tuple (out, cache, new_running_mean, new_running_var):
    - out: normalised output, x's shape and dtype.
    - cache: whatever batchnorm_backward needs.
    - new_running_mean, new_running_var: the updated running statistics, shape (C,), x's
      dtype. The arrays passed in are NOT modified: a training loop keeps the returned ones,
      `out, cache, rm, rv = batchnorm_forward(x, gamma, beta, rm, rv)`.

    Hint: reduce over `axes = (0, 2, 3, ...)`, every axis but 1, with keepdims=True, so that
    the statistics broadcast against x; reshape gamma and beta to (1, C, 1, 1, ...) likewise.
    """
    # YOUR CODE HERE
    raise NotImplementedError("batchnorm_forward is not written yet: see its docstring")


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalisation.

    In training the mean and the variance depend on every x of the feature, so the
    gradient has three paths (through x_hat directly, through var, through mean). With the
    sums taken over the same axes as in the forward pass and m values per feature:

        dbeta  = sum(dout)
        dgamma = sum(dout * x_hat)
        dx = gamma / sqrt(var + eps) * (dout - sum(dout) / m - x_hat * sum(dout * x_hat) / m)

    At evaluation time the statistics are constants: dx = dout * gamma / sqrt(running_var + eps).

    Inputs:
    - dout: upstream gradient, shape of the forward output.
    - cache: the cache returned by batchnorm_forward (train or eval).

    Returns a tuple (dx, dgamma, dbeta):
    - dx: gradient w.r.t. x, x's shape.
    - dgamma, dbeta: gradients w.r.t. gamma and beta, shape (C,).
    All in dout's dtype.

    Hint: derive dx on paper for one feature first (x_hat = (x - mean) * inv_std). The
    "mean" terms vanish only if you forget that mean and var depend on x.
    """
    # YOUR CODE HERE
    raise NotImplementedError("batchnorm_backward is not written yet: see its docstring")


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalisation: every sample is normalised over its own last dimensions.

    The normalised dimensions are the last gamma.ndim axes of x (gamma.shape ==
    x.shape[-gamma.ndim:], as `normalized_shape` in torch.nn.LayerNorm). With the mean and
    the biased variance taken over those axes, separately for every leading index:

        x_hat = (x - mean) / sqrt(var + eps)
        out = gamma * x_hat + beta

    Unlike batch normalisation there are no batch statistics: the same formula holds in
    training and evaluation, and a batch of one sample works.

    Inputs:
    - x: inputs, shape (..., *S), float32 or float64 (as for batch normalisation, a row
      may have a large mean and a small spread: subtract the mean before squaring).
    - gamma: scale, shape S (for example (D,) for x of shape (N, D), or (T, D)).
    - beta: shift, shape S.
    - eps: added to the variance before the square root (default 1e-5).

    Returns a tuple (out, cache):
    - out: x's shape and dtype.
    - cache: whatever layernorm_backward needs.

    Hint: `axes = tuple(range(x.ndim - gamma.ndim, x.ndim))`; reduce over them with
    keepdims=True. gamma and beta then broadcast as they are.
    """
    # YOUR CODE HERE
    raise NotImplementedError("layernorm_forward is not written yet: see its docstring")


def layernorm_backward(dout, cache):
    """Backward pass of layer normalisation.

    The same three-path gradient as batch normalisation, with the means taken over the
    normalised (last) axes of each sample, and the parameter gradients summed over the
    leading (batch) axes:

        dx_hat = dout * gamma
        dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps)
        dgamma = sum over leading axes of dout * x_hat
        dbeta  = sum over leading axes of dout

    Inputs:
    - dout: upstream gradient, shape of the forward output.
    - cache: the cache returned by layernorm_forward.

    Returns a tuple (dx, dgamma, dbeta):
    - dx: x's shape; dgamma, dbeta: gamma's shape. All in dout's dtype.

    Hint: two sets of axes: the normalised ones (for the means inside dx) and the leading
    ones (for the sums of dgamma and dbeta).
    """
    # YOUR CODE HERE
    raise NotImplementedError("layernorm_backward is not written yet: see its docstring")


class EarlyStopping:
    """Stop training when a monitored metric has stopped improving.

    Call `update(logs, weights)` once at the end of every epoch (epochs count from 0).
    An epoch improves on the best so far when

        mode 'min':  value < best - min_delta        (a loss)
        mode 'max':  value > best + min_delta        (an accuracy)

    (strictly: equal is not better; the first epoch always improves). After an improvement
    the count of bad epochs `wait` goes back to 0; otherwise it grows by 1, and `update`
    returns True (stop now) as soon as `wait >= patience`. With patience=3 and the best
    loss at epoch 4, training stops at the end of epoch 7 (epochs 5, 6, 7 were bad). An
    improving epoch never stops training: with patience=0 (the default) `update` returns
    False for improvements and True at the first epoch that does not improve.

    With restore_best_weights=True, the weights passed at the best epoch are kept as a
    copy, and `restore()` returns a copy of them (changing it must not change the kept
    ones); otherwise `restore()` returns the weights passed at the latest epoch (that
    object itself or a copy: the tests read its values only).

    Inputs (constructor):
    - monitor: key of the metric in `logs`, e.g. 'val_loss'.
    - mode: 'min' or 'max'.
    - min_delta: smallest change that counts as an improvement (>= 0).
    - patience: number of epochs without improvement after which training stops.
    - restore_best_weights: whether to keep the best epoch's weights.

    Attributes (read by the tests): best (best value so far; inf for 'min' and -inf for
    'max' before the first epoch), best_epoch (None before the first epoch), wait,
    stopped_epoch (the epoch at which update returned True, else None).

    Hint: the weights are a dict of arrays that the training loop keeps updating in place:
    store `copy.deepcopy(weights)`, not `weights`, or the "best" weights will change.
    """

    def __init__(self, monitor="val_loss", mode="min", min_delta=0.0, patience=0, restore_best_weights=False):
        # YOUR CODE HERE
        raise NotImplementedError("__init__ is not written yet: see its docstring")

    def update(self, logs, weights=None):
        """Record one epoch.

        Inputs:
        - logs: dict of metrics for this epoch, e.g. {'loss': 0.3, 'val_loss': 0.4}.
        - weights: the model's weights now (e.g. a dict of arrays), or None.

        Returns:
        - True if training should stop after this epoch, else False.
        """
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")

    def restore(self):
        """The weights to finish training with: a copy of the best epoch's weights when
        restore_best_weights is True, else the weights passed at the latest epoch."""
        # YOUR CODE HERE
        raise NotImplementedError("restore is not written yet: see its docstring")


class ModelCheckpoint:
    """Save the model's weights during training: the best epochs only, or every epoch.

    Call `update(logs, weights)` once at the end of every epoch (epochs count from 0). With
    save_best_only=True it saves when the monitored value improves on the best so far
    (strictly: 'min' saves when value < best, 'max' when value > best; the first epoch
    always saves); with save_best_only=False it saves every epoch, and best / best_epoch
    still follow the improvements by the same strict rule.

    Saving means keeping a COPY of the weights (a dict of name -> array): the training
    loop goes on changing its arrays in place, the checkpoint must not change with them.

    - path=None: keep the copies in memory, in `self.saved` (dict epoch -> weights).
    - path='/some/dir/ckpt-{epoch:03d}.npz': write the arrays with np.savez to the path
      formatted with the epoch (`path.format(epoch=epoch)`), and record the file name in
      `self.saved` (dict epoch -> file name).

    Inputs (constructor):
    - monitor: key of the metric in `logs`, e.g. 'val_loss' or 'val_accuracy'.
    - mode: 'min' or 'max'.
    - save_best_only: True to save improvements only, False to save every epoch.
    - path: None, or a file name template with `{epoch}`.

    Attributes (read by the tests): saved, best, best_epoch.

    Hint: `{name: np.array(a, copy=True) for name, a in weights.items()}` copies a dict of
    arrays; `np.load(file)` gives back a mapping with the same names.
    """

    def __init__(self, monitor="val_loss", mode="min", save_best_only=True, path=None):
        # YOUR CODE HERE
        raise NotImplementedError("__init__ is not written yet: see its docstring")

    def update(self, logs, weights):
        """Record one epoch; save the weights if they are to be saved.

        Inputs:
        - logs: dict of metrics for this epoch.
        - weights: dict of name -> array, the model's weights now.

        Returns:
        - True if this epoch's weights were saved, else False.
        """
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")

    def load(self, epoch=None):
        """The weights saved at `epoch` (default: the latest saved epoch, the largest), as
        a new dict name -> new ndarray of the saved dtype (changing them must not change the
        checkpoint). From files, copy np.load's arrays into a dict: its NpzFile is not one,
        and closes."""
        # YOUR CODE HERE
        raise NotImplementedError("load is not written yet: see its docstring")
