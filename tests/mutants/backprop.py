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


def _central(f, xp, h, positions):
    """Central differences of f at xp, one position at a time (xp is changed and put back)."""
    grad = np.zeros(xp.shape, dtype=xp.dtype)
    for idx in positions:
        old = xp[idx]
        xp[idx] = old + h
        plus = float(f(xp))
        xp[idx] = old - h
        minus = float(f(xp))
        xp[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


@mutant("numerical_gradient", "float32_steps", "evaluates f on x's own dtype: h = 1e-5 drowns in float32 rounding")
def numerical_gradient(f, x, h=1e-5):  # noqa: F811
    return _central(f, x.copy(), h, np.ndindex(x.shape))


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


# ---------------------------------------------------------------- the whole domain, defaults, inputs
@mutant("sigmoid_backward", "in_place", "dout *= s * (1 - s): scales the caller's dout and returns it")
def sigmoid_backward(dout, x):  # noqa: F811
    s = S.sigmoid(x)
    dout *= s * (1 - s)
    return dout


@mutant("leaky_relu_backward", "sign_maximum", "dout * max(sign(x), slope): right only for 0 < slope < 1")
def leaky_relu_backward(dout, x, negative_slope=0.01):  # noqa: F811
    return (dout * np.maximum(np.sign(x), negative_slope)).astype(x.dtype)


@mutant("softmax_backward", "transpose_for_other_axes", "moves a non-last axis with .T: right for 2-D arrays only")
def softmax_backward(dout, x, axis=-1):  # noqa: F811
    if axis in (-1, x.ndim - 1):
        return S.softmax_backward(dout, x, -1)
    return S.softmax_backward(dout.T, x.T, -1).T


@mutant("softmax_backward", "default_axis_0", "the default axis is 0, not -1")
def softmax_backward(dout, x, axis=0):  # noqa: F811
    return S.softmax_backward(dout, x, axis)


@mutant("numerical_gradient", "flattened_f_argument", "evaluates f on the flattened x (f expects x's shape)")
def numerical_gradient(f, x, h=1e-5):  # noqa: F811
    flat = x.astype(np.float64).ravel()
    return _central(f, flat, h, range(flat.size)).reshape(x.shape).astype(x.dtype)


@mutant("gradient_check", "ignores_tiny", "always floors the denominator at 1e-12, whatever `tiny` is")
def gradient_check(analytic, numeric, tiny=1e-12):  # noqa: F811
    return S.gradient_check(analytic, numeric)


@mutant("gradient_check", "max_of_empty", "no case for empty arrays: .max() of nothing raises")
def gradient_check(analytic, numeric, tiny=1e-12):  # noqa: F811
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float((np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)).max())


@mutant("xavier_uniform", "generator_ignored", "uses rng only when it is an int: a Generator gets fresh entropy")
def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    return S.xavier_uniform(fan_in, fan_out, rng=rng if isinstance(rng, int) else None, dtype=dtype)


@mutant("he_normal", "default_float32", "the default dtype is float32")
def he_normal(fan_in, fan_out, rng=None, dtype=np.float32):  # noqa: F811
    return S.he_normal(fan_in, fan_out, rng=rng, dtype=dtype)


@mutant("he_uniform", "global_seed", "np.random.seed(rng) and the global np.random.uniform: a Generator fails")
def he_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    np.random.seed(rng)
    limit = np.sqrt(6.0 / fan_in)
    return np.random.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


def _init_variant(init, bias=np.zeros):
    """An MLP whose default initialisation uses init(fan_in, fan_out, rng, dtype)."""

    class MLP(S.MLP):
        def __init__(self, sizes, activation="relu", l1=0.0, l2=0.0, rng=None, dtype=np.float64, params=None):
            super().__init__(sizes, activation, l1, l2, rng, dtype, params)
            if params is None:
                rng = np.random.default_rng(rng)
                self.params = []
                for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
                    self.params += [init(fan_in, fan_out, rng, dtype, activation), bias(fan_out, dtype=dtype)]
                self.grads = [np.zeros_like(p) for p in self.params]

    return MLP


mutant("MLP", "he_uniform_by_default", "default weights He uniform instead of He normal")(
    _init_variant(lambda i, o, rng, dt, act: S.he_uniform(i, o, rng, dt)))
mutant("MLP", "he_for_every_activation", "He normal for tanh and sigmoid too (Xavier normal is theirs)")(
    _init_variant(lambda i, o, rng, dt, act: S.he_normal(i, o, rng, dt)))
mutant("MLP", "fan_out_scale", "He normal with the fan_out: std sqrt(2 / fan_out)")(
    _init_variant(lambda i, o, rng, dt, act: (S.he_normal(i, o, rng, dt) * np.sqrt(i / o)).astype(dt)
                  if act == "relu" else S.xavier_normal(i, o, rng, dt)))
