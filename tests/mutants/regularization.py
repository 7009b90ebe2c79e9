"""Wrong implementations of the regularization exercises; each must fail at least one test."""

import copy

import numpy as np

from gradeschool.harness.mutants import mutant, solution

S = solution("regularization")


# ---------------------------------------------------------------- dropout
def _mask(x, p, seed):
    return np.random.default_rng(seed).random(x.shape) >= p


@mutant("dropout", "no_inverted_scaling", "keeps x * mask without 1/(1-p): the mean shrinks by 1 - p",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):
    if not train:
        return x.copy(), (None, 1.0)
    mask = _mask(x, p, seed)
    return x * mask, (mask, 1.0)


@mutant("dropout", "divides_by_p", "scales by 1/p instead of 1/(1-p) (right only at p = 0.5)",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    if not train or p == 0:
        return x.copy(), (None, 1.0)
    mask = _mask(x, p, seed)
    scale = 1.0 / p
    return (x * mask * scale).astype(x.dtype), (mask, scale)


@mutant("dropout", "keeps_with_p", "keeps with probability p (and scales by 1/p): mean right, keep-rate wrong",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    if not train or p == 0:
        return x.copy(), (None, 1.0)
    mask = np.random.default_rng(seed).random(x.shape) < p
    scale = 0.0 if p >= 1 else 1.0 / p
    return (x * mask * scale).astype(x.dtype), (mask, scale)


@mutant("dropout", "scales_at_eval", "eval returns x / (1 - p): the test-time network is not the expected one",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    if not train:
        scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
        return (x * scale).astype(x.dtype), (None, 1.0)
    return S.dropout_forward(x, p, train, seed)


@mutant("dropout", "p1_divides_by_zero", "p = 1 divides by 1 - p = 0: nan", replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    if not train or p == 0:
        return x.copy(), (None, 1.0)
    mask = _mask(x, p, seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.float64(1.0) / np.float64(1.0 - p)
        return (x * mask * scale).astype(x.dtype), (mask, scale)


@mutant("dropout", "float64_out", "float32 in, float64 out", replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    out, cache = S.dropout_forward(x, p, train, seed)
    return out.astype(np.float64), cache


@mutant("dropout", "one_mask_per_column", "one random draw per feature, shared by every row",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    if not train or p == 0:
        return x.copy(), (None, 1.0)
    mask = np.broadcast_to(np.random.default_rng(seed).random(x.shape[-1:]) >= p, x.shape)
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return (x * mask * scale).astype(x.dtype), (mask, scale)


@mutant("dropout", "ignores_seed", "always draws from fresh entropy: not reproducible", replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    return S.dropout_forward(x, p, train, None)


@mutant("dropout", "fixed_default_seed", "seed=None means seed 0: the same mask at every step",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    return S.dropout_forward(x, p, train, 0 if seed is None else seed)


@mutant("dropout", "new_mask_in_backward", "backward draws a new mask instead of reusing the forward one",
        replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    out, (mask, scale) = S.dropout_forward(x, p, train, seed)
    if mask is None:
        return out, (mask, scale)
    fresh = np.random.default_rng(None if seed is None else seed + 1).random(x.shape) >= p
    return out, (fresh, scale)


@mutant("dropout", "backward_without_scale", "dx = dout * mask, missing the 1/(1-p)", replaces="dropout_backward")
def dropout_backward(dout, cache):
    mask, _ = cache
    return dout.copy() if mask is None else (dout * mask).astype(dout.dtype)


# ---------------------------------------------------------------- batch normalisation
def _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, *, ddof_norm=0, ddof_run=1,
        reverse=False, eps_outside=False, axes=None):
    """A configurable batchnorm_forward for the mutants below (the solution when defaulted)."""
    axes = (0, *range(2, x.ndim)) if axes is None else axes
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    if train:
        m = int(np.prod([x.shape[a] for a in axes]))
        mean = x.mean(axis=axes, keepdims=True)
        var_b = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        var = var_b * m / (m - ddof_norm)
        stat_mean, stat_var = mean, var_b * m / (m - ddof_run)
        if stat_mean.size != x.shape[1]:
            stat_mean = stat_mean.mean(axis=tuple(i for i in range(x.ndim) if i != 1))
            stat_var = stat_var.mean(axis=tuple(i for i in range(x.ndim) if i != 1))
        a, b = (momentum, 1 - momentum) if reverse else (1 - momentum, momentum)
        new_mean = a * running_mean + b * stat_mean.reshape(-1)
        new_var = a * running_var + b * stat_var.reshape(-1)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    inv_std = 1.0 / (np.sqrt(var) + eps) if eps_outside else 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    d = x.dtype
    return out.astype(d), (x_hat, gamma.reshape(shape), inv_std, axes, train), new_mean.astype(d), new_var.astype(d)


@mutant("batchnorm", "unbiased_normalisation", "normalises with the unbiased variance (m - 1)",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
    return _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, ddof_norm=1)


@mutant("batchnorm", "biased_running_var", "running variance updated with the biased batch variance",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    return _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, ddof_run=0)


@mutant("batchnorm", "momentum_reversed", "running = momentum * running + (1 - momentum) * batch",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    return _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, reverse=True)


@mutant("batchnorm", "eps_outside_sqrt", "1 / (sqrt(var) + eps): wrong for small variances",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    return _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, eps_outside=True)


@mutant("batchnorm", "statistics_per_pixel", "(N, C, H, W): statistics over N only, one per pixel",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    return _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, axes=(0,))


@mutant("batchnorm", "batch_stats_at_eval", "eval normalises with the batch statistics",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    out, cache, _, _ = _bn(x, gamma, beta, running_mean, running_var, True, momentum, eps)
    return out, cache, running_mean.copy(), running_var.copy()


@mutant("batchnorm", "updates_running_at_eval", "eval returns updated running statistics",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    out, cache, _, _ = _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps)
    if x.size // x.shape[1] < 2:
        return out, cache, running_mean.copy(), running_var.copy()
    _, _, rm, rv = _bn(x, gamma, beta, running_mean, running_var, True, momentum, eps)
    return out, cache, rm, rv


@mutant("batchnorm", "running_in_place", "updates running_mean/var in place (and returns them)",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    out, cache, rm, rv = _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps)
    running_mean[...] = rm
    running_var[...] = rv
    return out, cache, running_mean, running_var


@mutant("batchnorm", "no_dx_mean_terms", "dx = dout * gamma / std: forgets that mean and var depend on x",
        replaces="batchnorm_backward")
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, axes, _ = cache
    return (dout * gamma * inv_std).astype(dout.dtype), (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)


@mutant("batchnorm", "no_dx_var_term", "dx misses the path through the variance",
        replaces="batchnorm_backward")
def batchnorm_backward(dout, cache):  # noqa: F811
    x_hat, gamma, inv_std, axes, train = cache
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True)) if train else dx_hat * inv_std
    return dx.astype(dout.dtype), (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)


@mutant("batchnorm", "train_backward_at_eval", "backward always uses the training formula",
        replaces="batchnorm_backward")
def batchnorm_backward(dout, cache):  # noqa: F811
    return S.batchnorm_backward(dout, cache[:4] + (True,))


@mutant("batchnorm", "dgamma_is_dbeta", "dgamma = sum(dout), forgetting x_hat", replaces="batchnorm_backward")
def batchnorm_backward(dout, cache):  # noqa: F811
    dx, _, dbeta = S.batchnorm_backward(dout, cache)
    return dx, dbeta.copy(), dbeta


# ---------------------------------------------------------------- layer normalisation
def _ln(x, gamma, beta, eps, axes, ddof=0, eps_outside=False):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / (np.prod([x.shape[a] for a in axes]) - ddof)
    inv_std = 1.0 / (np.sqrt(var) + eps) if eps_outside else 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return (gamma * x_hat + beta).astype(x.dtype), (x_hat, gamma, inv_std, axes)


@mutant("layernorm", "batch_axis", "normalises over the batch axis 0 (batch norm, not layer norm)",
        replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, (0,))


@mutant("layernorm", "last_axis_only", "normalises over the last axis whatever gamma's shape",
        replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):  # noqa: F811
    return _ln(x, gamma, beta, eps, (x.ndim - 1,))


@mutant("layernorm", "unbiased_variance", "normalises with the unbiased variance", replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):  # noqa: F811
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    if np.prod([x.shape[a] for a in axes]) < 2:
        return S.layernorm_forward(x, gamma, beta, eps)
    return _ln(x, gamma, beta, eps, axes, ddof=1)


@mutant("layernorm", "eps_outside_sqrt", "1 / (sqrt(var) + eps)", replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):  # noqa: F811
    return _ln(x, gamma, beta, eps, tuple(range(x.ndim - gamma.ndim, x.ndim)), eps_outside=True)


@mutant("layernorm", "no_dx_mean_terms", "dx = dout * gamma / std", replaces="layernorm_backward")
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std, _ = cache
    leading = tuple(range(dout.ndim - gamma.ndim))
    return (dout * gamma * inv_std).astype(dout.dtype), (dout * x_hat).sum(axis=leading), dout.sum(axis=leading)


@mutant("layernorm", "dgamma_over_all_axes", "dgamma and dbeta summed to scalars", replaces="layernorm_backward")
def layernorm_backward(dout, cache):  # noqa: F811
    dx, dgamma, dbeta = S.layernorm_backward(dout, cache)
    return dx, np.full_like(dgamma, dgamma.sum()), np.full_like(dbeta, dbeta.sum())


# ---------------------------------------------------------------- early stopping
class _EarlyStopping(S.EarlyStopping):
    """The solution with one rule swapped (see the subclasses)."""

    def improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def stop(self):
        return self.wait >= self.patience

    def keep(self, weights):
        return copy.deepcopy(weights)

    def update(self, logs, weights=None):
        self.epoch += 1
        value = float(logs[self.monitor])
        self.last_weights = weights
        if self.improved(value):
            self.best, self.best_epoch = value, self.epoch
            self.wait = self.reset()
            if self.restore_best_weights:
                self.best_weights = self.keep(weights)
            return False
        self.wait += 1
        if self.stop():
            self.stopped_epoch = self.epoch if self.stopped_epoch is None else self.stopped_epoch
            return True
        return False

    def reset(self):
        return 0


@mutant("EarlyStopping", "patience_off_by_one", "stops when wait > patience: one epoch late")
class EarlyStopping(_EarlyStopping):
    def stop(self):
        return self.wait > self.patience


@mutant("EarlyStopping", "ignores_min_delta", "any decrease counts as an improvement")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def improved(self, value):
        return value < self.best if self.mode == "min" else value > self.best


@mutant("EarlyStopping", "ties_improve", "value <= best - min_delta: a tie counts as an improvement")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def improved(self, value):
        if self.mode == "min":
            return value <= self.best - self.min_delta
        return value >= self.best + self.min_delta


@mutant("EarlyStopping", "ignores_mode", "always treats lower as better")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def improved(self, value):
        return value < self.best - self.min_delta if self.best != -np.inf else True


@mutant("EarlyStopping", "wait_never_reset", "an improvement does not reset the count of bad epochs")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def reset(self):
        return self.wait


@mutant("EarlyStopping", "monitors_loss", "watches logs['loss'] whatever `monitor` says")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def update(self, logs, weights=None):
        return super().update({self.monitor: logs["loss"]}, weights)


@mutant("EarlyStopping", "restores_last_weights", "restore() returns the latest weights, not the best")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def restore(self):
        return self.last_weights


@mutant("EarlyStopping", "keeps_a_reference", "stores the weights dict itself: it changes with training")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def keep(self, weights):
        return weights


@mutant("EarlyStopping", "restore_hands_out_the_store", "restore() returns the stored arrays themselves")
class EarlyStopping(_EarlyStopping):  # noqa: F811
    def restore(self):
        return self.best_weights if self.restore_best_weights else self.last_weights


# ---------------------------------------------------------------- checkpoints
@mutant("ModelCheckpoint", "keeps_a_reference", "stores the caller's arrays: the checkpoint changes with training")
class ModelCheckpoint(S.ModelCheckpoint):
    def update(self, logs, weights):
        if self.path is not None:
            return super().update(logs, weights)
        saved = super().update(logs, weights)
        if saved:
            self.saved[self.epoch] = weights
        return saved


@mutant("ModelCheckpoint", "saves_every_epoch", "ignores save_best_only")
class ModelCheckpoint(S.ModelCheckpoint):  # noqa: F811
    def __init__(self, monitor="val_loss", mode="min", save_best_only=True, path=None):
        super().__init__(monitor, mode, False, path)


@mutant("ModelCheckpoint", "ignores_mode", "always saves when the value goes down")
class ModelCheckpoint(S.ModelCheckpoint):  # noqa: F811
    def __init__(self, monitor="val_loss", mode="min", save_best_only=True, path=None):
        super().__init__(monitor, "min", save_best_only, path)


@mutant("ModelCheckpoint", "ties_save", "a tie with the best counts as an improvement")
class ModelCheckpoint(S.ModelCheckpoint):  # noqa: F811
    def update(self, logs, weights):
        value = float(logs[self.monitor])
        if value == self.best:
            self.best = np.inf if self.mode == "min" else -np.inf
        return super().update(logs, weights)


@mutant("ModelCheckpoint", "load_hands_out_the_store", "load() returns the stored arrays themselves")
class ModelCheckpoint(S.ModelCheckpoint):  # noqa: F811
    def load(self, epoch=None):
        if self.path is not None:
            return super().load(epoch)
        return self.saved[max(self.saved) if epoch is None else epoch]


@mutant("ModelCheckpoint", "load_first_saved", "load() without an epoch gives the first saved epoch")
class ModelCheckpoint(S.ModelCheckpoint):  # noqa: F811
    def load(self, epoch=None):
        return super().load(min(self.saved) if epoch is None else epoch)


# ---------------------------------------------------------------- the whole domain, defaults, attributes
@mutant("dropout", "default_p_0_2", "p defaults to 0.2 instead of 0.5", replaces="dropout_forward")
def dropout_forward(x, p=0.2, train=True, seed=None):  # noqa: F811
    return S.dropout_forward(x, p, train, seed)


@mutant("batchnorm", "one_pass_variance", "var = mean(x**2) - mean(x)**2: loses every digit when the mean is "
        "large and the spread small", replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    if not train:
        return S.batchnorm_forward(x, gamma, beta, running_mean, running_var, train, momentum, eps)
    axes = (0, *range(2, x.ndim))
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    var = (x * x).mean(axis=axes, keepdims=True) - mean * mean
    new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(-1)
    new_var = (1 - momentum) * running_var + momentum * var.reshape(-1) * (m / (m - 1))
    with np.errstate(invalid="ignore"):
        inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    d = x.dtype
    return out.astype(d), (x_hat, gamma.reshape(shape), inv_std, axes, train), new_mean.astype(d), new_var.astype(d)


@mutant("batchnorm", "axes_0_2_3", "reduces over axes (0, 2, 3) whenever x is not 2-D: breaks (N, C, L) and 5-D "
        "inputs", replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    return _bn(x, gamma, beta, running_mean, running_var, train, momentum, eps, axes=tuple(a for a in axes
                                                                                          if a < x.ndim))


@mutant("batchnorm", "default_momentum_0_9", "momentum defaults to 0.9 (the weight of the old average)",
        replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.9, eps=1e-5):  # noqa: F811
    return S.batchnorm_forward(x, gamma, beta, running_mean, running_var, train, momentum, eps)


@mutant("layernorm", "one_pass_variance", "var = mean(x**2) - mean(x)**2", replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):  # noqa: F811
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = (x * x).mean(axis=axes, keepdims=True) - mean * mean
    with np.errstate(invalid="ignore"):
        inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return (gamma * x_hat + beta).astype(x.dtype), (x_hat, gamma, inv_std, axes)


@mutant("layernorm", "default_eps_1e3", "eps defaults to 1e-3 (Keras's) instead of 1e-5", replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-3):  # noqa: F811
    return S.layernorm_forward(x, gamma, beta, eps)


@mutant("EarlyStopping", "own_counter", "counts bad epochs in its own attribute: wait stays 0")
class EarlyStopping(S.EarlyStopping):  # noqa: F811
    def update(self, logs, weights=None):
        self.wait = getattr(self, "bad_epochs", 0)
        stop = super().update(logs, weights)
        self.bad_epochs, self.wait = self.wait, 0
        return stop


@mutant("EarlyStopping", "default_patience_2", "patience defaults to 2 instead of 0 (0 and 1 both stop at the "
        "first bad epoch)")
class EarlyStopping(S.EarlyStopping):  # noqa: F811
    def __init__(self, monitor="val_loss", mode="min", min_delta=0.0, patience=2, restore_best_weights=False):
        super().__init__(monitor, mode, min_delta, patience, restore_best_weights)


@mutant("ModelCheckpoint", "best_epoch_never_set", "tracks the best value but never sets best_epoch")
class ModelCheckpoint(S.ModelCheckpoint):  # noqa: F811
    def update(self, logs, weights):
        saved = super().update(logs, weights)
        self.best_epoch = None
        return saved


# ---------------------------------------------------------------- loops (correct, but slow)
@mutant("dropout", "row_loop", "the mask drawn and applied one row at a time", replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):  # noqa: F811
    if not train or p == 0 or x.ndim == 0:
        return S.dropout_forward(x, p, train, seed)
    rng, scale = np.random.default_rng(seed), (0.0 if p >= 1 else 1 / (1 - p))
    mask = np.empty(x.shape, dtype=bool)
    for i in range(len(x)):
        mask[i] = rng.random(x.shape[1:]) >= p
    return (x * mask * scale).astype(x.dtype), (mask, scale)


@mutant("batchnorm", "channel_loop", "the statistics of one feature (channel) at a time", replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):  # noqa: F811
    if not train:
        return S.batchnorm_forward(x, gamma, beta, running_mean, running_var, train, momentum, eps)
    c = x.shape[1]
    mean, var = np.empty(c, x.dtype), np.empty(c, x.dtype)
    for k in range(c):
        values = x[:, k]
        mean[k] = values.mean()
        var[k] = ((values - mean[k]) ** 2).mean()
    shape = [1] * x.ndim
    shape[1] = c
    m = x.size // c
    inv_std = 1.0 / np.sqrt(var.reshape(shape) + eps)
    x_hat = (x - mean.reshape(shape)) * inv_std
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    axes = (0, *range(2, x.ndim))
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * var * (m / (m - 1))
    d = x.dtype
    return out.astype(d), (x_hat, gamma.reshape(shape), inv_std, axes, train), new_mean.astype(d), new_var.astype(d)


@mutant("layernorm", "row_loop", "one sample normalised at a time", replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):  # noqa: F811
    if x.ndim == gamma.ndim:
        return S.layernorm_forward(x, gamma, beta, eps)
    rows = [S.layernorm_forward(x[i], gamma, beta, eps) for i in range(len(x))]
    out = np.stack([r[0] for r in rows]) if rows else S.layernorm_forward(x, gamma, beta, eps)[0]
    return out, S.layernorm_forward(x, gamma, beta, eps)[1]
