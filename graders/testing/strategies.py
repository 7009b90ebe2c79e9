"""Hypothesis strategies for shapes and values, in one place for every topic.

They include the cases that break naive code: logits of +-1e4, probabilities of exactly
0 and 1, and size-1 dimensions."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DTYPES = (np.float32, np.float64)
dtypes = st.sampled_from(DTYPES)


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 6):
    """Array shapes, size-1 dimensions included."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def _floats(dtype, lo: float, hi: float):
    width = 32 if np.dtype(dtype) == np.float32 else 64
    return st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(dtype, shape, lo: float = -5.0, hi: float = 5.0, extremes: tuple[float, ...] = ()):
    """Float arrays of `dtype` and `shape` (a tuple or a strategy) with values in [lo, hi],
    and now and then one of `extremes`."""
    elements = _floats(dtype, lo, hi)
    if extremes:
        elements = st.one_of(elements, elements, elements, st.sampled_from(extremes))
    return hnp.arrays(dtype, shape, elements=elements)


def logits(dtype, shape):
    """Logits of moderate size, mixed with +-1e4 and +-1e3 that overflow a naive exp."""
    return arrays(dtype, shape, -20.0, 20.0, extremes=(1e4, -1e4, 1e3, -1e3, 0.0))


def probabilities(dtype, shape):
    """Values in [0, 1], exactly 0 and exactly 1 included."""
    return arrays(dtype, shape, 0.0, 1.0, extremes=(0.0, 1.0))


def matrices(dtype, max_rows: int = 8, max_cols: int = 8):
    """2-D arrays (N, D), each side from 1."""
    return st.tuples(st.integers(1, max_rows), st.integers(1, max_cols)).flatmap(
        lambda s: arrays(dtype, s)
    )


@st.composite
def dtype_and(draw, make, *args, **kwargs):
    """(dtype, array) with the dtype drawn first: `dtype_and(logits, shapes())`."""
    dtype = draw(dtypes)
    shape = draw(args[0]) if args and isinstance(args[0], st.SearchStrategy) else args[0]
    return dtype, draw(make(dtype, shape, *args[1:], **kwargs))


seeds = st.integers(0, 2**32 - 1)


def integer_valued(dtype, shape, lo: int = -3, hi: int = 3):
    """Whole numbers stored as floats: their sums and products are exact in float32 and
    float64, so a threshold at 0 is hit exactly and results can be compared exactly."""
    return hnp.arrays(dtype, shape, elements=st.integers(lo, hi).map(float))


@st.composite
def perceptron_inputs(draw, max_n: int = 8, max_d: int = 4):
    """(x (N, D), w (D,), b) of whole numbers: x @ w + b is exact and often exactly 0."""
    dtype = draw(dtypes)
    n, d = draw(st.integers(1, max_n)), draw(st.integers(1, max_d))
    return draw(integer_valued(dtype, (n, d))), draw(integer_valued(dtype, (d,))), float(draw(st.integers(-3, 3)))


@st.composite
def perceptron_problems(draw, max_n: int = 6, max_d: int = 3):
    """(x (N, D) of whole numbers, y (N,) of 0s and 1s, lr a power of 2): the perceptron
    rule runs in exact arithmetic on them."""
    dtype = draw(dtypes)
    n, d = draw(st.integers(1, max_n)), draw(st.integers(1, max_d))
    y = hnp.arrays(dtype, (n,), elements=st.sampled_from([0.0, 1.0]))
    return draw(integer_valued(dtype, (n, d), -2, 2)), draw(y), draw(st.sampled_from([1.0, 0.5, 0.25]))


@st.composite
def dense_inputs(draw, max_n: int = 8, max_in: int = 8, max_out: int = 8):
    """(x (N, D_in), W (D_in, D_out), b (D_out,)), every side from 1."""
    dtype = draw(dtypes)
    n, d_in, d_out = draw(st.integers(1, max_n)), draw(st.integers(1, max_in)), draw(st.integers(1, max_out))
    return draw(arrays(dtype, (n, d_in))), draw(arrays(dtype, (d_in, d_out))), draw(arrays(dtype, (d_out,)))