mutant("MLP", "unit_biases", "biases start at 1 instead of 0")(
    _init_variant(lambda i, o, rng, dt, act: (S.he_normal if act == "relu" else S.xavier_normal)(i, o, rng, dt),
                  bias=np.ones))


@mutant("MLP", "params_not_copied", "self.params = params: the model trains the caller's arrays")
class MLP(S.MLP):  # noqa: F811
    def __init__(self, sizes, activation="relu", l1=0.0, l2=0.0, rng=None, dtype=np.float64, params=None):
        super().__init__(sizes, activation, l1, l2, rng, dtype, params)
        if params is not None and all(np.asarray(p).dtype == dtype for p in params):
            self.params = params


@mutant("MLP", "grads_accumulate", "backward adds to self.grads instead of replacing them")
class MLP(S.MLP):  # noqa: F811
    def backward(self, dout):
        before = [g.copy() for g in self.grads]
        dx = super().backward(dout)
        self.grads = [g + b for g, b in zip(self.grads, before, strict=True)]
        return dx


@mutant("MLP", "first_cache_kept", "forward keeps the cache of its first call only")
class MLP(S.MLP):  # noqa: F811
    def forward(self, x):
        kept = self.cache
        out = super().forward(x)
        if kept is not None:
            self.cache = kept
        return out


@mutant("MLP", "default_tanh", "the default activation is tanh instead of relu")
class MLP(S.MLP):  # noqa: F811
    def __init__(self, sizes, activation="tanh", l1=0.0, l2=0.0, rng=None, dtype=np.float64, params=None):
        super().__init__(sizes, activation, l1, l2, rng, dtype, params)


@mutant("train_mlp", "shuffles_once", "one permutation before the first epoch, the same order every epoch")
def train_mlp(model, X, y, epochs=100, lr=0.1, batch_size=32, rng=0):
    order = np.random.default_rng(rng).permutation(len(X))
    return _train(model, X[order], y[order], epochs, lr, batch_size, 0, shuffle=False)


@mutant("train_mlp", "default_batch_size_64", "the default batch_size is 64 instead of 32")
def train_mlp(model, X, y, epochs=100, lr=0.1, batch_size=64, rng=0):  # noqa: F811
    return _train(model, X, y, epochs, lr, batch_size, rng)


# ---------------------------------------------------------------- loops (correct, but slow)
@mutant("dense_backward", "sample_loop", "dW and db summed sample by sample with outer products")
def dense_backward(dout, cache):  # noqa: F811
    x, W, _ = cache
    dW, db = np.zeros_like(W), np.zeros(W.shape[1], dtype=dout.dtype)
    for i in range(len(x)):
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return dout @ W.T, dW, db


def _each_element(f, dout, x):
    dx = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        dx[idx] = f(float(dout[idx]), float(x[idx]))
    return dx


def _each_row(f, dout, x, *args):
    if x.ndim == 0:
        return f(dout, x, *args)
    dx = np.empty_like(x)
    for i in range(len(x)):
        dx[i] = f(dout[i], x[i], *args)
    return dx


@mutant("sigmoid_backward", "element_loop", "a Python loop over every element")
def sigmoid_backward(dout, x):  # noqa: F811
    def one(d, v):
        s = float(S.sigmoid(np.asarray(v)))
        return d * s * (1 - s)

    return _each_element(one, dout, x)


@mutant("tanh_backward", "row_loop", "a Python loop over the rows")
def tanh_backward(dout, x):  # noqa: F811
    return _each_row(S.tanh_backward, dout, x)


@mutant("relu_backward", "last_axis_loop", "a Python loop over the last axis")
def relu_backward(dout, x):  # noqa: F811
    if x.ndim == 0:
        return S.relu_backward(dout, x)
    dx = np.empty_like(x)
    for j in range(x.shape[-1]):
        dx[..., j] = np.where(x[..., j] > 0, dout[..., j], 0)
    return dx


@mutant("leaky_relu_backward", "element_loop", "a Python loop over every element")
def leaky_relu_backward(dout, x, negative_slope=0.01):  # noqa: F811
    return _each_element(lambda d, v: d if v > 0 else negative_slope * d, dout, x)


@mutant("elu_backward", "row_loop", "a Python loop over the rows")
def elu_backward(dout, x, alpha=1.0):  # noqa: F811
    return _each_row(S.elu_backward, dout, x, alpha)


@mutant("softmax_backward", "row_loop", "a Python loop over every row along the axis")
def softmax_backward(dout, x, axis=-1):  # noqa: F811
    d, z = np.moveaxis(dout, axis, -1), np.moveaxis(x, axis, -1)
    dx = np.empty_like(z)
    for idx in np.ndindex(z.shape[:-1]):
        dx[idx] = S.softmax_backward(d[idx], z[idx])
    return np.moveaxis(dx, -1, axis)


