"""Wrong implementations of the cnn exercises; each must fail at least one test."""

import numpy as np

from gradeschool.harness.mutants import mutant, solution

sol = solution("cnn")


# ---------------------------------------------------------------- pad2d, output_size
@mutant("pad2d", "one_side", "pads only the top and the left")
def pad2d(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0)))


@mutant("pad2d", "every_axis", "np.pad(x, pad) pads the batch and channel axes too")
def pad2d(x, pad):  # noqa: F811
    return np.pad(x, pad)


@mutant("output_size", "no_floor", "true division: a float, and a fraction where the stride does not divide")
def output_size(n, f, p=0, s=1):
    return (n + 2 * p - f) / s + 1


@mutant("output_size", "padding_once", "counts the padding on one side only: (n + p - f) // s + 1")
def output_size(n, f, p=0, s=1):  # noqa: F811
    return (n + p - f) // s + 1


@mutant("output_size", "ceil", "rounds up: keeps a last window that sticks out of the image")
def output_size(n, f, p=0, s=1):  # noqa: F811
    return -(-(n + 2 * p - f) // s) + 1


# ---------------------------------------------------------------- conv2d
def _conv_with(x, w, b, stride, padding, xp):
    F, C, HH, WW = w.shape
    patches = sol._patches(xp, HH, WW, stride)
    out = np.tensordot(patches, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2) + b[None, :, None, None]
    return out.astype(x.dtype), sol.conv2d_forward(x, w, b, stride, padding)[1]


@mutant("conv2d", "flipped_kernel", "a true convolution (filter flipped), not torch's cross-correlation",
        replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):
    return _conv_with(x, w[:, :, ::-1, ::-1], b, stride, padding, sol.pad2d(x, padding))


@mutant("conv2d", "pad_one_side", "zero padding on the top and left only", replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    xp = np.pad(x, ((0, 0), (0, 0), (padding, 0), (padding, 0)))
    return _conv_with(x, w, b, stride, padding, xp)


@mutant("conv2d", "float64_out", "adds a float64 bias: float32 input gives float64 output",
        replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    out, cache = sol.conv2d_forward(x, w, b, stride, padding)
    return out + np.zeros_like(b, dtype=np.float64)[None, :, None, None], cache


@mutant("conv2d", "pixel_loop", "a Python loop over output pixels (vectorised over the batch and "
        "the filters): correct, and hundreds of times slower than torch on a large image",
        replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    F, C, HH, WW = w.shape
    xp = sol.pad2d(x, padding)
    h_out, w_out = sol.output_size(x.shape[2], HH, padding, stride), sol.output_size(x.shape[3], WW, padding, stride)
    out = np.empty((x.shape[0], F, h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, sol.conv2d_forward(x, w, b, stride, padding)[1]


@mutant("conv2d", "stride_ignored_in_backward", "dx scatters every position as if the stride were 1",
        replaces="conv2d_backward")
def conv2d_backward(dout, cache):
    x_shape, cols, w, stride, padding = cache
    _, dw, db = sol.conv2d_backward(dout, cache)
    F, C, HH, WW = w.shape
    N, _, H_out, W_out = dout.shape
    dcols = (w.reshape(F, -1).T @ dout.transpose(1, 0, 2, 3).reshape(F, -1)).reshape(C, HH, WW, N, H_out, W_out)
    dxp = np.zeros((N, C, x_shape[2] + 2 * padding + HH, x_shape[3] + 2 * padding + WW), dtype=dout.dtype)
    for k in range(HH):
        for m in range(WW):
            dxp[:, :, k:k + H_out, m:m + W_out] += dcols[:, k, m].transpose(1, 0, 2, 3)
    return dxp[:, :, padding:padding + x_shape[2], padding:padding + x_shape[3]], dw, db


@mutant("conv2d", "bias_grad_one_position", "db takes the gradient of the first output pixel only, "
        "not the sum over all positions", replaces="conv2d_backward")
def conv2d_backward(dout, cache):  # noqa: F811
    dx, dw, _ = sol.conv2d_backward(dout, cache)
    return dx, dw, dout[:, :, 0, 0].sum(axis=0)


@mutant("conv2d", "bias_grad_mean", "db averages over the output positions instead of summing",
        replaces="conv2d_backward")
def conv2d_backward(dout, cache):  # noqa: F811
    dx, dw, _ = sol.conv2d_backward(dout, cache)
    return dx, dw, dout.sum(axis=0).mean(axis=(1, 2))


# ---------------------------------------------------------------- pooling
@mutant("maxpool2d", "grad_to_whole_window", "sends each window's gradient to every element of the window",
        replaces="maxpool2d_backward")
def maxpool2d_backward(dout, cache):
    shape, argmax, k, stride, padding = cache
    dxp = np.zeros((shape[0], shape[1], shape[2] + 2 * padding, shape[3] + 2 * padding), dtype=dout.dtype)
    h_out, w_out = dout.shape[2:]
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += dout
    return dxp[:, :, padding:padding + shape[2], padding:padding + shape[3]]


@mutant("maxpool2d", "zero_padding", "pads with 0 instead of -inf: a window of negative values at the "
        "border returns 0", replaces="maxpool2d_forward")
def maxpool2d_forward(x, kernel_size, stride=None, padding=0):
    stride = kernel_size if stride is None else stride
    windows = sol._patches(sol.pad2d(x, padding), kernel_size, kernel_size, stride)
    windows = windows.reshape(windows.shape[:4] + (kernel_size * kernel_size,))
    argmax = windows.argmax(axis=-1)
    return windows.max(axis=-1), (x.shape, argmax, kernel_size, stride, padding)


@mutant("maxpool2d", "ties_to_last", "on ties the gradient goes to the last maximum of the window",
        replaces="maxpool2d_forward")
def maxpool2d_forward(x, kernel_size, stride=None, padding=0):  # noqa: F811
    out, (shape, argmax, k, s, p) = sol.maxpool2d_forward(x, kernel_size, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    windows = sol._patches(xp, k, k, s).reshape(out.shape + (k * k,))
    last = k * k - 1 - windows[..., ::-1].argmax(axis=-1)
    return out, (shape, last, k, s, p)


@mutant("maxpool2d", "pixel_loop", "a Python loop over output pixels: correct but slow",
        replaces="maxpool2d_forward")
def maxpool2d_forward(x, kernel_size, stride=None, padding=0):  # noqa: F811
    s = kernel_size if stride is None else stride
    k, p = kernel_size, padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    h_out, w_out = sol.output_size(x.shape[2], k, p, s), sol.output_size(x.shape[3], k, p, s)
    out = np.empty(x.shape[:2] + (h_out, w_out), dtype=x.dtype)
    argmax = np.empty(x.shape[:2] + (h_out, w_out), dtype=np.int64)
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, i * s:i * s + k, j * s:j * s + k].reshape(x.shape[0], x.shape[1], k * k)
            argmax[:, :, i, j] = window.argmax(axis=-1)
            out[:, :, i, j] = window.max(axis=-1)
    return out, (x.shape, argmax, k, s, p)


@mutant("avgpool2d", "count_ignores_flag", "always divides by kernel_size**2, even with "
        "count_include_pad=False", replaces="avgpool2d_forward")
def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    return sol.avgpool2d_forward(x, kernel_size, stride, padding, count_include_pad=True)


@mutant("avgpool2d", "never_counts_padding", "divides by the number of real pixels even with "
        "count_include_pad=True (torch's default)", replaces="avgpool2d_forward")
def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):  # noqa: F811
    return sol.avgpool2d_forward(x, kernel_size, stride, padding, count_include_pad=False)


@mutant("avgpool2d", "stride_ignored_in_backward", "spreads the gradient as if the stride were 1",
        replaces="avgpool2d_backward")
def avgpool2d_backward(dout, cache):
    shape, count, k, stride, padding = cache
    h_out, w_out = dout.shape[2:]
    dxp = np.zeros((shape[0], shape[1], shape[2] + 2 * padding + k, shape[3] + 2 * padding + k), dtype=dout.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + h_out, j:j + w_out] += dout / count
    return dxp[:, :, padding:padding + shape[2], padding:padding + shape[3]]


# ---------------------------------------------------------------- flatten, Sobel
@mutant("flatten", "fortran_order", "flattens each sample in Fortran order (first axis fastest)",
        replaces="flatten_forward")
def flatten_forward(x):
    per_sample = x.transpose(0, *range(x.ndim - 1, 0, -1))
    return per_sample.reshape(x.shape[0], -1), x.shape


@mutant("flatten", "backward_fortran_order", "backward reshapes in Fortran order", replaces="flatten_backward")
def flatten_backward(dout, cache):
    return dout.reshape(cache, order="F")


@mutant("sobel_edges", "swapped_kernels", "channel 0 holds the horizontal edges, channel 1 the vertical")
def sobel_edges(x, padding=0):
    return sol.sobel_edges(x, padding)[:, ::-1]


@mutant("sobel_edges", "flipped_kernels", "a true convolution: the filters flipped, the signs reversed")
def sobel_edges(x, padding=0):  # noqa: F811
    return -sol.sobel_edges(x, padding)


# ---------------------------------------------------------------- the capstone
@mutant("CNN", "no_hidden_relu_grad", "backward lets the gradient through the hidden relu everywhere")
class CNN(sol.CNN):
    def backward(self, dscores):
        conv_cache, c1, pool_cache, flat_cache, dense2_cache, h, dense3_cache = self.cache
        g = {}
        da2, g["W3"], g["b3"] = sol.dense_backward(dscores, dense3_cache)
        dflat, g["W2"], g["b2"] = sol.dense_backward(da2, dense2_cache)
        da1 = sol.maxpool2d_backward(sol.flatten_backward(dflat, flat_cache), pool_cache)
        dx, g["W1"], g["b1"] = sol.conv2d_backward(sol.relu_backward(da1, c1), conv_cache)
        self.grads = g
        return dx


@mutant("CNN", "no_conv_relu", "forward skips the relu after the convolution")
class CNN(sol.CNN):  # noqa: F811
    def forward(self, x):
        p = self.params
        c1, conv_cache = sol.conv2d_forward(x, p["W1"], p["b1"], stride=1, padding=1)
        pooled, pool_cache = sol.maxpool2d_forward(c1, 2)
        flat, flat_cache = sol.flatten_forward(pooled)
        h, dense2_cache = sol.dense_forward(flat, p["W2"], p["b2"])
        scores, dense3_cache = sol.dense_forward(sol.relu(h), p["W3"], p["b3"])
        self.cache = (conv_cache, c1, pool_cache, flat_cache, dense2_cache, h, dense3_cache)
        return scores


@mutant("CNN", "summed_loss", "the loss sums over the batch instead of averaging")
class CNN(sol.CNN):  # noqa: F811
    def loss(self, x, y):
        loss, dscores = sol.sparse_categorical_cross_entropy(self.forward(x), y, reduction="sum")
        self.backward(dscores)
        return float(loss)


@mutant("CNN", "fresh_optimizer_per_batch", "a new SGD every batch: the momentum is lost")
class CNN(sol.CNN):  # noqa: F811
    def fit(self, x, y, epochs=10, lr=0.05, momentum=0.9, batch_size=32, seed=0):
        rng, history = np.random.default_rng(seed), []
        for _ in range(epochs):
            order, losses = rng.permutation(len(x)), []
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                losses.append(self.loss(x[batch], y[batch]))
                sol.SGD(list(self.params.values()), lr=lr, momentum=momentum).step(list(self.grads.values()))
            history.append(float(np.mean(losses)))
        return history


@mutant("CNN", "predict_wrong_axis", "predict takes the argmax over the batch axis")
class CNN(sol.CNN):  # noqa: F811
    def predict(self, x):
        return self.forward(x).argmax(axis=0)


# ---------------------------------------------------------------- defaults and options
@mutant("conv2d", "default_same_padding", "padding defaults to 1 ('same' for 3x3) instead of 0",
        replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=1):  # noqa: F811
    return sol.conv2d_forward(x, w, b, stride, padding)


@mutant("maxpool2d", "default_stride_1", "stride=None taken as 1 (overlapping windows), not kernel_size",
        replaces="maxpool2d_forward")
def maxpool2d_forward(x, kernel_size, stride=None, padding=0):  # noqa: F811
    return sol.maxpool2d_forward(x, kernel_size, 1 if stride is None else stride, padding)


@mutant("avgpool2d", "default_excludes_padding", "count_include_pad defaults to False", replaces="avgpool2d_forward")
def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=False):  # noqa: F811
    return sol.avgpool2d_forward(x, kernel_size, stride, padding, count_include_pad)


@mutant("sobel_edges", "default_padding_1", "padding defaults to 1 (keeps the size) instead of 0")
def sobel_edges(x, padding=1):  # noqa: F811
    return sol.sobel_edges(x, padding)


@mutant("CNN", "fit_default_lr", "fit's lr defaults to 0.01 instead of 0.05")
class CNN(sol.CNN):  # noqa: F811
    def fit(self, x, y, epochs=10, lr=0.01, momentum=0.9, batch_size=32, seed=0):
        return super().fit(x, y, epochs, lr, momentum, batch_size, seed)


# ---------------------------------------------------------------- loops (correct, but slow)
@mutant("pad2d", "sample_loop", "one image at a time")
def pad2d(x, pad):  # noqa: F811
    out = np.zeros((*x.shape[:2], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), dtype=x.dtype)
    for n in range(len(x)):
        out[n, :, pad:pad + x.shape[2], pad:pad + x.shape[3]] = x[n]
    return out


def _conv_positions(x, w, stride, padding):
    F, C, HH, WW = w.shape
    h_out = sol.output_size(x.shape[2], HH, padding, stride)
    w_out = sol.output_size(x.shape[3], WW, padding, stride)
    return sol.pad2d(x, padding), F, C, HH, WW, h_out, w_out


@mutant("conv2d", "row_loop", "a Python loop over the output rows (each vectorised over the batch, the "
        "filters and the columns)", replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    xp, F, C, HH, WW, h_out, w_out = _conv_positions(x, w, stride, padding)
    out = np.empty((x.shape[0], F, h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        band = xp[:, :, i * stride:i * stride + HH]  # (N, C, HH, Wp)
        windows = sol._patches(band, HH, WW, stride)[:, :, 0]  # (N, C, W_out, HH, WW)
        out[:, :, i] = np.tensordot(windows, w, axes=([1, 3, 4], [1, 2, 3])).transpose(0, 2, 1) + b[None, :, None]
    return out, sol.conv2d_forward(x, w, b, stride, padding)[1]


@mutant("conv2d", "sample_loop", "one image at a time", replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    outs = [sol.conv2d_forward(x[n:n + 1], w, b, stride, padding)[0] for n in range(len(x))]
    return np.concatenate(outs), sol.conv2d_forward(x[:0] if not len(x) else x, w, b, stride, padding)[1]


@mutant("conv2d", "filter_loop", "one filter at a time", replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    outs = [sol.conv2d_forward(x, w[f:f + 1], b[f:f + 1], stride, padding)[0] for f in range(len(w))]
    return np.concatenate(outs, axis=1), sol.conv2d_forward(x, w, b, stride, padding)[1]


@mutant("conv2d", "channel_loop", "the channels' contributions summed one channel at a time", replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    out = sol.conv2d_forward(x[:, :1], w[:, :1], b, stride, padding)[0].astype(x.dtype)
    for c in range(1, x.shape[1]):
        out += sol.conv2d_forward(x[:, c:c + 1], w[:, c:c + 1], np.zeros_like(b), stride, padding)[0]
    return out, sol.conv2d_forward(x, w, b, stride, padding)[1]


def _pool_rows(x, kernel_size, stride, padding, reduce, fill):
    """Pooling by a Python loop over the output rows (each vectorised over the rest)."""
    s = kernel_size if stride is None else stride
    k = kernel_size
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    h_out, w_out = sol.output_size(x.shape[2], k, padding, s), sol.output_size(x.shape[3], k, padding, s)
    out = np.empty((*x.shape[:2], h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        windows = sol._patches(xp[:, :, i * s:i * s + k], k, k, s)[:, :, 0]  # (N, C, W_out, k, k)
        out[:, :, i] = reduce(windows)
    return out


@mutant("maxpool2d", "row_loop", "a Python loop over the output rows", replaces="maxpool2d_forward")
def maxpool2d_forward(x, kernel_size, stride=None, padding=0):  # noqa: F811
    out = _pool_rows(x, kernel_size, stride, padding, lambda w: w.max(axis=(-2, -1)), -np.inf)
    return out, sol.maxpool2d_forward(x, kernel_size, stride, padding)[1]


@mutant("avgpool2d", "row_loop", "a Python loop over the output rows", replaces="avgpool2d_forward")
def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):  # noqa: F811
    out, cache = sol.avgpool2d_forward(x, kernel_size, stride, padding, count_include_pad)
    sums = _pool_rows(x, kernel_size, stride, padding, lambda w: w.sum(axis=(-2, -1)), 0.0)
    return (sums / cache[1]).astype(x.dtype), cache


@mutant("avgpool2d", "channel_loop", "one channel at a time", replaces="avgpool2d_forward")
def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):  # noqa: F811
    out, cache = sol.avgpool2d_forward(x, kernel_size, stride, padding, count_include_pad)
    for c in range(x.shape[1]):
        out[:, c:c + 1] = sol.avgpool2d_forward(x[:, c:c + 1], kernel_size, stride, padding, count_include_pad)[0]
    return out, cache


@mutant("flatten", "sample_loop", "np.stack of every sample's ravel()", replaces="flatten_forward")
def flatten_forward(x):  # noqa: F811
    return np.stack([x[n].ravel() for n in range(len(x))]) if len(x) else x.reshape(0, -1), x.shape


@mutant("sobel_edges", "row_loop", "a Python loop over the output rows")
def sobel_edges(x, padding=0):  # noqa: F811
    xp = sol.pad2d(x, padding)
    vertical = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=x.dtype)
    filters = np.stack([vertical, vertical.T])
    out = np.empty((x.shape[0], 2, xp.shape[2] - 2, xp.shape[3] - 2), dtype=x.dtype)
    for i in range(out.shape[2]):
        windows = sol._patches(xp[:, :, i:i + 3], 3, 3, 1)[:, 0, 0]  # (N, W_out, 3, 3)
        out[:, :, i] = np.einsum("nwkl,fkl->nfw", windows, filters)
    return out


@mutant("CNN", "sample_loop", "forward one image at a time")
class CNN(sol.CNN):  # noqa: F811
    def forward(self, x):
        scores = np.concatenate([sol.CNN.forward(self, x[n:n + 1]) for n in range(len(x))])
        sol.CNN.forward(self, x)  # the cache of the whole batch, for backward
        return scores


@mutant("conv2d", "stride_rows_only", "the stride applied to the rows only (every column position kept)",
        replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    F, C, HH, WW = w.shape
    windows = sol._patches(sol.pad2d(x, padding), HH, WW, 1)[:, :, ::stride]
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2) + b[None, :, None, None]
    return out.astype(x.dtype), sol.conv2d_forward(x, w, b, stride, padding)[1]


@mutant("CNN", "loss_numpy_scalar", "loss returns the NumPy scalar of the loss function (np.float32 for a float32 "
        "model), not a Python float")
class CNN(sol.CNN):  # noqa: F811
    def loss(self, x, y):
        return next(iter(self.params.values())).dtype.type(super().loss(x, y))