@st.composite
def prelu_inputs(draw):
    """(x, weight): x of 1 to 4 dimensions with logits' extremes; weight of shape (1,)
    (shared) or (C,) with C = x.shape[1] (one distinct slope per channel)."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 4, max_side=5))
    channels = shape[1] if len(shape) >= 2 else 1
    count = draw(st.sampled_from(sorted({1, channels})))
    slopes = hnp.arrays(dtype, (count,), elements=_floats(dtype, -1.0, 1.0), unique=True)
    return draw(logits(dtype, shape)), draw(slopes)


@st.composite
def mlp_inputs(draw, max_layers: int = 3, max_width: int = 6, max_n: int = 6):
    """(x (N, D_0), [W_l (D_{l-1}, D_l)], [b_l (D_l,)]) for 1 to `max_layers` layers."""
    dtype = draw(dtypes)
    widths = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=max_layers + 1))
    x = draw(arrays(dtype, (draw(st.integers(1, max_n)), widths[0]), -2.0, 2.0))
    weights = [draw(arrays(dtype, (a, b), -1.0, 1.0)) for a, b in zip(widths, widths[1:], strict=False)]
    biases = [draw(arrays(dtype, (b,), -1.0, 1.0)) for b in widths[1:]]
    return x, weights, biases


# Topic-specific strategies go below, each topic under its own heading (append only).
# --- losses ---
reductions = st.sampled_from(["mean", "sum", "none"])


@st.composite
def regression_pairs(draw):
    """(pred, target) of one shape and dtype; target equals pred exactly at some elements
    (the kink of |d|), and both may hold 0."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 3))
    pred = draw(arrays(dtype, shape, -10.0, 10.0, extremes=(0.0,)))
    other = draw(arrays(dtype, shape, -10.0, 10.0, extremes=(0.0,)))
    same = draw(hnp.arrays(np.bool_, shape))
    return pred, np.where(same, pred, other)


@st.composite
def huber_problems(draw):
    """(pred, target, delta) in multiples of 1/16 (exact differences), with many elements
    exactly at the kink |pred - target| == delta and others on either side."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 3))
    delta = draw(st.integers(1, 64)) / 16
    grid = st.integers(-64, 64).map(lambda k: k / 16)
    pred = draw(hnp.arrays(dtype, shape, elements=st.integers(-128, 128).map(lambda k: k / 16)))
    diff = draw(hnp.arrays(dtype, shape, elements=st.one_of(st.sampled_from([delta, -delta]), grid)))
    return pred, pred - diff, delta


@st.composite
def probability_pairs(draw):
    """(p, y): predicted probabilities and labels in [0, 1], both with exact 0s and 1s."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 3))
    hard = hnp.arrays(dtype, shape, elements=st.sampled_from([0.0, 1.0]))
    return draw(probabilities(dtype, shape)), draw(st.one_of(hard, probabilities(dtype, shape)))


