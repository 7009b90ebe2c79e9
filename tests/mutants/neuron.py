"""Wrong implementations of the neuron exercises; each must fail at least one test."""

import numpy as np

from gradeschool.mutants import mutant


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
