"""Wrong implementations of the backprop exercises; each must fail at least one test."""

import numpy as np

from gradeschool.harness.mutants import mutant, solution

S = solution("backprop")


# ---------------------------------------------------------------- dense_backward
@mutant("dense_backward", "dW_wrong_transpose", "dW = dout.T @ x reshaped to W's shape: the wrong product")
def dense_backward(dout, cache):
    x, W, _ = cache
    return dout @ W.T, (dout.T @ x).reshape(W.shape), dout.sum(axis=0)


@mutant("dense_backward", "db_not_summed", "db from the first sample only, not summed over the batch")
def dense_backward(dout, cache):  # noqa: F811
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout[0].copy()


@mutant("dense_backward", "db_mean", "db averaged over the batch instead of summed")
def dense_backward(dout, cache):  # noqa: F811
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


@mutant("dense_backward", "dx_averaged", "dx divided by the batch size, as if the layer took a mean")
def dense_backward(dout, cache):  # noqa: F811
    x, W, _ = cache
    return (dout @ W.T / len(x)).astype(x.dtype), x.T @ dout, dout.sum(axis=0)


# ---------------------------------------------------------------- activations
@mutant("sigmoid_backward", "uses_x", "dout * x * (1 - x): the derivative written with x instead of s")
def sigmoid_backward(dout, x):
    return (dout * x * (1 - x)).astype(x.dtype)


@mutant("sigmoid_backward", "float64_out", "upcasts float32 to float64")
def sigmoid_backward(dout, x):  # noqa: F811
    s = S.sigmoid(x.astype(np.float64))
    return dout * s * (1 - s)


@mutant("tanh_backward", "one_minus_t", "dout * (1 - t): forgets the square")
def tanh_backward(dout, x):
    return (dout * (1 - S.tanh(x))).astype(x.dtype)


@mutant("relu_backward", "passes_negative", "passes dout through where x < 0 too")
def relu_backward(dout, x):
    return dout.copy()


@mutant("relu_backward", "ge_zero", "x >= 0: passes the gradient at x == 0 (torch gives 0)")
def relu_backward(dout, x):  # noqa: F811
    return np.where(x >= 0, dout, 0).astype(x.dtype)


@mutant("relu_backward", "in_place", "zeroes dout in place")
def relu_backward(dout, x):  # noqa: F811
    dout[x <= 0] = 0
    return dout


@mutant("leaky_relu_backward", "fixed_slope", "always 0.01, ignoring negative_slope")
def leaky_relu_backward(dout, x, negative_slope=0.01):
    return np.where(x > 0, dout, 0.01 * dout).astype(x.dtype)


@mutant("leaky_relu_backward", "zero_slope", "the relu gradient: 0 for x <= 0")
def leaky_relu_backward(dout, x, negative_slope=0.01):  # noqa: F811
    return np.where(x > 0, dout, 0).astype(x.dtype)


@mutant("elu_backward", "no_alpha", "dout * exp(x) for x <= 0, without alpha")
def elu_backward(dout, x, alpha=1.0):
    return np.where(x > 0, dout, dout * np.exp(np.minimum(x, 0))).astype(x.dtype)


@mutant("elu_backward", "ge_zero", "x >= 0 takes the identity branch: dout instead of alpha * dout at x == 0")
def elu_backward(dout, x, alpha=1.0):  # noqa: F811
    return np.where(x >= 0, dout, dout * alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)


@mutant("softmax_backward", "diagonal_only", "dout * s * (1 - s): only the Jacobian's diagonal")
def softmax_backward(dout, x, axis=-1):
    s = S.softmax(x, axis=axis)
    return (dout * s * (1 - s)).astype(x.dtype)


@mutant("softmax_backward", "sum_last_axis", "sums along the last axis whatever `axis` is")
def softmax_backward(dout, x, axis=-1):  # noqa: F811
    s = S.softmax(x, axis=axis)
    return (s * (dout - (dout * s).sum(axis=-1, keepdims=True))).astype(x.dtype)


