"""Correct alternatives for the neuron exercises: other styles a learner may write. Every
test must accept them (tests/kit/testing/test_alternatives.py), speed gates included
(tests/kit/testing/calibrate_gates.py measures them).

Registered with the mutants' decorator (`alternative` below): an alternative is a mutant
that must NOT be caught."""

import math

import numpy as np

from gradeschool.harness.mutants import mutant as alternative


@alternative("step", "where", "np.where(x >= 0, 1, 0) cast to x's dtype")
def step(x):
    return np.where(x >= 0, 1, 0).astype(x.dtype)


@alternative("sigmoid", "both_branches", "both branches of np.where computed in full (overflow warnings, right values)")
def sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x))).astype(x.dtype)


@alternative("sigmoid", "logaddexp", "exp(-logaddexp(0, -x))")
def sigmoid(x):  # noqa: F811
    return np.exp(-np.logaddexp(0, -x)).astype(x.dtype)


@alternative("tanh", "via_sigmoid", "2 * sigmoid(2x) - 1 in float64, cast back")
def tanh(x):
    z = 2 * x.astype(np.float64)
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return (2 * s - 1).astype(x.dtype)


@alternative("relu", "masked_copy", "a copy whose negative entries are set to 0 through a boolean mask")
def relu(x):
    out = x.copy()
    out[x < 0] = 0
    return out


@alternative("leaky_relu", "slope_array", "x times an array of slopes: 1 where x > 0, negative_slope elsewhere")
def leaky_relu(x, negative_slope=0.01):
    return (x * np.where(x > 0, 1, negative_slope)).astype(x.dtype)


@alternative("elu", "errstate_exp", "np.where(x > 0, x, alpha * (np.exp(x) - 1)) with overflow silenced")
def elu(x, alpha=1.0):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x > 0, x, alpha * (np.exp(x) - 1)).astype(x.dtype)


@alternative("gelu", "sigmoid_form", "tanh form as x * sigmoid(2 * inner), float64 inside")
def gelu(x, approximate="none"):
    z = x.astype(np.float64)
    if approximate == "tanh":
        inner = 2 * math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        with np.errstate(over="ignore"):
            return (z / (1 + np.exp(-inner))).astype(x.dtype)
    return (0.5 * z * (1 + np.array([math.erf(v / math.sqrt(2)) for v in z.ravel()]).reshape(z.shape))).astype(x.dtype)


@alternative("prelu", "expand_dims", "weight reshaped with np.expand_dims over the trailing axes")
def prelu(x, weight):
    w = np.expand_dims(weight, tuple(range(1, x.ndim - 1))) if x.ndim >= 2 else weight
    return np.where(x > 0, x, w * x).astype(x.dtype)


@alternative("perceptron_predict", "dot_where", "np.where(x.dot(w) + b >= 0, 1.0, 0.0)")
def perceptron_predict(x, w, b):
    return np.where(x.dot(w) + b >= 0, 1.0, 0.0).astype(x.dtype)


@alternative("dense_forward", "einsum", "np.einsum('nd,de->ne', x, W) + b")
def dense_forward(x, W, b):
    return np.einsum("nd,de->ne", x, W) + b, (x, W, b)


@alternative("softmax", "logsumexp", "exp(x - logsumexp(x)): loses float32 digits at logits of 1e4, within the rule")
def softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return np.exp(x - lse)


@alternative("softmax", "float64_inside", "computed in float64, cast back to x's dtype")
def softmax(x, axis=-1):  # noqa: F811
    z = x.astype(np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)


@alternative("softmax", "moveaxis", "moves the axis last, works on the last axis, moves it back")
def softmax(x, axis=-1):  # noqa: F811
    z = np.moveaxis(x, axis, -1)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.moveaxis(e / e.sum(axis=-1, keepdims=True), -1, axis)


@alternative("log_softmax", "minus_lse", "x - (max + log(sum(exp(x - max))))")
def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True)))


@alternative("log_softmax", "float64_inside", "computed in float64, cast back")
def log_softmax(x, axis=-1):  # noqa: F811
    z = x.astype(np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))).astype(x.dtype)


@alternative("mlp_forward", "dict_of_functions", "activations looked up in a dict of lambdas, float64 softmax")
def mlp_forward(x, weights, biases, activation="relu", output_activation=None):
    def softmax(z):
        e = np.exp(z.astype(np.float64) - z.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True)).astype(z.dtype)

    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)

    g = {"relu": lambda z: np.maximum(z, 0), "sigmoid": sigmoid, "softmax": softmax,
         "tanh": lambda z: np.sign(z) * (1 - np.exp(-2 * np.abs(z))) / (1 + np.exp(-2 * np.abs(z))),
         None: lambda z: z}
    a = x
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        a = g[output_activation if layer == len(weights) - 1 else activation](a @ W + b).astype(x.dtype)
    return a


@alternative("log_softmax", "logaddexp_reduce", "shift by the max, then the log-sum-exp as np.logaddexp.reduce "
             "along the axis (a ufunc reduction: correct, and about 20x torch, the slowest correct style)")
def log_softmax(x, axis=-1):  # noqa: F811
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.logaddexp.reduce(z, axis=axis, keepdims=True)


@alternative("softmax", "logaddexp_reduce", "exp(z - np.logaddexp.reduce(z)) with z = x - max along the axis")
def softmax(x, axis=-1):  # noqa: F811
    z = x - x.max(axis=axis, keepdims=True)
    return np.exp(z - np.logaddexp.reduce(z, axis=axis, keepdims=True))
