"""Wrong implementations of the neuron exercises; each must fail at least one test."""

import functools
import math

import numpy as np

from gradeschool.harness.mutants import mutant, solution


@functools.cache
def _solution():
    return solution("neuron")


@mutant("softmax", "no_max_shift", "exp of raw logits: overflows to nan at logits of 1e4")
def softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@mutant("softmax", "fixed_axis", "always normalises the last axis, ignoring `axis`")
def softmax(x, axis=-1):  # noqa: F811
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@mutant("softmax", "no_keepdims", "reduces without keepdims: broadcasts against the wrong axis")
def softmax(x, axis=-1):  # noqa: F811
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis)


@mutant("softmax", "float64_out", "upcasts float32 input to float64")
def softmax(x, axis=-1):  # noqa: F811
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@mutant("softmax", "row_loop", "a Python loop over rows: correct but about 100x slower")
def softmax(x, axis=-1):  # noqa: F811
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx]
        e = np.exp(row - row.max())
        out[idx] = e / e.sum()
    return np.moveaxis(out, -1, axis)


@mutant("log_softmax", "log_of_softmax", "np.log(softmax): -inf where a probability underflows")
def log_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))


@mutant("log_softmax", "unstable_lse", "log(sum(exp(x))) without the max: overflows at 1e4")
def log_softmax(x, axis=-1):  # noqa: F811
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


@mutant("log_softmax", "row_loop", "a Python loop over rows")
def log_softmax(x, axis=-1):  # noqa: F811
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx] - moved[idx].max()
        out[idx] = row - np.log(np.exp(row).sum())
    return np.moveaxis(out, -1, axis)


@mutant("step", "strict", "x > 0 instead of x >= 0: step(0) is 0")
def step(x):
    return (x > 0).astype(x.dtype)


@mutant("step", "bool_out", "returns booleans, not the input's dtype")
def step(x):  # noqa: F811
    return x >= 0


@mutant("perceptron_predict", "no_bias", "forgets the bias: step(x @ w)")
def perceptron_predict(x, w, b):
    return (x @ w >= 0).astype(x.dtype)


@mutant("perceptron_predict", "strict", "fires only above 0: step(0) is taken as 0")
def perceptron_predict(x, w, b):  # noqa: F811
    return (x @ w + b > 0).astype(x.dtype)


def _perceptron(x, y, lr, epochs, error_of, stop_early=True):
    """The rule with a pluggable error (y - y_hat) for the mutants below."""
    w, b, mistakes = np.zeros(x.shape[1], dtype=x.dtype), 0.0, []
    for _ in range(epochs):
        wrong = 0
        for xi, yi in zip(x, y, strict=True):
            y_hat = float(xi @ w + b >= 0)
            wrong += y_hat != yi
            error = error_of(float(yi), y_hat)
            w, b = (w + lr * error * xi).astype(x.dtype), b + lr * error
        mistakes.append(wrong)
        if wrong == 0 and stop_early:
            break
    return w, b, mistakes


@mutant("perceptron_train", "updates_when_right", "moves the weights towards y on every sample, right or wrong")
def perceptron_train(x, y, lr=1.0, epochs=100):
    return _perceptron(x, y, lr, epochs, lambda yi, y_hat: 2 * yi - 1)


@mutant("perceptron_train", "sign_flipped", "w -= lr * (y - y_hat) * x: moves away from the target")
def perceptron_train(x, y, lr=1.0, epochs=100):  # noqa: F811
    return _perceptron(x, y, lr, epochs, lambda yi, y_hat: y_hat - yi)


@mutant("perceptron_train", "no_early_stop", "keeps running epochs after one without mistakes")
def perceptron_train(x, y, lr=1.0, epochs=100):  # noqa: F811
    return _perceptron(x, y, lr, epochs, lambda yi, y_hat: yi - y_hat, stop_early=False)


@mutant("perceptron_train", "batch_update", "updates once per epoch with the summed errors (not sample by sample)")
def perceptron_train(x, y, lr=1.0, epochs=100):  # noqa: F811
    w, b, mistakes = np.zeros(x.shape[1], dtype=x.dtype), 0.0, []
    for _ in range(epochs):
        error = y - (x @ w + b >= 0)
        w, b = (w + lr * error @ x).astype(x.dtype), b + lr * float(error.sum())
        mistakes.append(int(np.count_nonzero(error)))
        if mistakes[-1] == 0:
            break
    return w, b, mistakes


@mutant("perceptron_train", "strict_step", "predicts with x @ w + b > 0 while training")
def perceptron_train(x, y, lr=1.0, epochs=100):  # noqa: F811
    w, b, mistakes = np.zeros(x.shape[1], dtype=x.dtype), 0.0, []
    for _ in range(epochs):
        wrong = 0
        for xi, yi in zip(x, y, strict=True):
            error = float(yi) - float(xi @ w + b > 0)
            w, b, wrong = (w + lr * error * xi).astype(x.dtype), b + lr * error, wrong + (error != 0)
        mistakes.append(wrong)
        if wrong == 0:
            break
    return w, b, mistakes