# ---------------------------------------------------------------- numerical_gradient
@mutant("numerical_gradient", "forward_differences", "(f(x + h) - f(x)) / h: error of order h")
def numerical_gradient(f, x, h=1e-5):
    xp = x.astype(np.float64)
    grad = np.zeros(x.shape)
    base = float(f(xp))
    for idx in np.ndindex(x.shape):
        old = xp[idx]
        xp[idx] = old + h
        grad[idx] = (float(f(xp)) - base) / h
        xp[idx] = old
    return grad.astype(x.dtype)


@mutant("numerical_gradient", "not_halved", "(f(x + h) - f(x - h)) / h: twice the gradient")
def numerical_gradient(f, x, h=1e-5):  # noqa: F811
    return (2 * S.numerical_gradient(f, x, h=h)).astype(x.dtype)


@mutant("numerical_gradient", "fixed_step", "ignores h and always steps 1e-5")
def numerical_gradient(f, x, h=1e-5):  # noqa: F811
    return S.numerical_gradient(f, x)


@mutant("numerical_gradient", "in_place", "perturbs the caller's x and leaves it changed")
def numerical_gradient(f, x, h=1e-5):  # noqa: F811
    grad = S.numerical_gradient(f, x, h=h)
    x += h
    return grad


@mutant("numerical_gradient", "float32_steps", "evaluates f on x's own dtype: h = 1e-5 drowns in float32 rounding")
def numerical_gradient(f, x, h=1e-5):  # noqa: F811
    xp = x.copy()
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = xp[idx]
        xp[idx] = old + h
        plus = float(f(xp))
        xp[idx] = old - h
        minus = float(f(xp))
        xp[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


# ---------------------------------------------------------------- gradient_check
@mutant("gradient_check", "mean_not_max", "the mean relative error hides one bad element")
def gradient_check(analytic, numeric, tiny=1e-12):
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float((np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)).mean()) if a.size else 0.0


@mutant("gradient_check", "signed_denominator", "divides by |a + n|: blows up where the signs differ")
def gradient_check(analytic, numeric, tiny=1e-12):  # noqa: F811
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float((np.abs(a - n) / np.maximum(np.abs(a + n), tiny)).max()) if a.size else 0.0


@mutant("gradient_check", "absolute_error", "|a - n| without dividing: not relative")
def gradient_check(analytic, numeric, tiny=1e-12):  # noqa: F811
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float(np.abs(a - n).max()) if a.size else 0.0


# ---------------------------------------------------------------- initialisers
@mutant("xavier_uniform", "fan_out_only", "limit = sqrt(6 / fan_out)")
def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):
    limit = np.sqrt(6.0 / fan_out)
    return np.random.default_rng(rng).uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


@mutant("xavier_uniform", "normal_draws", "a normal with the right variance instead of a uniform")
def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return S.xavier_normal(fan_in, fan_out, rng=rng, dtype=dtype)


@mutant("xavier_uniform", "float64_always", "ignores dtype")
def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return S.xavier_uniform(fan_in, fan_out, rng=rng)


@mutant("xavier_normal", "limit_as_std", "std = sqrt(6 / (fan_in + fan_out)): the uniform's limit")
def xavier_normal(fan_in, fan_out, rng=None, dtype=np.float64):
    std = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).normal(0.0, std, (fan_in, fan_out)).astype(dtype)


@mutant("xavier_normal", "uniform_draws", "a uniform with the right variance instead of a normal")
def xavier_normal(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return S.xavier_uniform(fan_in, fan_out, rng=rng, dtype=dtype)


@mutant("he_uniform", "fan_out", "limit = sqrt(6 / fan_out)")
def he_uniform(fan_in, fan_out, rng=None, dtype=np.float64):
    limit = np.sqrt(6.0 / fan_out)
    return np.random.default_rng(rng).uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


@mutant("he_uniform", "xavier_limit", "the Xavier limit sqrt(6 / (fan_in + fan_out))")
def he_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return S.xavier_uniform(fan_in, fan_out, rng=rng, dtype=dtype)


@mutant("he_normal", "variance_as_std", "std = 2 / fan_in: the variance passed as the std")
def he_normal(fan_in, fan_out, rng=None, dtype=np.float64):
    return np.random.default_rng(rng).normal(0.0, 2.0 / fan_in, (fan_in, fan_out)).astype(dtype)


@mutant("he_normal", "global_rng", "ignores rng: draws from np.random's global state")
def he_normal(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return np.random.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)).astype(dtype)


