"""Topic 1 — one neuron, forward only.

A neuron takes a weighted sum of its inputs and passes it through an activation function:
a = g(x @ w + b). The perceptron uses the step function and learns with the perceptron
rule; modern networks use smooth activations (sigmoid, tanh, ReLU, ...) and stack dense
layers into a multi-layer perceptron: a[l] = g(a[l-1] W[l] + b[l]).

Conventions: arrays are NumPy ndarrays; every function returns the input's dtype (float32
in, float32 out) and never modifies its inputs. "Any shape" includes 0-d arrays (a NumPy
scalar of the dtype is a fine result for those) and empty ones. Use NumPy and the
standard library only.
"""

import math

import numpy as np


def step(x):
    """Heaviside step function, the perceptron's activation.

        step(x) = 1 if x >= 0 else 0      (element-wise)

    Inputs:
    - x: array of any shape, float32 or float64.

    Returns:
    - array of the same shape and dtype, holding 0s and 1s.

    Hint: `x >= 0` compares every element at once; convert the booleans back with astype.
    """
    # YOUR CODE HERE
    raise NotImplementedError("step is not written yet: see its docstring")


def perceptron_predict(x, w, b):
    """Perceptron output for a batch: y_hat = step(x @ w + b).

    Inputs:
    - x: inputs, shape (N, D) (N = 0, an empty batch, included).
    - w: weights, shape (D,).
    - b: bias, a float.

    Returns:
    - y_hat: predictions of 0s and 1s, shape (N,), x's dtype.

    Hint: one matrix-vector product gives the weighted sum of every sample.
    """
    # YOUR CODE HERE
    raise NotImplementedError("perceptron_predict is not written yet: see its docstring")


def perceptron_train(x, y, lr=1.0, epochs=100):
    """Train a perceptron with the perceptron learning rule.

    Start from w = 0 and b = 0. For each epoch, visit the samples in order; for each
    sample (x_i, y_i):

        y_hat = step(x_i @ w + b)
        w <- w + lr * (y_i - y_hat) * x_i
        b <- b + lr * (y_i - y_hat)

    A correct prediction (y_hat == y_i) leaves w and b unchanged. Stop after the first
    epoch with no mistake, or after `epochs` epochs. The rule converges on linearly
    separable data (AND, OR) and never on XOR.

    Inputs:
    - x: inputs, shape (N, D).
    - y: targets of 0s and 1s, shape (N,).
    - lr: learning rate, a float > 0 (default 1.0).
    - epochs: the largest number of passes over the data, an int >= 1 (default 100).

    Returns a tuple (w, b, mistakes):
    - w: weights, shape (D,), x's dtype.
    - b: bias, a float (a Python float or a NumPy scalar).
    - mistakes: a list of ints, one per epoch run: the number of wrong predictions in that
      epoch. Its length is the number of epochs run, so after convergence it ends with
      the first (and only) 0; without convergence it has `epochs` entries, none 0.

    Hint: loop over epochs and samples (the rule is sequential), but compute each
    prediction with your `step` and a dot product, not with a loop over features.
    """
    # YOUR CODE HERE
    raise NotImplementedError("perceptron_train is not written yet: see its docstring")


def dense_forward(x, W, b):
    """Fully connected (dense) layer: out = x @ W + b.

    Weights are stored (in_features, out_features) as in the course notes, so that a
    batch of row vectors goes through with one product. (torch.nn.Linear stores the
    transpose: F.linear(x, W.T, b) is the same layer.)

    Inputs:
    - x: inputs, shape (N, D_in) (N = 0 included).
    - W: weights, shape (D_in, D_out).
    - b: biases, shape (D_out,).

    Returns a tuple (out, cache):
    - out: shape (N, D_out), x's dtype.
    - cache: whatever dense_backward will need (x, W, b).

    Hint: broadcasting adds b to every row of x @ W.
    """
    # YOUR CODE HERE
    raise NotImplementedError("dense_forward is not written yet: see its docstring")


def sigmoid(x):
    """Logistic sigmoid, element-wise: sigmoid(x) = 1 / (1 + exp(-x)).

    Inputs:
    - x: array of any shape, float32 or float64; -inf and inf included.

    Returns:
    - array of the same shape and dtype, values in [0, 1].

    Hint: exp(-x) overflows for x = -1000. With e = exp(-|x|) (never overflows):
    sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError("sigmoid is not written yet: see its docstring")


def tanh(x):
    """Hyperbolic tangent, element-wise: tanh(x) = (e^x - e^-x) / (e^x + e^-x).

    Inputs:
    - x: array of any shape; -inf and inf included.

    Returns:
    - array of the same shape and dtype, values in [-1, 1].

    Hint: the formula as written overflows for large |x|. With e = exp(-2|x|):
    tanh(x) = sign(x) * (1 - e) / (1 + e). (np.tanh is not allowed here: write it.)
    """
    # YOUR CODE HERE
    raise NotImplementedError("tanh is not written yet: see its docstring")


def relu(x):
    """Rectified linear unit, element-wise: relu(x) = max(0, x).

    Inputs:
    - x: array of any shape; -inf and inf included (relu(-inf) = 0).

    Returns:
    - array of the same shape and dtype.

    Hint: np.maximum is element-wise; np.max reduces an axis.
    """
    # YOUR CODE HERE
    raise NotImplementedError("relu is not written yet: see its docstring")


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU, element-wise: x if x > 0 else negative_slope * x.

    Inputs:
    - x: array of any shape; -inf and inf included.
    - negative_slope: the slope for negative inputs, any float: negative, 0, between 0
      and 1, or above 1 (default 0.01).

    Returns:
    - array of the same shape and dtype.

    Hint: np.where(condition, a, b) picks element by element.
    """
    # YOUR CODE HERE
    raise NotImplementedError("leaky_relu is not written yet: see its docstring")


