"""Correct alternatives for the attention exercises: other styles a learner may write. Every
test must accept them (tests/kit/testing/test_alternatives.py), speed gates included
(tests/kit/testing/calibrate_gates.py measures them).

Registered with the mutants' decorator (`alternative` below): an alternative is a mutant
that must NOT be caught."""

import numpy as np

from gradeschool.harness.mutants import mutant as alternative


@alternative("embedding", "bincount_per_feature", "np.bincount(idx, weights=dout[..., e]) for each of the D "
             "features (a loop over the short feature axis)", replaces="embedding_backward")
def embedding_backward(dout, cache):
    idx, shape, padding_idx = cache
    flat, rows = idx.reshape(-1), dout.reshape(-1, shape[1])
    dW = np.stack([np.bincount(flat, weights=rows[:, e], minlength=shape[0]) for e in range(shape[1])], axis=1)
    dW = dW.reshape(shape).astype(dout.dtype)
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW


@alternative("embedding", "sort_and_reduceat", "sort the positions by token, np.add.reduceat over each run",
             replaces="embedding_backward")
def embedding_backward(dout, cache):  # noqa: F811
    idx, shape, padding_idx = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    flat = idx.reshape(-1)
    if flat.size:
        order = np.argsort(flat, kind="stable")
        tokens = flat[order]
        starts = np.flatnonzero(np.r_[True, tokens[1:] != tokens[:-1]])
        dW[tokens[starts]] = np.add.reduceat(dout.reshape(-1, shape[1])[order], starts, axis=0)
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW


@alternative("skipgram_pairs", "offset_matrix", "a (T, 2 * window) matrix of context positions, masked to the "
             "text and read row by row")
def skipgram_pairs(tokens, window):
    tokens = np.asarray(tokens)
    T = len(tokens)
    offsets = np.r_[np.arange(-window, 0), np.arange(1, window + 1)]
    i = np.repeat(np.arange(T)[:, None], len(offsets), axis=1)
    j = i + offsets
    inside = (j >= 0) & (j < T)
    return np.stack([tokens[i[inside]], tokens[j[inside]]], axis=1).astype(np.int64).reshape(-1, 2)


@alternative("positional_encoding", "slices", "pe[:, 0::2] = sin, pe[:, 1::2] = cos (torch's tutorial), in "
             "float64, cast at the end")
def positional_encoding(T, d_model, dtype=np.float64):
    pos = np.arange(T, dtype=np.float64)[:, None]
    div = np.exp(np.arange(0, d_model, 2) * (-np.log(10000.0) / d_model))
    pe = np.zeros((T, d_model))
    pe[:, 0::2] = np.sin(pos * div)
    pe[:, 1::2] = np.cos(pos * div[: d_model // 2])
    return pe.astype(dtype)


@alternative("skipgram_loss", "bincount_scatter", "the gradients' scatter with np.bincount per feature, "
             "float64 inside, cast back")
def skipgram_loss(center, context, negatives, W_in, W_out):
    B, (V, D) = len(center), W_in.shape
    v, u_o, u_n = (a.astype(np.float64) for a in (W_in[center], W_out[context], W_out[negatives]))
    pos = np.einsum("bd,bd->b", v, u_o)
    neg = np.einsum("bkd,bd->bk", u_n, v)
    loss = (np.logaddexp(0, -pos) + np.logaddexp(0, neg).sum(axis=1)).mean()
    dpos = -1 / (1 + np.exp(np.clip(pos, -700, 700))) / B
    dneg = 1 / (1 + np.exp(-np.clip(neg, -700, 700))) / B
    dv = dpos[:, None] * u_o + np.einsum("bk,bkd->bd", dneg, u_n)

    def scatter(index, rows):
        return np.stack([np.bincount(index, weights=rows[:, e], minlength=V) for e in range(D)], axis=1)

    dW_in = scatter(center, dv)
    dW_out = scatter(np.r_[context, negatives.reshape(-1)],
                     np.concatenate([dpos[:, None] * v, (dneg[:, :, None] * v[:, None, :]).reshape(-1, D)]))
    return np.asarray(loss).astype(W_in.dtype)[()], (dW_in.astype(W_in.dtype), dW_out.astype(W_in.dtype))