@mutant("he_normal", "lecun_scale", "std = sqrt(1 / fan_in): LeCun's scale, missing ReLU's factor 2")
def he_normal(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return np.random.default_rng(rng).normal(0.0, np.sqrt(1.0 / fan_in), (fan_in, fan_out)).astype(dtype)


# ---------------------------------------------------------------- MLP
@mutant("MLP", "no_penalty_gradient", "backward forgets the penalty's gradient")
class MLP(S.MLP):
    def backward(self, dout):
        l1, l2 = self.l1, self.l2
        self.l1 = self.l2 = 0.0
        try:
            return super().backward(dout)
        finally:
            self.l1, self.l2 = l1, l2


@mutant("MLP", "l1_without_sign", "L1 gradient l1 * W instead of l1 * sign(W)")
class MLP(S.MLP):  # noqa: F811
    def backward(self, dout):
        dx = super().backward(dout)
        for i in range(0, len(self.params), 2):
            W = self.params[i]
            self.grads[i] = self.grads[i] - self.l1 * np.sign(W) + self.l1 * W
        return dx


@mutant("MLP", "penalised_biases", "adds the L2 gradient to the biases too")
class MLP(S.MLP):  # noqa: F811
    def backward(self, dout):
        dx = super().backward(dout)
        for i in range(1, len(self.params), 2):
            self.grads[i] = self.grads[i] + self.l2 * self.params[i]
        return dx


@mutant("MLP", "penalty_without_half", "penalty l2 * sum W**2 (the gradient l2 * W needs l2 / 2)")
class MLP(S.MLP):  # noqa: F811
    def penalty(self):
        return float(sum(self.l1 * np.abs(W).sum() + self.l2 * (W * W).sum() for W in self.params[0::2]))


@mutant("MLP", "activation_on_output", "applies the hidden activation after the last layer too")
class MLP(S.MLP):  # noqa: F811
    def forward(self, x):
        return S.ACTIVATIONS[self.activation](super().forward(x))


@mutant("MLP", "derivative_of_output", "the activation's backward applied to its output a = g(z), not z")
class MLP(S.MLP):  # noqa: F811
    def forward(self, x):
        out = super().forward(x)
        g = S.ACTIVATIONS[self.activation]
        self.cache = [(c, g(z) if i < len(self.cache) - 1 else z) for i, (c, z) in enumerate(self.cache)]
        return out


# ---------------------------------------------------------------- train_mlp
def _train(model, X, y, epochs, lr, batch_size, rng, shuffle=True, update=1.0, divide=True, penalty=True,
           drop_last=False):
    rng = np.random.default_rng(rng)
    n = len(X)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        batch_losses = []
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            if drop_last and len(idx) < batch_size:
                break
            scores = model.forward(X[idx])
            logp = S.log_softmax(scores, axis=1)
            rows = np.arange(len(idx))
            batch_losses.append(float(-logp[rows, y[idx]].mean()) + (model.penalty() if penalty else 0.0))
            d = np.exp(logp)
            d[rows, y[idx]] -= 1
            model.backward((d / (len(idx) if divide else 1)).astype(scores.dtype))
            for p, g in zip(model.params, model.grads, strict=True):
                p -= update * lr * g
        losses.append(float(np.mean(batch_losses)))
    return losses


def _variant(name, why, **options):
    def train_mlp(model, X, y, epochs=100, lr=0.1, batch_size=32, rng=0):
        return _train(model, X, y, epochs, lr, batch_size, rng, **options)

    mutant("train_mlp", name, why)(train_mlp)


_variant("never_shuffles", "visits the samples in the same order every epoch", shuffle=False)
_variant("never_updates", "computes gradients but never changes the parameters", update=0.0)
_variant("gradient_ascent", "p += lr * g: climbs the loss", update=-1.0)
_variant("sum_not_mean", "dscores not divided by the batch size", divide=False)
_variant("no_penalty_in_loss", "the reported loss leaves out model.penalty()", penalty=False)
_variant("drops_last_batch", "skips the last, smaller batch of each epoch", drop_last=True)
