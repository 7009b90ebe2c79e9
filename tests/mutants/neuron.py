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


# ---------------------------------------------------------------- the whole domain
def _transposed(name):
    """softmax or log_softmax that moves a non-last axis last with .T (right for 2-D only)."""
    def function(x, axis=-1):
        own = getattr(_solution(), name)
        return own(x, -1) if axis in (-1, x.ndim - 1) else own(x.T, -1).T

    return function


mutant("softmax", "transpose_for_other_axes", "moves a non-last axis with x.T: right for 2-D arrays only")(
    _transposed("softmax"))
mutant("log_softmax", "transpose_for_other_axes", "moves a non-last axis with x.T: right for 2-D arrays only")(
    _transposed("log_softmax"))


@mutant("softmax", "default_axis_0", "the default axis is 0, not -1")
def softmax(x, axis=0):  # noqa: F811
    return _solution().softmax(x, axis)


@mutant("leaky_relu", "maximum_trick", "np.maximum(x, slope * x): right only for 0 <= slope <= 1")
def leaky_relu(x, negative_slope=0.01):  # noqa: F811
    return np.maximum(x, negative_slope * x).astype(x.dtype)


@mutant("elu", "maximum_trick", "np.maximum(x, alpha * expm1(x)): right only for alpha <= 1")
def elu(x, alpha=1.0):  # noqa: F811
    return np.maximum(x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)


@mutant("gelu", "default_tanh", "the default is approximate='tanh' instead of the exact 'none'")
def gelu(x, approximate="tanh"):  # noqa: F811
    return _solution().gelu(x, approximate)


@mutant("relu", "in_place", "x[x < 0] = 0: zeroes the caller's array and returns it")
def relu(x):  # noqa: F811
    x[x < 0] = 0
    return x


@mutant("relu", "multiply_mask", "x * (x > 0): -inf * 0 is nan where torch gives 0")
def relu(x):  # noqa: F811
    return x * (x > 0)


@mutant("mlp_forward", "default_softmax_output", "output_activation defaults to 'softmax' instead of None")
def mlp_forward(x, weights, biases, activation="relu", output_activation="softmax"):  # noqa: F811
    return _solution().mlp_forward(x, weights, biases, activation, output_activation)


@mutant("perceptron_train", "default_lr", "the default learning rate is 0.1 instead of 1.0")
def perceptron_train(x, y, lr=0.1, epochs=100):  # noqa: F811
    return _solution().perceptron_train(x, y, lr, epochs)


# ---------------------------------------------------------------- loops (correct, but slow)
def _each_element(f, x):
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        out[idx] = f(float(x[idx]))
    return out


@mutant("step", "element_loop", "a Python loop over every element")
def step(x):  # noqa: F811
    return _each_element(lambda v: 1.0 if v >= 0 else 0.0, x)


@mutant("sigmoid", "element_loop", "a Python loop over every element with math.exp")
def sigmoid(x):  # noqa: F811
    return _each_element(lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)), x)


def _each_row(f, x, *args):
    """f applied to x[i] for every i of the first axis (0-d x: f(x))."""
    if x.ndim == 0:
        return f(x, *args)
    out = np.empty_like(x)
    for i in range(len(x)):
        out[i] = f(x[i], *args)
    return out


@mutant("tanh", "row_loop", "a Python loop over the rows (the first axis)")
def tanh(x):  # noqa: F811
    return _each_row(_solution().tanh, x)


@mutant("relu", "last_axis_loop", "a Python loop over the last axis")
def relu(x):  # noqa: F811
    if x.ndim == 0:
        return _solution().relu(x)
    out = np.empty_like(x)
    for j in range(x.shape[-1]):
        out[..., j] = np.maximum(x[..., j], 0)
    return out


@mutant("leaky_relu", "element_loop", "a Python loop over every element")
def leaky_relu(x, negative_slope=0.01):  # noqa: F811
    return _each_element(lambda v: v if v > 0 else negative_slope * v, x)


@mutant("elu", "row_loop", "a Python loop over the rows")
def elu(x, alpha=1.0):  # noqa: F811
    return _each_row(_solution().elu, x, alpha)