@mutant("dense_forward", "no_bias", "forgets the bias: x @ W")
def dense_forward(x, W, b):
    return x @ W, (x, W, b)


@mutant("dense_forward", "out_only", "returns out alone, not (out, cache)")
def dense_forward(x, W, b):  # noqa: F811
    return x @ W + b


@mutant("dense_forward", "transposed", "x @ W.T + b: torch's (out, in) layout instead of the notes' (in, out)")
def dense_forward(x, W, b):  # noqa: F811
    return x @ W.T + b, (x, W, b)


@mutant("sigmoid", "overflowing", "exp(x) / (1 + exp(x)): inf / inf = nan for large x")
def sigmoid(x):
    e = np.exp(x)
    return e / (1 + e)


@mutant("sigmoid", "sign_flipped", "1 / (1 + exp(x)): that is sigmoid(-x)")
def sigmoid(x):  # noqa: F811
    e = np.exp(-np.abs(x))
    return np.where(x < 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


@mutant("tanh", "overflowing", "(e^x - e^-x) / (e^x + e^-x) as written: inf / inf = nan for |x| > 710")
def tanh(x):
    a, b = np.exp(x), np.exp(-x)
    return (a - b) / (a + b)


@mutant("tanh", "no_sign", "(1 - e) / (1 + e) with e = exp(-2|x|) but without restoring the sign")
def tanh(x):  # noqa: F811
    e = np.exp(-2 * np.abs(x))
    return ((1 - e) / (1 + e)).astype(x.dtype)


@mutant("relu", "max_reduces", "np.max(x, 0): reduces axis 0 instead of comparing with 0")
def relu(x):
    return np.max(x, 0)


@mutant("relu", "float64_out", "np.where(x > 0, x, 0.0) after an upcast to float64")
def relu(x):  # noqa: F811
    return np.where(x > 0, x.astype(np.float64), 0.0)


@mutant("leaky_relu", "fixed_slope", "ignores negative_slope and always uses 0.01")
def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, 0.01 * x).astype(x.dtype)


@mutant("leaky_relu", "slope_on_positive", "scales the positive side instead of the negative one")
def leaky_relu(x, negative_slope=0.01):  # noqa: F811
    return np.where(x > 0, negative_slope * x, x).astype(x.dtype)


@mutant("prelu", "last_axis", "weight broadcast against the last axis, not the channel axis 1")
def prelu(x, weight):
    return np.where(x > 0, x, weight * x).astype(x.dtype)


@mutant("prelu", "first_slope", "uses weight[0] for every channel")
def prelu(x, weight):  # noqa: F811
    return np.where(x > 0, x, weight[0] * x).astype(x.dtype)


@mutant("elu", "no_alpha", "x if x > 0 else exp(x) - 1: forgets alpha")
def elu(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0))).astype(x.dtype)


@mutant("elu", "no_minus_one", "alpha * exp(x) on the negative side: jumps at 0")
def elu(x, alpha=1.0):  # noqa: F811
    return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)


@mutant("gelu", "wrong_constant", "tanh approximation with 0.0447 instead of 0.044715, and exact via it too")
def gelu(x, approximate="none"):
    inner = np.sqrt(2 / np.pi) * (x + 0.0447 * x**3)
    return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype)


@mutant("gelu", "tanh_for_exact", "answers approximate='none' with the tanh approximation")
def gelu(x, approximate="none"):  # noqa: F811
    inner = np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
    return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype)


@mutant("gelu", "no_sqrt2", "exact gelu with erf(x) instead of erf(x / sqrt(2))")
def gelu(x, approximate="none"):  # noqa: F811
    if approximate == "tanh":
        return _solution().gelu(x, "tanh")
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1 + erf(x))).astype(x.dtype)


def _activate(name, a):
    sol = _solution()
    return {"relu": sol.relu, "sigmoid": sol.sigmoid, "tanh": sol.tanh, "softmax": sol.softmax}[name](a)


@mutant("mlp_forward", "hidden_on_last", "applies the hidden activation to the last layer too")
def mlp_forward(x, weights, biases, activation="relu", output_activation=None):
    a = x
    for W, b in zip(weights, biases, strict=True):
        a = _activate(activation, a @ W + b)
    return a if output_activation is None else _activate(output_activation, a)


@mutant("mlp_forward", "no_output_activation", "ignores output_activation")
def mlp_forward(x, weights, biases, activation="relu", output_activation=None):  # noqa: F811
    return _solution().mlp_forward(x, weights, biases, activation, None)


@mutant("mlp_forward", "activation_before_dense", "a[l] = g(a[l-1]) @ W + b: activates the input x too")
def mlp_forward(x, weights, biases, activation="relu", output_activation=None):  # noqa: F811
    a = x
    for W, b in zip(weights, biases, strict=True):
        a = _activate(activation, a) @ W + b
    return a if output_activation is None else _activate(output_activation, a)