@st.composite
def logit_label_problems(draw):
    """(logits, y, pos_weight): logits with +-1e4, labels in [0, 1] with exact 0s and 1s,
    pos_weight None or positive of shape (C,) for the last axis."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 3))
    pos_weight = st.one_of(st.none(), arrays(dtype, (shape[-1],), 0.25, 4.0))
    return draw(logits(dtype, shape)), draw(probabilities(dtype, shape)), draw(pos_weight)


@st.composite
def classification_problems(draw, max_n: int = 8, max_c: int = 6):
    """(logits (N, C) with +-1e4, y (N,) int64 class indices), N = 1 and C = 1 included."""
    dtype = draw(dtypes)
    n, c = draw(st.integers(1, max_n)), draw(st.integers(1, max_c))
    y = hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1))
    return draw(logits(dtype, (n, c))), draw(y)


@st.composite
def target_distributions(draw, y, c, dtype):
    """(N, C) targets for class indices y: one-hot rows, or probability rows summing to 1."""
    one_hot = np.eye(c, dtype=dtype)[y]
    if draw(st.booleans()):
        return one_hot
    rows = draw(probabilities(dtype, one_hot.shape))
    rows = np.where(rows.sum(axis=1, keepdims=True) > 0, rows, one_hot)
    return (rows / rows.sum(axis=1, keepdims=True)).astype(dtype)


def class_weights(dtype, c):
    """None, or positive weights of shape (C,)."""
    return st.one_of(st.none(), arrays(dtype, (c,), 0.25, 4.0))


label_smoothings = st.one_of(st.sampled_from([0.0, 0.1, 1.0]), st.floats(0.0, 1.0))


@st.composite
def weight_lists(draw, max_arrays: int = 3):
    """A list of 1 to `max_arrays` weight arrays of one dtype, with exact zeros."""
    dtype = draw(dtypes)
    count = draw(st.integers(1, max_arrays))
    return [draw(arrays(dtype, draw(shapes(1, 3)), -3.0, 3.0, extremes=(0.0,))) for _ in range(count)]


# --- backprop ---
@st.composite
def dense_args(draw, dtype, max_batch: int = 8, max_features: int = 8):
    """(x, W, b) for a dense layer: x (N, D_in), W (D_in, D_out), b (D_out,), sides from 1."""
    n, d_in, d_out = (draw(st.integers(1, m)) for m in (max_batch, max_features, max_features))
    return (draw(arrays(dtype, (n, d_in))), draw(arrays(dtype, (d_in, d_out))), draw(arrays(dtype, (d_out,))))


def activation_inputs(dtype, shape):
    """Inputs of an activation: moderate values, exact zeros (where a ReLU-like derivative
    jumps) and now and then +-30 and +-1e3 (saturation, overflow of a naive exp)."""
    return arrays(dtype, shape, -6.0, 6.0, extremes=(0.0, 0.0, 30.0, -30.0, 1e3, -1e3))


mlp_sizes = st.lists(st.integers(1, 6), min_size=2, max_size=4)

# --- regularization ---
NORM_EPS = (1e-5, 1e-3, 0.1)


def dropout_p():
    """Drop probabilities: 0 and 1 (the edge cases), 0.5, and values in between."""
    return st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.05, 0.95))


def batchnorm_shapes(min_per_channel: int = 2):
    """(N, D) and (N, C, H, W) shapes with at least `min_per_channel` values per feature
    (N * H * W; training statistics need two): N = 1, C = 1 and H = W = 1 included."""
    dense = st.tuples(st.integers(1, 8), st.integers(1, 5))
    spatial = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4))
    return st.one_of(dense, spatial).filter(lambda s: int(np.prod(s)) // s[1] >= min_per_channel)


@st.composite
def batchnorm_inputs(draw, train: bool = True, batches: int = 1):
    """dict(xs, gamma, beta, running_mean, running_var, momentum, eps): `batches` inputs of
    one shape (values in [-5, 5], now and then 0 or 50: constant and off-centre channels),
    parameters of shape (C,), running_var >= 0 (0 included: eps matters)."""
    dtype = draw(dtypes)
    shape = draw(batchnorm_shapes(2 if train else 1))
    c = shape[1]
    return dict(
        xs=[draw(arrays(dtype, shape, extremes=(0.0, 50.0))) for _ in range(batches)],
        gamma=draw(arrays(dtype, (c,), -2.0, 2.0)),
        beta=draw(arrays(dtype, (c,), -2.0, 2.0)),
        running_mean=draw(arrays(dtype, (c,), -2.0, 2.0)),
        running_var=draw(arrays(dtype, (c,), 0.0, 4.0, extremes=(0.0,))),
        momentum=draw(st.sampled_from([0.1, 0.25, 0.9])),
        eps=draw(st.sampled_from(NORM_EPS)),
    )


@st.composite
def layernorm_inputs(draw):
    """dict(x, gamma, beta, eps): x of 1 to 4 dims (size-1 batches included), normalised
    over its last k dims (1 <= k <= x.ndim), gamma and beta of shape x.shape[-k:]."""
    dtype = draw(dtypes)
    shape = draw(shapes(1, 4, max_side=5))
    k = draw(st.integers(1, len(shape)))
    return dict(
        x=draw(arrays(dtype, shape, extremes=(0.0, 50.0))),
        gamma=draw(arrays(dtype, shape[-k:], -2.0, 2.0)),
        beta=draw(arrays(dtype, shape[-k:], -2.0, 2.0)),
        eps=draw(st.sampled_from(NORM_EPS)),
    )


# --- optimizers ---
def log_uniform(lo: float, hi: float):
    """Floats spread evenly over the orders of magnitude between lo and hi (lo, hi > 0)."""
    import math

    return st.floats(math.log(lo), math.log(hi)).map(lambda e: min(max(math.exp(e), lo), hi))


def _maybe(value, strategy):
    """`value` (a default, often 0) half of the time, else a draw of `strategy`."""
    return st.one_of(st.just(value), strategy)


@st.composite
def _sgd_hyperparameters(draw):
    momentum = draw(_maybe(0.0, st.floats(0.1, 0.95)))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(_maybe(0.0, st.floats(0.05, 0.9)))
    return dict(lr=draw(log_uniform(1e-4, 1e-3)), momentum=momentum, dampening=dampening,
                nesterov=nesterov, weight_decay=draw(_maybe(0.0, st.floats(0.01, 0.5))))


def _adam_hyperparameters(weight_decay):
    return st.fixed_dictionaries(dict(
        lr=log_uniform(1e-4, 0.1),
        betas=st.tuples(_maybe(0.9, st.floats(0.0, 0.95)), _maybe(0.999, st.floats(0.9, 0.9999))),
        eps=_maybe(1e-8, log_uniform(1e-8, 1e-3)),
        weight_decay=weight_decay,
        amsgrad=st.booleans(),
    ))


# torch.optim's keyword arguments, drawn in ranges where training on the Rosenbrock valley
# (curvature up to ~2000) stays finite for the 30 steps of a test.
optimizer_hyperparameters = {
    "SGD": _sgd_hyperparameters(),
    "Adagrad": st.fixed_dictionaries(dict(
        lr=log_uniform(1e-3, 0.1), lr_decay=_maybe(0.0, st.floats(0.01, 0.5)),
        weight_decay=_maybe(0.0, st.floats(0.01, 0.5)),
        initial_accumulator_value=_maybe(0.0, st.floats(0.01, 1.0)),
        eps=_maybe(1e-10, log_uniform(1e-10, 1e-3)))),
    "RMSprop": st.fixed_dictionaries(dict(
        lr=log_uniform(1e-4, 1e-2), alpha=_maybe(0.99, st.floats(0.8, 0.999)),
        eps=_maybe(1e-8, log_uniform(1e-8, 1e-3)), weight_decay=_maybe(0.0, st.floats(0.01, 0.5)),
        momentum=_maybe(0.0, st.floats(0.1, 0.9)), centered=st.booleans())),
    "Adadelta": st.fixed_dictionaries(dict(
        lr=log_uniform(0.1, 1.0), rho=_maybe(0.9, st.floats(0.5, 0.99)),
        eps=_maybe(1e-6, log_uniform(1e-6, 1e-2)), weight_decay=_maybe(0.0, st.floats(0.01, 0.5)))),
    "Adam": _adam_hyperparameters(_maybe(0.0, st.floats(0.01, 0.5))),
    "AdamW": _adam_hyperparameters(_maybe(1e-2, st.floats(0.02, 0.5))),
}

gradient_sources = st.sampled_from(["random", "rosenbrock", "mlp"])
param_shape_lists = st.lists(shapes(1, 3, max_side=5), min_size=1, max_size=3)


@st.composite
def gradient_lists(draw, dtype):
    """1 to 4 gradient arrays of different shapes and sizes (one list of a model's grads),
    each with its own scale so that their norms differ."""
    grads = []
    for shape in draw(st.lists(shapes(1, 3, max_side=5), min_size=1, max_size=4)):
        scale = draw(st.sampled_from([1e-2, 1.0, 1.0, 30.0]))
        grads.append((draw(arrays(dtype, shape, -5.0, 5.0, extremes=(0.0, 5.0, -5.0))) * scale).astype(dtype))
    return grads


schedule_settings = {
    "StepLR": st.fixed_dictionaries(dict(step_size=st.integers(1, 40), gamma=st.floats(0.05, 0.99))),
    "ExponentialLR": st.fixed_dictionaries(dict(gamma=st.floats(0.9, 0.999))),
    "CosineAnnealingLR": st.fixed_dictionaries(dict(
        T_max=st.integers(1, 120), eta_min=_maybe(0.0, log_uniform(1e-6, 1e-3)))),
}
# --- cnn ---
@st.composite
def image_batches(draw, min_dims: int = 4, max_dims: int = 4, max_side: int = 7):
    """Float arrays (N, C, H, W) (or of min_dims..max_dims axes), sides from 1, any dtype."""
    dtype = draw(dtypes)
    return draw(arrays(dtype, shapes(min_dims, max_dims, 1, max_side), -3.0, 3.0))


@st.composite
def conv_sizes(draw, max_n: int = 40):
    """(n, f, p, s) with a filter that fits the padded input: 1 <= f <= n + 2p."""
    n, p, s = draw(st.integers(1, max_n)), draw(st.integers(0, 3)), draw(st.integers(1, 5))
    return n, draw(st.integers(1, n + 2 * p)), p, s


@st.composite
def conv2d_problems(draw, max_side: int = 9):
    """(x, w, b, stride, padding) for a convolution: x (N, C, H, W), w (F, C, HH, WW),
    b (F,), non-square images and kernels, stride 1..3, padding 0..2, at least one output
    pixel; values in [-2, 2], one dtype for all."""
    dtype = draw(dtypes)
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, padding = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, hh - 2 * padding), max_side))
    w = draw(st.integers(max(1, ww - 2 * padding), max_side))
    x = draw(arrays(dtype, (n, c, h, w), -2.0, 2.0))
    weights = draw(arrays(dtype, (f, c, hh, ww), -2.0, 2.0))
    bias = draw(arrays(dtype, (f,), -2.0, 2.0))
    return x, weights, bias, stride, padding


@st.composite
def pool2d_problems(draw, distinct: bool = False, max_side: int = 9):
    """(x, kernel_size, stride, padding) for pooling as torch allows it: stride None
    (= kernel_size) or 1..3, padding <= kernel_size // 2, at least one output pixel.
    distinct=True gives values that are all different (multiples of 1/4, exact in
    float32), so that every window has a single maximum."""
    dtype = draw(dtypes)
    k = draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.integers(0, k // 2))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, k - 2 * padding), max_side))
    w = draw(st.integers(max(1, k - 2 * padding), max_side))
    if distinct:
        size = n * c * h * w
        order = np.random.default_rng(draw(seeds)).permutation(size)
        x = ((order - size / 2) / 4).reshape(n, c, h, w).astype(dtype)
    else:
        x = draw(arrays(dtype, (n, c, h, w), -3.0, 3.0))
    return x, k, stride, padding
