"""Adversarial: returns objects that pretend to be arrays: equal to anything, and holding
the right values behind `__array__` (an ndarray subclass too). The right values must not
earn points when they do not come back as a plain numpy.ndarray."""

import numpy as np


class Pretender:
    def __init__(self, value):
        self._value = value
        self.shape, self.dtype, self.ndim, self.size = value.shape, value.dtype, value.ndim, value.size

    def __array__(self, dtype=None, copy=None):
        return self._value if dtype is None else self._value.astype(dtype)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __getattr__(self, name):
        return getattr(self._value, name)


class Sneaky(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


def _right_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax(x, axis=-1):
    return Pretender(_right_softmax(x, axis))


def log_softmax(x, axis=-1):
    return np.log(_right_softmax(x, axis)).view(Sneaky)


def relu(x):
    return Pretender(np.maximum(x, 0).astype(x.dtype))


def attack(x, *args, **kwargs):
    return Pretender(np.zeros_like(x))


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = attack
leaky_relu = prelu = elu = gelu = mlp_forward = attack
