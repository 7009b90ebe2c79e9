"""Topic 3 — backprop: the chain rule, by hand.

A network is a chain of functions; backpropagation applies the chain rule from the loss
back to every parameter. Each layer's backward pass takes the upstream gradient
dout = dL/d(out) and returns the gradients of L with respect to the layer's inputs and
parameters: the vector-Jacobian product, never the full Jacobian.

Conventions: arrays are NumPy ndarrays; every function returns the input's dtype and never
modifies its inputs (dout included). An activation's backward pass is
`*_backward(dout, x, ...)`, with x the input that the forward pass received (and the
activation's parameter, if any, over the same range as in neuron.py); "any shape"
includes 0-d and empty arrays. Use NumPy and the standard library only; the activations
of topic 1 (neuron.py) are yours to reuse.
"""

import numpy as np
from neuron import dense_forward, log_softmax, relu, sigmoid, softmax, tanh


def dense_backward(dout, cache):
    """Backward pass of the dense layer out = x @ W + b.

        dx = dout @ W.T        dW = x.T @ dout        db = sum of dout over the batch

    Inputs:
    - dout: upstream gradient dL/d(out), shape (N, D_out).
    - cache: (x, W, b) as returned by neuron.dense_forward; x (N, D_in), W (D_in, D_out),
      b (D_out,).

    Returns a tuple (dx, dW, db) with the shapes of x, W and b.

    Hint: every gradient has the shape of the thing it is the gradient of; let the shapes
    tell you which factor to transpose. b was added to every row, so its gradient sums
    the rows of dout.
    """
    # BEGIN SOLUTION
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    # END SOLUTION


def sigmoid_backward(dout, x):
    """Backward pass of s = sigmoid(x), element-wise.

        dx = dout * s * (1 - s)

    Inputs:
    - dout: upstream gradient, any shape.
    - x: the input of the forward pass, dout's shape.

    Returns:
    - dx, x's shape and dtype.

    Hint: the derivative is written with the sigmoid's output s, not with x: compute
    s = sigmoid(x) first (your stable one).
    """
    # BEGIN SOLUTION
    s = sigmoid(x)
    return (dout * s * (1 - s)).astype(x.dtype)
    # END SOLUTION


def tanh_backward(dout, x):
    """Backward pass of t = tanh(x), element-wise.

        dx = dout * (1 - t**2)

    Inputs:
    - dout: upstream gradient, any shape.
    - x: the input of the forward pass, dout's shape.

    Returns:
    - dx, x's shape and dtype.

    Hint: like the sigmoid, the derivative is simplest in terms of the output t = tanh(x).
    """
    # BEGIN SOLUTION
    t = tanh(x)
    return (dout * (1 - t * t)).astype(x.dtype)
    # END SOLUTION


def relu_backward(dout, x):
    """Backward pass of relu(x) = max(0, x), element-wise.

        dx = dout where x > 0, else 0        (at x == 0 the gradient is taken as 0)

    Inputs:
    - dout: upstream gradient, any shape.
    - x: the input of the forward pass, dout's shape.

    Returns:
    - dx, x's shape and dtype.

    Hint: the gradient flows only through the inputs that were positive: a boolean mask.
    """
    # BEGIN SOLUTION
    return np.where(x > 0, dout, 0).astype(x.dtype)
    # END SOLUTION


def leaky_relu_backward(dout, x, negative_slope=0.01):
    """Backward pass of leaky_relu(x) = x if x > 0 else negative_slope * x.

        dx = dout where x > 0, else negative_slope * dout    (x == 0 takes the slope)

    Inputs:
    - dout: upstream gradient, any shape.
    - x: the input of the forward pass, dout's shape.
    - negative_slope: the slope used for x <= 0 in the forward pass.

    Returns:
    - dx, x's shape and dtype.

    Hint: np.where(x > 0, ..., ...) once more.
    """
    # BEGIN SOLUTION
    return np.where(x > 0, dout, negative_slope * dout).astype(x.dtype)
    # END SOLUTION


