"""Correct alternatives for the regularization exercises (see alternatives/neuron.py)."""

import copy
import math

import numpy as np

from gradeschool.harness.mutants import mutant as alternative
from gradeschool.harness.mutants import solution

S = solution("regularization")


@alternative("dropout", "binomial_where", "mask from rng.binomial, out by np.where (the solution's cache: "
             "(mask, scale))", replaces="dropout_forward")
def dropout_forward(x, p=0.5, train=True, seed=None):
    if not train:
        return np.array(x, copy=True), (None, 1.0)
    keep = np.random.default_rng(seed).binomial(1, 1 - p, x.shape).astype(bool)
    scale = 0.0 if p >= 1 else 1 / (1 - p)
    return np.where(keep, x * scale, 0).astype(x.dtype), (keep, scale)


@alternative("dropout", "where_backward", "dx by np.where on the cached mask", replaces="dropout_backward")
def dropout_backward(dout, cache):
    keep, scale = cache
    return dout.copy() if keep is None else np.where(keep, dout * scale, 0).astype(dout.dtype)


@alternative("batchnorm", "np_var_float64", "statistics by np.var in float64, cast back", replaces="batchnorm_forward")
def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
    z = x.astype(np.float64)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1] * x.ndim
    shape[1] = -1
    if train:
        m = x.size // x.shape[1]
        mean, var = z.mean(axis=axes), z.var(axis=axes)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * z.var(axis=axes, ddof=1) if m > 1 else running_var
    else:
        mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (z - mean.reshape(shape)) * inv_std.reshape(shape)
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    cache = (x_hat.astype(x.dtype), gamma.reshape(shape), inv_std.reshape(shape).astype(x.dtype), axes, train)
    return out.astype(x.dtype), cache, np.asarray(new_mean, x.dtype), np.asarray(new_var, x.dtype)


@alternative("layernorm", "np_var", "np.var over the normalised axes", replaces="layernorm_forward")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    axes = tuple(range(-gamma.ndim, 0))
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return (gamma * x_hat + beta).astype(x.dtype), (x_hat, gamma, 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps),
                                                   tuple(range(x.ndim - gamma.ndim, x.ndim)))


@alternative("EarlyStopping", "dict_copies", "best weights kept as {name: array.copy()}; the sign of the mode "
             "folded into the value")
class EarlyStopping(S.EarlyStopping):
    def __init__(self, monitor="val_loss", mode="min", min_delta=0.0, patience=0, restore_best_weights=False):
        super().__init__(monitor, mode, min_delta, patience, restore_best_weights)
        self.sign = 1 if mode == "min" else -1

    def update(self, logs, weights=None):
        self.epoch += 1
        value = float(logs[self.monitor])
        self.last_weights = weights
        if self.sign * value < self.sign * self.best - self.min_delta or self.best_epoch is None:
            self.best, self.best_epoch, self.wait = value, self.epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: np.array(v, copy=True) for k, v in weights.items()}
            return False
        self.wait += 1
        if self.wait >= self.patience and self.stopped_epoch is None:
            self.stopped_epoch = self.epoch
        return self.wait >= self.patience

    def restore(self):
        if self.restore_best_weights:
            return copy.deepcopy(self.best_weights)
        return self.last_weights


@alternative("ModelCheckpoint", "deepcopy", "copies by copy.deepcopy; files written by np.savez on the path")
class ModelCheckpoint(S.ModelCheckpoint):
    def update(self, logs, weights):
        self.epoch += 1
        value = float(logs[self.monitor])
        better = value < self.best if self.mode == "min" else value > self.best
        if better or math.isinf(self.best):
            self.best, self.best_epoch = value, self.epoch
        if self.save_best_only and not better:
            return False
        if self.path is None:
            self.saved[self.epoch] = copy.deepcopy(weights)
        else:
            name = self.path.format(epoch=self.epoch)
            np.savez(name, **weights)
            self.saved[self.epoch] = name
        return True