@mutant("gelu", "element_loop", "a Python loop over every element (both forms)")
def gelu(x, approximate="none"):  # noqa: F811
    def one(v):
        if approximate == "tanh":
            return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
        return 0.5 * v * (1 + math.erf(v / math.sqrt(2)))

    with np.errstate(over="ignore"):
        return _each_element(lambda v: one(v) if abs(v) < 1e100 else (v if v > 0 else -0.0), x)


@mutant("prelu", "channel_loop", "a Python loop over the channels")
def prelu(x, weight):  # noqa: F811
    if x.ndim < 2 or len(weight) == 1:
        return _solution().prelu(x, weight)
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        out[:, c] = np.where(x[:, c] > 0, x[:, c], weight[c] * x[:, c])
    return out


@mutant("perceptron_predict", "row_loop", "a Python loop over the samples")
def perceptron_predict(x, w, b):  # noqa: F811
    return np.array([1.0 if xi @ w + b >= 0 else 0.0 for xi in x], dtype=x.dtype).reshape(len(x))


@mutant("dense_forward", "row_loop", "a Python loop over the samples")
def dense_forward(x, W, b):  # noqa: F811
    out = np.empty((x.shape[0], W.shape[1]), dtype=np.result_type(x, W, b))
    for i in range(x.shape[0]):
        out[i] = x[i] @ W + b
    return out, (x, W, b)


@mutant("softmax", "axis_loop", "max and sum by a Python loop along the softmax axis")
def softmax(x, axis=-1):  # noqa: F811
    z = np.moveaxis(x, axis, 0)
    m = z[0].copy()
    for row in z[1:]:
        m = np.maximum(m, row)
    e = np.exp(z - m)
    total = np.zeros_like(m)
    for row in e:
        total += row
    return np.moveaxis(e / total, 0, axis)


@mutant("mlp_forward", "sample_loop", "a Python loop over the samples, one vector through the network at a time")
def mlp_forward(x, weights, biases, activation="relu", output_activation=None):  # noqa: F811
    rows = [_solution().mlp_forward(x[i:i + 1], weights, biases, activation, output_activation) for i in range(len(x))]
    return np.concatenate(rows) if rows else _solution().mlp_forward(x, weights, biases, activation, output_activation)


@mutant("mlp_forward", "unit_loop", "a Python loop over the units of each layer (one dot product per unit)")
def mlp_forward(x, weights, biases, activation="relu", output_activation=None):  # noqa: F811
    a = x
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = np.empty((a.shape[0], W.shape[1]), dtype=x.dtype)
        for j in range(W.shape[1]):
            z[:, j] = a @ W[:, j] + b[j]
        name = output_activation if layer == len(weights) - 1 else activation
        a = z if name is None else _activate(name, z)
    return a


@mutant("perceptron_train", "feature_loop", "each prediction's dot product by a Python loop over the features")
def perceptron_train(x, y, lr=1.0, epochs=100):  # noqa: F811
    w, b, mistakes = np.zeros(x.shape[1], dtype=x.dtype), 0.0, []
    for _ in range(epochs):
        wrong = 0
        for xi, yi in zip(x, y, strict=True):
            total = b
            for j in range(len(w)):
                total += float(xi[j]) * float(w[j])
            error = float(yi) - float(total >= 0)
            if error:
                w, b, wrong = (w + lr * error * xi).astype(x.dtype), b + lr * error, wrong + 1
        mistakes.append(wrong)
        if wrong == 0:
            break
    return w, b, mistakes


@mutant("log_softmax", "axis_loop", "the max and the log-sum-exp by a Python loop along the softmax axis")
def log_softmax(x, axis=-1):  # noqa: F811
    z = np.moveaxis(x, axis, 0)
    m = z[0].copy()
    for row in z[1:]:
        m = np.maximum(m, row)
    total = np.zeros_like(m)
    for row in z:
        total += np.exp(row - m)
    return np.moveaxis(z - m - np.log(total), 0, axis)


@mutant("softmax", "global_max_shift", "subtracts the maximum of the whole array, not of each row")
def softmax(x, axis=-1):  # noqa: F811
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max())
        return e / e.sum(axis=axis, keepdims=True)