def elu_backward(dout, x, alpha=1.0):
    """Backward pass of elu(x) = x if x > 0 else alpha * (exp(x) - 1).

        dx = dout where x > 0, else dout * alpha * exp(x)     (x == 0 takes alpha)

    Inputs:
    - dout: upstream gradient, any shape.
    - x: the input of the forward pass, dout's shape.
    - alpha: the forward pass's alpha.

    Returns:
    - dx, x's shape and dtype.

    Hint: as in the forward pass, take exp of min(x, 0) so that a large positive x does
    not overflow in the branch np.where throws away.
    """
    # BEGIN SOLUTION
    return np.where(x > 0, dout, dout * alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)
    # END SOLUTION


def softmax_backward(dout, x, axis=-1):
    """Backward pass of s = softmax(x, axis).

    The Jacobian of softmax is ds_i/dx_j = s_i * (delta_ij - s_j), so its
    vector-Jacobian product is

        dx = s * (dout - sum(dout * s, axis))

    Inputs:
    - dout: upstream gradient, shape of x.
    - x: the logits of the forward pass (as for neuron.softmax: at least one axis).
    - axis: the axis of the softmax, any axis of x, negative or positive (default -1).

    Returns:
    - dx, x's shape and dtype.

    Hint: never build the (D, D) Jacobian: the sum along `axis` (keepdims=True) is all the
    coupling between the entries.
    """
    # BEGIN SOLUTION
    s = softmax(x, axis=axis)
    return (s * (dout - (dout * s).sum(axis=axis, keepdims=True))).astype(x.dtype)
    # END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by central differences, one element at a time:

        df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)

    The error of central differences shrinks like h**2 (forward differences: like h). The
    function is evaluated on a float64 copy of x, so that h = 1e-5 is meaningful even for
    a float32 x.

    Inputs:
    - f: a function taking an array of x's shape (float64) and returning a number.
    - x: the point, any shape (0-d and empty included), float32 or float64. It must not
      be modified.
    - h: the step.

    Returns:
    - the gradient, x's shape and dtype.

    Hint: work on xp = x.astype(np.float64) (a copy); for each index from np.ndindex(x.shape)
    set xp[idx] = old + h, evaluate, set old - h, evaluate, and put old back.
    """
    # BEGIN SOLUTION
    xp = x.astype(np.float64)
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = xp[idx]
        xp[idx] = old + h
        plus = float(f(xp))
        xp[idx] = old - h
        minus = float(f(xp))
        xp[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad.astype(x.dtype)
    # END SOLUTION


def gradient_check(analytic, numeric, tiny=1e-12):
    """The largest relative error between an analytic and a numerical gradient:

        max over elements of |a - n| / max(|a| + |n|, tiny)

    Below about 1e-7 (float64) the analytic gradient is almost certainly right; above
    1e-3 it is almost certainly wrong.

    Inputs:
    - analytic, numeric: arrays of the same shape, any shape (0-d and empty included).
    - tiny: keeps 0 / 0 (both gradients exactly 0) at 0; any float > 0 (default 1e-12).

    Returns:
    - the relative error, a Python float (0.0 for empty arrays): not a NumPy scalar, which
      .max() gives (np.float32 for float32 gradients); float(...) converts it.

    Hint: np.maximum (element-wise), not max(); then .max() of the ratios.
    """
    # BEGIN SOLUTION
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float((np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)).max())
    # END SOLUTION


def xavier_uniform(fan_in, fan_out, rng=None, dtype=np.float64):
    """Glorot/Xavier uniform initialisation for tanh/sigmoid layers:

        W ~ U(-limit, limit),   limit = sqrt(6 / (fan_in + fan_out))

    so that Var(W) = limit**2 / 3 = 2 / (fan_in + fan_out).

    Inputs:
    - fan_in, fan_out: the layer's input and output sizes (ints >= 1).
    - rng: an int seed, a np.random.Generator, or None (the default: fresh entropy). A seed
      and np.random.default_rng(seed) give the same weights.
    - dtype: the weights' dtype (default float64).

    Returns:
    - W of shape (fan_in, fan_out) and the given dtype.

    What the tests check (here and in the three initialisers below): the shape and dtype;
    the mean, the variance and the range (uniform) or the tails (normal) of 40 000+ weights
    against the formula; that the same seed gives the same weights, two seeds different
    ones, a seed and np.random.default_rng(seed) the same ones, and None fresh ones. Not
    the exact values: any method of the Generator that draws the right distribution passes,
    while NumPy's legacy global generator (np.random.seed, np.random.normal) takes no
    Generator and does not.

    Hint: np.random.default_rng(rng) accepts a seed, a Generator or None; then
    rng.uniform(low, high, size).
    """
    # BEGIN SOLUTION
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)
    # END SOLUTION


def xavier_normal(fan_in, fan_out, rng=None, dtype=np.float64):
    """Glorot/Xavier normal initialisation:

        W ~ N(0, std**2),   std = sqrt(2 / (fan_in + fan_out))

    Inputs: as xavier_uniform.

    Returns:
    - W of shape (fan_in, fan_out) and the given dtype.

    Hint: rng.normal(0.0, std, size). The uniform's *limit* is not the normal's std.
    """
    # BEGIN SOLUTION
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).normal(0.0, std, (fan_in, fan_out)).astype(dtype)
    # END SOLUTION


def he_uniform(fan_in, fan_out, rng=None, dtype=np.float64):
    """He/Kaiming uniform initialisation for ReLU layers:

        W ~ U(-limit, limit),   limit = sqrt(6 / fan_in)

    so that Var(W) = 2 / fan_in (ReLU zeroes half of its inputs; the factor 2 makes up
    for it).

    Inputs: as xavier_uniform.

    Returns:
    - W of shape (fan_in, fan_out) and the given dtype.

    Hint: only the number of inputs of a unit sets its scale here.
    """
    # BEGIN SOLUTION
    limit = np.sqrt(6.0 / fan_in)
    return np.random.default_rng(rng).uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)
    # END SOLUTION


def he_normal(fan_in, fan_out, rng=None, dtype=np.float64):
    """He/Kaiming normal initialisation:

        W ~ N(0, std**2),   std = sqrt(2 / fan_in)

    Inputs: as xavier_uniform.

    Returns:
    - W of shape (fan_in, fan_out) and the given dtype.

    Hint: rng.normal takes the standard deviation, not the variance.
    """
    # BEGIN SOLUTION
    std = np.sqrt(2.0 / fan_in)
    return np.random.default_rng(rng).normal(0.0, std, (fan_in, fan_out)).astype(dtype)
    # END SOLUTION


ACTIVATIONS = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}


class MLP:
    """A multi-layer perceptron with a backward pass: dense layers with a hidden
    activation between them, and raw scores (no activation) at the output.

        a[0] = x,   z[l] = a[l-1] @ W[l] + b[l],   a[l] = g(z[l])  (l < L),   out = z[L]

    Its weights are penalised with l1 * sum|W| + (l2 / 2) * sum W**2 (biases are not), and
    `backward` adds the penalty's gradient to the weights' gradients.

    Attributes:
    - params: list [W1, b1, W2, b2, ...] of the parameter arrays (updated in place by a
      training loop).
    - grads: list of the same shapes, in the same order, set by `backward` to the
      gradients of that backward pass alone: a second backward of the same batch gives
      the same grads (they are replaced, never added to; overwriting the arrays or
      assigning new ones both pass).

    Inputs of the constructor:
    - sizes: layer sizes [D_in, H1, ..., D_out].
    - activation: "relu", "tanh" or "sigmoid" for the hidden layers.
    - l1, l2: penalty strengths.
    - rng: seed or Generator for the initial weights (He normal for relu, Xavier normal
      otherwise; biases 0). The tests check each weight matrix's distribution and that a
      seed and np.random.default_rng(seed) give the same weights, not exact values.
    - dtype: the parameters' dtype.
    - params: optional list [W1, b1, ...] to start from instead (copied).
    """

    def __init__(self, sizes, activation="relu", l1=0.0, l2=0.0, rng=None, dtype=np.float64, params=None):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.sizes = list(sizes)
        self.activation = activation
        self.l1, self.l2 = float(l1), float(l2)
        if params is not None:
            self.params = [np.array(p, dtype=dtype) for p in params]
        else:
            rng = np.random.default_rng(rng)
            init = he_normal if activation == "relu" else xavier_normal
            self.params = []
            for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
                self.params += [init(fan_in, fan_out, rng, dtype), np.zeros(fan_out, dtype=dtype)]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.cache = None

    def forward(self, x):
        """Scores for a batch x of shape (N, D_in): returns (N, D_out), x's dtype. Keep in
        self.cache what `backward` needs (each layer's input and pre-activation).

        Hint: loop over the layers with dense_forward; apply the hidden activation after
        every layer but the last.
        """
        # BEGIN SOLUTION
        g = ACTIVATIONS[self.activation]
        caches = []
        a = x
        n_layers = len(self.params) // 2
        for layer in range(n_layers):
            W, b = self.params[2 * layer], self.params[2 * layer + 1]
            z, dense_cache = dense_forward(a, W, b)
            caches.append((dense_cache, z))
            a = g(z) if layer < n_layers - 1 else z
        self.cache = caches
        return a
        # END SOLUTION

    def backward(self, dout):
        """Backward pass from dout = dL/d(scores), shape (N, D_out), after `forward`.

        Fills self.grads (same order as self.params) with the gradients of
        L + penalty, and returns dx = dL/dx, shape (N, D_in).

        Hint: walk the layers in reverse: the activation's backward, then dense_backward.
        The penalty adds l1 * sign(W) + l2 * W to each weight's gradient (not the biases').
        """
        # BEGIN SOLUTION
        backward_of = {"relu": relu_backward, "tanh": tanh_backward, "sigmoid": sigmoid_backward}
        g_backward = backward_of[self.activation]
        d = dout
        for layer in reversed(range(len(self.cache))):
            dense_cache, z = self.cache[layer]
            if layer < len(self.cache) - 1:
                d = g_backward(d, z)
            d, dW, db = dense_backward(d, dense_cache)
            W = self.params[2 * layer]
            self.grads[2 * layer] = (dW + self.l1 * np.sign(W) + self.l2 * W).astype(W.dtype)
            self.grads[2 * layer + 1] = db
        return d
        # END SOLUTION

    def penalty(self):
        """The penalty l1 * sum|W| + (l2 / 2) * sum W**2 over the weights (not the
        biases), a Python float (not a NumPy scalar).

        Hint: the weights are self.params[0::2].
        """
        # BEGIN SOLUTION
        weights = self.params[0::2]
        return float(sum(self.l1 * np.abs(W).sum() + 0.5 * self.l2 * (W * W).sum() for W in weights))
        # END SOLUTION

    def predict(self, x):
        """Predicted classes: the index of the largest score of each row, shape (N,)."""
        return self.forward(x).argmax(axis=1)


def train_mlp(model, X, y, epochs=100, lr=0.1, batch_size=32, rng=0):
    """Train a classifier by mini-batch gradient descent on the softmax cross-entropy.

    Start with rng = np.random.default_rng(rng). Each epoch, draw order = rng.permutation(N)
    (exactly one call per epoch, so that a seed gives the same run as the reference), cut
    `order` into batches of batch_size (the last one may be smaller) and for each batch:

        scores = model.forward(xb)
        loss   = mean over the batch of -log softmax(scores)[i, y_i]  +  model.penalty()
        dscores = (softmax(scores) - onehot(yb)) / len(yb)
        model.backward(dscores)
        p -= lr * g     for every p, g in zip(model.params, model.grads)   (in place)

    batch_size = 1 is stochastic gradient descent; batch_size = N is (full) batch
    gradient descent.

    Inputs:
    - model: an object with forward(x), backward(dout), penalty(), and lists params and
      grads (an MLP).
    - X: inputs, shape (N, D).
    - y: class indices, shape (N,), int.
    - epochs: passes over the data.
    - lr: learning rate.
    - batch_size: samples per update.
    - rng: seed or np.random.Generator for the shuffling.

    Returns:
    - losses: list of Python floats, one per epoch: the mean of that epoch's batch losses.

    Hint: idx = order[start:start + batch_size] picks a batch; X[idx] and y[idx] are its
    samples. Update the arrays in place (p -= ...), so the model sees the new values.
    """
    # BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    n = len(X)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batch_losses = []
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb, yb = X[idx], y[idx]
            scores = model.forward(xb)
            logp = log_softmax(scores, axis=1)
            rows = np.arange(len(yb))
            batch_losses.append(float(-logp[rows, yb].mean()) + model.penalty())
            dscores = np.exp(logp)
            dscores[rows, yb] -= 1
            model.backward((dscores / len(yb)).astype(scores.dtype))
            for p, g in zip(model.params, model.grads, strict=True):
                p -= lr * g
        losses.append(float(np.mean(batch_losses)))
    return losses
    # END SOLUTION