@mutant("gradient_check", "element_loop", "the largest relative error by a Python loop over the elements")
def gradient_check(analytic, numeric, tiny=1e-12):  # noqa: F811
    worst = 0.0
    for a, n in zip(np.ravel(analytic).tolist(), np.ravel(numeric).tolist(), strict=True):
        worst = max(worst, abs(a - n) / max(abs(a) + abs(n), tiny))
    return float(worst)


@mutant("xavier_uniform", "element_loop", "one rng.uniform call per weight")
def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    rng, limit = np.random.default_rng(rng), np.sqrt(6.0 / (fan_in + fan_out))
    w = np.empty((fan_in, fan_out), dtype=dtype)
    for idx in np.ndindex(w.shape):
        w[idx] = rng.uniform(-limit, limit)
    return w


@mutant("xavier_normal", "row_loop", "one rng.normal call per row")
def xavier_normal(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    rng, std = np.random.default_rng(rng), np.sqrt(2.0 / (fan_in + fan_out))
    return np.array([rng.normal(0.0, std, fan_out) for _ in range(fan_in)], dtype=dtype).reshape(fan_in, fan_out)


@mutant("he_uniform", "column_loop", "one rng.uniform call per column")
def he_uniform(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    rng, limit = np.random.default_rng(rng), np.sqrt(6.0 / fan_in)
    w = np.empty((fan_in, fan_out), dtype=dtype)
    for j in range(fan_out):
        w[:, j] = rng.uniform(-limit, limit, fan_in)
    return w


@mutant("he_normal", "element_loop", "one rng.normal call per weight")
def he_normal(fan_in, fan_out, rng=None, dtype=np.float64):  # noqa: F811
    rng, std = np.random.default_rng(rng), np.sqrt(2.0 / fan_in)
    w = np.empty((fan_in, fan_out), dtype=dtype)
    for idx in np.ndindex(w.shape):
        w[idx] = rng.normal(0.0, std)
    return w


@mutant("MLP", "sample_loop", "backward one sample at a time, summing the weight gradients")
class MLP(S.MLP):  # noqa: F811
    def backward(self, dout):
        caches, total, rows = self.cache, None, []
        for i in range(len(dout)):
            self.cache = [((c[0][i:i + 1], c[1], c[2]), z[i:i + 1]) for c, z in caches]
            l1, l2 = self.l1, self.l2
            self.l1 = self.l2 = 0.0
            rows.append(super().backward(dout[i:i + 1]))
            self.l1, self.l2 = l1, l2
            total = [g.copy() for g in self.grads] if total is None else [t + g for t, g in zip(total, self.grads,
                                                                                                 strict=True)]
        self.cache = caches
        for k in range(0, len(self.params), 2):
            W = self.params[k]
            total[k] = (total[k] + self.l1 * np.sign(W) + self.l2 * W).astype(W.dtype)
        self.grads = total
        return np.concatenate(rows)


@mutant("MLP", "unit_loop", "forward computes each layer unit by unit")
class MLP(S.MLP):  # noqa: F811
    def forward(self, x):
        out = super().forward(x)
        a = x
        for layer in range(len(self.params) // 2):
            W, b = self.params[2 * layer], self.params[2 * layer + 1]
            z = np.empty((len(a), W.shape[1]), dtype=x.dtype)
            for j in range(W.shape[1]):
                z[:, j] = a @ W[:, j] + b[j]
            a = S.ACTIVATIONS[self.activation](z) if layer < len(self.params) // 2 - 1 else z
        return out


@mutant("train_mlp", "sample_loop", "each batch's gradient summed sample by sample")
def train_mlp(model, X, y, epochs=100, lr=0.1, batch_size=32, rng=0):  # noqa: F811
    rng = np.random.default_rng(rng)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        batch_losses = []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            total, loss = None, 0.0
            for i in idx:
                scores = model.forward(X[i:i + 1])
                logp = S.log_softmax(scores, axis=1)
                loss += float(-logp[0, y[i]]) / len(idx)
                d = np.exp(logp)
                d[0, y[i]] -= 1
                model.backward((d / len(idx)).astype(scores.dtype))
                total = [g.copy() for g in model.grads] if total is None else \
                    [t + g for t, g in zip(total, model.grads, strict=True)]
            for k in range(0, len(model.params), 2):  # each sample's backward added the penalty once
                W = model.params[k]
                total[k] -= (len(idx) - 1) * (model.l1 * np.sign(W) + model.l2 * W)
            batch_losses.append(loss + model.penalty())
            for p, g in zip(model.params, total, strict=True):
                p -= lr * g
        losses.append(float(np.mean(batch_losses)))
    return losses
