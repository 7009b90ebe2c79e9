"""Correct alternatives for the backprop exercises (see alternatives/neuron.py)."""

import numpy as np

from gradeschool.harness.mutants import mutant as alternative
from gradeschool.harness.mutants import solution

S = solution("backprop")
N = solution("neuron")
# neuron's functions bound by name: a function handed in may not use a module alias (the
# notebook import rule of gradeschool.core.scan refuses it)
_elu, _log_softmax = N.elu, N.log_softmax


@alternative("dense_backward", "einsum", "every gradient by np.einsum")
def dense_backward(dout, cache):
    x, W, _ = cache
    return np.einsum("no,io->ni", dout, W), np.einsum("ni,no->io", x, dout), np.einsum("no->o", dout)


@alternative("sigmoid_backward", "logaddexp", "s = exp(-logaddexp(0, -x)) in float64, cast back")
def sigmoid_backward(dout, x):
    s = np.exp(-np.logaddexp(0, -x.astype(np.float64)))
    return (dout * s * (1 - s)).astype(x.dtype)


@alternative("tanh_backward", "sech_squared", "dout * 4 / (e^x + e^-x)**2 (overflow to inf gives 0)")
def tanh_backward(dout, x):
    with np.errstate(over="ignore"):
        return (dout * 4 / (np.exp(x) + np.exp(-x)) ** 2).astype(x.dtype)


@alternative("relu_backward", "mask", "dout * (x > 0)")
def relu_backward(dout, x):
    return (dout * (x > 0)).astype(x.dtype)


@alternative("leaky_relu_backward", "slope_array", "dout * np.where(x > 0, 1, slope)")
def leaky_relu_backward(dout, x, negative_slope=0.01):
    return (dout * np.where(x > 0, 1.0, negative_slope)).astype(x.dtype)


@alternative("elu_backward", "from_the_output", "dout * (elu(x) + alpha) on the negative side")
def elu_backward(dout, x, alpha=1.0):
    return np.where(x > 0, dout, dout * (_elu(x, alpha) + alpha)).astype(x.dtype)


@alternative("softmax_backward", "einsum_free_moveaxis", "the axis moved last, s from exp(log_softmax)")
def softmax_backward(dout, x, axis=-1):
    d, z = np.moveaxis(dout, axis, -1), np.moveaxis(x, axis, -1)
    s = np.exp(_log_softmax(z, axis=-1))
    dx = s * (d - (d * s).sum(axis=-1, keepdims=True))
    return np.moveaxis(dx, -1, axis).astype(x.dtype)


@alternative("numerical_gradient", "flat_views", "perturbs xp.flat[i], i over range(x.size)")
def numerical_gradient(f, x, h=1e-5):
    xp = np.array(x, dtype=np.float64)
    grad = np.empty(x.size)
    for i in range(x.size):
        old = xp.flat[i]
        xp.flat[i] = old + h
        plus = f(xp)
        xp.flat[i] = old - h
        grad[i] = (plus - f(xp)) / (2 * h)
        xp.flat[i] = old
    return grad.reshape(x.shape).astype(x.dtype)


@alternative("gradient_check", "divide_where", "np.divide with out= and where=, then the max")
def gradient_check(analytic, numeric, tiny=1e-12):
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.fmax(np.abs(a) + np.abs(n), tiny)))


@alternative("xavier_uniform", "scaled_random", "(2 * rng.random(size) - 1) * limit")
def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return ((2 * np.random.default_rng(rng).random((fan_in, fan_out)) - 1) * limit).astype(dtype)


@alternative("he_normal", "standard_normal", "rng.standard_normal(size) * std")
def he_normal(fan_in, fan_out, rng=None, dtype=np.float64):
    return (np.random.default_rng(rng).standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)


@alternative("MLP", "derivative_from_activations", "caches every layer's output a = g(z) and takes g' from it "
             "(relu: a > 0, tanh: 1 - a**2, sigmoid: a (1 - a))")
class MLP(S.MLP):
    def forward(self, x):
        g = S.ACTIVATIONS[self.activation]
        inputs, a = [], x
        layers = len(self.params) // 2
        for layer in range(layers):
            inputs.append(a)
            z = a @ self.params[2 * layer] + self.params[2 * layer + 1]
            a = g(z) if layer < layers - 1 else z
        self.cache = (inputs, a)
        return a

    def backward(self, dout):
        inputs, _ = self.cache
        derivative = {"relu": lambda a: (a > 0).astype(a.dtype), "tanh": lambda a: 1 - a * a,
                      "sigmoid": lambda a: a * (1 - a)}[self.activation]
        d = dout
        for layer in reversed(range(len(inputs))):
            W = self.params[2 * layer]
            self.grads[2 * layer] = (inputs[layer].T @ d + self.l1 * np.sign(W) + self.l2 * W).astype(W.dtype)
            self.grads[2 * layer + 1] = d.sum(axis=0)
            d = d @ W.T
            if layer > 0:
                d = d * derivative(inputs[layer])
        return d


@alternative("train_mlp", "one_hot_eye", "the gradient (softmax - np.eye(C)[y]) / B, the loss by log-sum-exp")
def train_mlp(model, X, y, epochs=100, lr=0.1, batch_size=32, rng=0):
    rng = np.random.default_rng(rng)
    history = []
    for _ in range(epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            scores = model.forward(X[idx])
            m = scores.max(axis=1, keepdims=True)
            lse = m + np.log(np.exp(scores - m).sum(axis=1, keepdims=True))
            onehot = np.eye(scores.shape[1], dtype=scores.dtype)[y[idx]]
            losses.append(float(np.mean(lse[:, 0] - (scores * onehot).sum(axis=1))) + model.penalty())
            model.backward(((np.exp(scores - lse) - onehot) / len(idx)).astype(scores.dtype))
            for p, g in zip(model.params, model.grads, strict=True):
                p -= lr * g
        history.append(float(np.mean(losses)))
    return history