def prelu(x, weight):
    """Parametric ReLU: leaky ReLU with a learned slope per channel.

        prelu(x) = x if x > 0 else weight[c] * x      (c = the channel, axis 1 of x)

    Inputs:
    - x: array of shape (N,), (N, C) or (N, C, ...) (N = 0 included). A 1-D x (N,) has
      no channel axis (one channel, as in torch): its weight has shape (1,).
    - weight: slopes of any sign, shape (1,) (shared by all channels) or (C,).

    Returns:
    - array of x's shape and dtype.

    Hint: reshape weight to (1, C, 1, 1, ...) (as many 1s as x has dimensions after
    the channel) so it broadcasts along axis 1.
    """
    # YOUR CODE HERE
    raise NotImplementedError("prelu is not written yet: see its docstring")


def elu(x, alpha=1.0):
    """Exponential linear unit, element-wise: x if x > 0 else alpha * (exp(x) - 1).

    Inputs:
    - x: array of any shape; -inf and inf included (elu(-inf) = -alpha).
    - alpha: a float >= 0 (default 1.0); the value elu approaches for very negative x is
      -alpha.

    Returns:
    - array of the same shape and dtype.

    Hint: np.expm1(x) = exp(x) - 1, accurate near 0. np.where computes both branches:
    take expm1 of min(x, 0) so a large positive x does not overflow.
    """
    # YOUR CODE HERE
    raise NotImplementedError("elu is not written yet: see its docstring")


def gelu(x, approximate="none"):
    """Gaussian error linear unit: gelu(x) = x * Phi(x), Phi the standard normal CDF.

        exact ("none"):  0.5 * x * (1 + erf(x / sqrt(2)))
        "tanh":          0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))

    Inputs:
    - x: array of any shape, magnitudes up to 1e30 (in float32, x**3 overflows long before
      that: the tanh of the inner term is already exactly +-1 for |x| > 10).
    - approximate: "none" (exact, with erf) or "tanh".

    Returns:
    - array of the same shape and dtype.

    Hint: NumPy has no erf; math.erf works on one float, np.vectorize(math.erf) on an array.
    """
    # YOUR CODE HERE
    raise NotImplementedError("gelu is not written yet: see its docstring")


def softmax(x, axis=-1):
    """Softmax along an axis: softmax(x)_i = exp(x_i) / sum_j exp(x_j).

    Softmax turns a row of scores (logits) into probabilities that sum to 1. It does
    not change when the same constant is subtracted from every logit of a row, which is
    how a stable implementation avoids exp(1e4) = inf.

    Inputs:
    - x: logits of any shape with at least one axis, float32 or float64. The softmax axis
      has at least one element; another axis may be empty (an empty batch: an empty result).
    - axis: the axis along which the probabilities sum to 1: any axis of x, negative or
      positive (default -1, the last).

    Returns:
    - array of x's shape and dtype.

    Hint: subtract x.max(axis=axis, keepdims=True) before exp; keepdims=True lets the
    maximum and the sum broadcast back against x.
    """
    # YOUR CODE HERE
    raise NotImplementedError("softmax is not written yet: see its docstring")


def log_softmax(x, axis=-1):
    """Log of softmax along an axis: log_softmax(x)_i = x_i - log(sum_j exp(x_j)).

    Taking np.log(softmax(x)) fails where a probability underflows to 0 (log 0 = -inf),
    although the true value is finite. Compute the log-sum-exp stably instead.

    Inputs:
    - x: logits, as for softmax.
    - axis: the axis of the softmax, any axis of x, negative or positive (default -1).

    Returns:
    - array of x's shape and dtype.

    Hint: with m = x.max(axis, keepdims=True): logsumexp = m + log(sum(exp(x - m))),
    and log_softmax = x - logsumexp = (x - m) - log(sum(exp(x - m))).
    """
    # YOUR CODE HERE
    raise NotImplementedError("log_softmax is not written yet: see its docstring")


def mlp_forward(x, weights, biases, activation="relu", output_activation=None):
    """Forward pass of a multi-layer perceptron: a[0] = x, then for each layer l

        a[l] = g(a[l-1] @ W[l] + b[l])

    with g the hidden `activation` for every layer but the last, and
    `output_activation` (None for none) for the last.

    Inputs:
    - x: inputs, shape (N, D).
    - weights: list of L arrays, W[l] of shape (D_{l-1}, D_l).
    - biases: list of L arrays, b[l] of shape (D_l,).
    - activation: "relu" (the default), "sigmoid" or "tanh".
    - output_activation: None (the default: raw scores), "sigmoid", "softmax" (along the
      last axis) or another hidden activation name.

    Returns:
    - the output a[L], shape (N, D_L), x's dtype.

    Hint: reuse dense_forward and your activations; loop over layers, never over samples.
    """
    # YOUR CODE HERE
    raise NotImplementedError("mlp_forward is not written yet: see its docstring")
