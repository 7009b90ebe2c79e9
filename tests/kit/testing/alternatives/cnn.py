"""Correct alternatives for the cnn exercises (see alternatives/neuron.py)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradeschool.harness.mutants import mutant as alternative
from gradeschool.harness.mutants import solution

sol = solution("cnn")
# the solution's functions, bound by name: a function handed in may not use a module alias
# (gradeschool.core.scan applies the notebook import rule to it)
_pad2d, _conv2d_forward, _avgpool2d_forward = sol.pad2d, sol.conv2d_forward, sol.avgpool2d_forward


@alternative("pad2d", "zeros_and_slice", "np.zeros, then the image copied into the middle")
def pad2d(x, pad):
    out = np.zeros((*x.shape[:2], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), dtype=x.dtype)
    out[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]] = x
    return out


@alternative("conv2d", "einsum_windows", "np.einsum over sliding_window_view; the cache keeps the padded input",
             replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):
    xp = _pad2d(x, padding)
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwkl,fckl->nfhw", windows, w, optimize=True) + b[None, :, None, None]
    return out.astype(x.dtype), _conv2d_forward(x, w, b, stride, padding)[1]


@alternative("conv2d", "tensordot_backward", "the docstring's hint: tensordot for dw and the patch gradients, a loop "
             "over the kernel positions for dx", replaces="conv2d_backward")
def conv2d_backward(dout, cache):
    x_shape, cols, w, stride, padding = cache
    F, C, HH, WW = w.shape
    N, _, H_out, W_out = dout.shape
    patches = cols.reshape(C, HH, WW, N, H_out, W_out)
    dw = np.tensordot(dout, patches, axes=([0, 2, 3], [3, 4, 5]))
    dpatch = np.tensordot(dout, w, axes=([1], [0]))  # (N, H_out, W_out, C, HH, WW)
    dxp = np.zeros((N, C, x_shape[2] + 2 * padding, x_shape[3] + 2 * padding), dtype=dout.dtype)
    for k in range(HH):
        for m in range(WW):
            dxp[:, :, k:k + stride * H_out:stride, m:m + stride * W_out:stride] += \
                dpatch[:, :, :, :, k, m].transpose(0, 3, 1, 2)
    dx = dxp[:, :, padding:padding + x_shape[2], padding:padding + x_shape[3]]
    return dx.astype(dout.dtype), dw.astype(dout.dtype), dout.sum(axis=(0, 2, 3)).astype(dout.dtype)


@alternative("maxpool2d", "first_max_mask", "backward from a one-hot mask of each window's first maximum",
             replaces="maxpool2d_backward")
def maxpool2d_backward(dout, cache):
    shape, argmax, k, stride, padding = cache
    onehot = argmax[..., None] == np.arange(k * k)  # (N, C, H_out, W_out, k*k)
    contributions = (onehot * dout[..., None]).reshape(*dout.shape, k, k)
    dxp = np.zeros((shape[0], shape[1], shape[2] + 2 * padding, shape[3] + 2 * padding), dtype=dout.dtype)
    h_out, w_out = dout.shape[2:]
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += contributions[..., i, j]
    return dxp[:, :, padding:padding + shape[2], padding:padding + shape[3]]


@alternative("avgpool2d", "mean_then_rescale", "the mean of every window (padding zeros included), rescaled by "
             "k*k / count when the padding does not count", replaces="avgpool2d_forward")
def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    s = kernel_size if stride is None else stride
    windows = sliding_window_view(_pad2d(x, padding), (kernel_size, kernel_size), axis=(2, 3))[:, :, ::s, ::s]
    out = windows.mean(axis=(-2, -1))
    _, cache = _avgpool2d_forward(x, kernel_size, stride, padding, count_include_pad)
    return (out * (kernel_size * kernel_size / cache[1])).astype(x.dtype), cache


@alternative("flatten", "len_reshape", "x.reshape(len(x), -1)", replaces="flatten_forward")
def flatten_forward(x):
    return x.reshape(len(x), -1), x.shape


@alternative("sobel_edges", "einsum", "np.einsum of the windows with the two filters")
def sobel_edges(x, padding=0):
    vertical = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=x.dtype)
    windows = sliding_window_view(_pad2d(x, padding), (3, 3), axis=(2, 3))[:, 0]
    return np.einsum("nhwkl,fkl->nfhw", windows, np.stack([vertical, vertical.T]), optimize=True)


def _window_indices(height, width, k_h, k_w, stride):
    """Row and column indices (k_h*k_w, H_out*W_out) of every window of a padded image."""
    h_out, w_out = (height - k_h) // stride + 1, (width - k_w) // stride + 1
    rows = (np.repeat(np.arange(k_h), k_w)[:, None] + stride * np.repeat(np.arange(h_out), w_out)[None, :])
    cols = (np.tile(np.arange(k_w), k_h)[:, None] + stride * np.tile(np.arange(w_out), h_out)[None, :])
    return rows, cols, h_out, w_out


@alternative("conv2d", "index_im2col", "im2col by fancy indexing with index arrays, then one matrix product",
             replaces="conv2d_forward")
def conv2d_forward(x, w, b, stride=1, padding=0):  # noqa: F811
    F, C, HH, WW = w.shape
    xp = _pad2d(x, padding)
    rows, cols, h_out, w_out = _window_indices(xp.shape[2], xp.shape[3], HH, WW, stride)
    patches = xp[:, :, rows, cols]  # (N, C, HH*WW, H_out*W_out)
    out = np.einsum("fk,nkp->nfp", w.reshape(F, -1), patches.reshape(len(x), C * HH * WW, -1), optimize=True)
    out = out.reshape(len(x), F, h_out, w_out) + b[None, :, None, None]
    return out.astype(x.dtype), _conv2d_forward(x, w, b, stride, padding)[1]


@alternative("conv2d", "add_at_col2im", "col2im by np.add.at on index arrays (unbuffered, the slowest correct style)",
             replaces="conv2d_backward")
def conv2d_backward(dout, cache):  # noqa: F811
    x_shape, cols, w, stride, padding = cache
    F, C, HH, WW = w.shape
    N, _, H_out, W_out = dout.shape
    d2 = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (d2 @ cols.T).reshape(w.shape)
    dcols = (w.reshape(F, -1).T @ d2).reshape(C, HH * WW, N, H_out * W_out).transpose(2, 0, 1, 3)
    rows, cols_i, _, _ = _window_indices(x_shape[2] + 2 * padding, x_shape[3] + 2 * padding, HH, WW, stride)
    dxp = np.zeros((N, C, x_shape[2] + 2 * padding, x_shape[3] + 2 * padding), dtype=dout.dtype)
    np.add.at(dxp, (slice(None), slice(None), rows, cols_i), dcols)
    dx = dxp[:, :, padding:padding + x_shape[2], padding:padding + x_shape[3]]
    return dx.astype(dout.dtype), dw.astype(dout.dtype), dout.sum(axis=(0, 2, 3)).astype(dout.dtype)


@alternative("maxpool2d", "add_at_scatter", "backward scatters dout to each window's first maximum with np.add.at",
             replaces="maxpool2d_backward")
def maxpool2d_backward(dout, cache):  # noqa: F811
    shape, argmax, k, stride, padding = cache
    n, c, h_out, w_out = dout.shape
    rows = stride * np.arange(h_out)[None, None, :, None] + argmax // k
    cols = stride * np.arange(w_out)[None, None, None, :] + argmax % k
    dxp = np.zeros((n, c, shape[2] + 2 * padding, shape[3] + 2 * padding), dtype=dout.dtype)
    np.add.at(dxp, (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols), dout)
    return dxp[:, :, padding:padding + shape[2], padding:padding + shape[3]]
