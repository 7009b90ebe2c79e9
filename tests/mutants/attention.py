"""Wrong implementations of the attention exercises; each must fail at least one test."""

import math

import numpy as np

from gradeschool.harness.mutants import mutant, solution

sol = solution("attention")


# ---------------------------------------------------------------- embedding
@mutant("embedding", "repeated_indices_lost", "dW[idx] += dout: a token used twice keeps only one of its rows",
        replaces="embedding_backward")
def embedding_backward(dout, cache):
    idx, shape, padding_idx = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    dW[idx] += dout
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW


@mutant("embedding", "padding_row_gets_gradient", "ignores padding_idx in the backward pass",
        replaces="embedding_backward")
def embedding_backward(dout, cache):  # noqa: F811
    idx, shape, _ = cache
    return sol.embedding_backward(dout, (idx, shape, None))


@mutant("embedding", "negative_padding_idx_missed", "zeros the gradient where idx == padding_idx: a negative "
        "padding_idx (counted from the end) never matches", replaces="embedding_backward")
def embedding_backward(dout, cache):  # noqa: F811
    idx, shape, padding_idx = cache
    if padding_idx is not None:
        dout = np.where((idx == padding_idx)[..., None], 0, dout).astype(dout.dtype)
    return sol.embedding_backward(dout, (idx, shape, None))


@mutant("embedding", "padding_output_zeroed", "returns a zero vector for the padding token (torch looks its row "
        "up as any other)", replaces="embedding_forward")
def embedding_forward(idx, W, padding_idx=None):
    out, cache = sol.embedding_forward(idx, W, padding_idx)
    if padding_idx is not None:
        out = np.where((idx == padding_idx % W.shape[0])[..., None], 0, out).astype(W.dtype)
    return out, cache


@mutant("embedding", "flattened_output", "looks up idx.ravel(): (N * T, D) instead of (N, T, D)",
        replaces="embedding_forward")
def embedding_forward(idx, W, padding_idx=None):  # noqa: F811
    return W[idx.ravel()], (idx, W.shape, padding_idx)


# ---------------------------------------------------------------- positional encoding
def _pe(T, d_model, dtype=np.float64, exponent=None, positions=None, sin_even=True, width=None):
    width = d_model if width is None else width
    pos = (np.arange(T, dtype=np.float64) if positions is None else positions)[:, None]
    cols = np.arange(width)
    exponent = (cols // 2 * 2) / width if exponent is None else exponent(cols, width)
    angles = pos / 10000.0 ** exponent
    even = np.sin(angles) if sin_even else np.cos(angles)
    odd = np.cos(angles) if sin_even else np.sin(angles)
    return np.where(cols % 2 == 0, even, odd)[:, :d_model].astype(dtype)


@mutant("positional_encoding", "sin_cos_swapped", "cosines in the even columns, sines in the odd ones")
def positional_encoding(T, d_model, dtype=np.float64):
    return _pe(T, d_model, dtype, sin_even=False)


@mutant("positional_encoding", "exponent_per_column", "10000 ** (j / d_model) for column j: columns 2i and "
        "2i + 1 get different frequencies")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    return _pe(T, d_model, dtype, exponent=lambda cols, d: cols / d)


@mutant("positional_encoding", "odd_width_padded", "an odd d_model computed as d_model + 1 and cropped: the "
        "frequencies of 10000 ** (2i / (d_model + 1))")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    return _pe(T, d_model, dtype, width=d_model + d_model % 2)


@mutant("positional_encoding", "positions_from_one", "positions 1..T instead of 0..T-1")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    return _pe(T, d_model, dtype, positions=np.arange(1, T + 1, dtype=np.float64))


@mutant("positional_encoding", "frequency_multiplied", "pos * 10000 ** (2i / d) instead of pos / 10000 ** (2i / d)")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    return _pe(T, d_model, dtype, exponent=lambda cols, d: -(cols // 2 * 2) / d)


@mutant("positional_encoding", "dtype_ignored", "always float64")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    return _pe(T, d_model, np.float64)


# ---------------------------------------------------------------- scaled dot-product attention
def _scores(q, k, attn_mask, is_causal, scale):
    L, E = q.shape[-2:]
    S = k.shape[-2]
    if is_causal:
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    scores = (q * np.asarray(scale, dtype=q.dtype)) @ np.swapaxes(k, -1, -2)
    return scores, attn_mask, scale


def _masked(scores, attn_mask, invert=False):
    if attn_mask is None:
        return scores
    if attn_mask.dtype == np.bool_:
        return np.where(~attn_mask if invert else attn_mask, scores, -np.inf).astype(scores.dtype)
    return scores + attn_mask.astype(scores.dtype)


def _softmax(scores, axis=-1, shift=True):
    top = scores.max(axis=axis, keepdims=True) if shift else 0
    if shift:
        top = np.where(np.isneginf(top), 0, top).astype(scores.dtype)
    e = np.exp(scores - top)
    total = e.sum(axis=axis, keepdims=True)
    return (e / np.where(total == 0, 1, total)).astype(scores.dtype)


def _attend(q, k, v, weights, scale):
    return weights @ v, (q, k, v, weights, scale)


@mutant("scaled_dot_product_attention", "softmax_over_queries", "the softmax normalises over the queries "
        "(axis -2), not over the keys", replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):
    scores, mask, scale = _scores(q, k, attn_mask, is_causal, scale)
    return _attend(q, k, v, _softmax(_masked(scores, mask), axis=-2), scale)


@mutant("scaled_dot_product_attention", "no_scale", "forgets the 1 / sqrt(E) (and a given scale)",
        replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):  # noqa: F811
    scores, mask, _ = _scores(q, k, attn_mask, is_causal, 1.0)
    return _attend(q, k, v, _softmax(_masked(scores, mask)), 1.0)


@mutant("scaled_dot_product_attention", "mask_after_softmax", "softmax of all the scores, then the masked weights "
        "set to 0: the rest no longer sums to 1", replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):  # noqa: F811
    scores, mask, scale = _scores(q, k, attn_mask, is_causal, scale)
    if mask is not None and mask.dtype == np.bool_:
        weights = (_softmax(scores) * mask).astype(q.dtype)
    else:
        weights = _softmax(_masked(scores, mask))
    return _attend(q, k, v, weights, scale)


@mutant("scaled_dot_product_attention", "bool_mask_inverted", "a boolean mask read as True = masked out "
        "(nn.MultiheadAttention's convention, not F.scaled_dot_product_attention's)",
        replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):  # noqa: F811
    scores, mask, scale = _scores(q, k, attn_mask, is_causal, scale)
    return _attend(q, k, v, _softmax(_masked(scores, mask, invert=True)), scale)


@mutant("scaled_dot_product_attention", "unstable_softmax", "exp of the raw scores: inf and NaN at scores of "
        "thousands", replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):  # noqa: F811
    scores, mask, scale = _scores(q, k, attn_mask, is_causal, scale)
    e = np.exp(_masked(scores, mask))
    return _attend(q, k, v, (e / e.sum(axis=-1, keepdims=True)).astype(q.dtype), scale)


@mutant("scaled_dot_product_attention", "fully_masked_nan", "the stable softmax of topic 1 as it is: a fully "
        "masked row computes -inf - (-inf) = NaN", replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):  # noqa: F811
    scores, mask, scale = _scores(q, k, attn_mask, is_causal, scale)
    s = _masked(scores, mask)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return _attend(q, k, v, e / e.sum(axis=-1, keepdims=True), scale)


@mutant("scaled_dot_product_attention", "causal_bottom_right", "is_causal aligned at the bottom right "
        "(np.tril(..., k=S - L)) instead of torch's top left", replaces="scaled_dot_product_attention_forward")
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):  # noqa: F811
    L, S = q.shape[-2], k.shape[-2]
    if is_causal:
        attn_mask, is_causal = np.tril(np.ones((L, S), dtype=bool), k=S - L), False
    return sol.scaled_dot_product_attention_forward(q, k, v, attn_mask, is_causal, scale)


@mutant("scaled_dot_product_attention", "no_softmax_jacobian", "dscores = P * dP: forgets the - sum(P * dP) of "
        "softmax's backward", replaces="scaled_dot_product_attention_backward")
def scaled_dot_product_attention_backward(dout, cache):
    q, k, v, weights, scale = cache
    dv = np.swapaxes(weights, -1, -2) @ dout
    dscores = weights * (dout @ np.swapaxes(v, -1, -2)) * scale
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, dv


@mutant("scaled_dot_product_attention", "dk_unscaled", "dk forgets the scale",
        replaces="scaled_dot_product_attention_backward")
def scaled_dot_product_attention_backward(dout, cache):  # noqa: F811
    dq, dk, dv = sol.scaled_dot_product_attention_backward(dout, cache)
    return dq, (dk / np.asarray(cache[4], dtype=dout.dtype)).astype(dout.dtype), dv


def _row_loop_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """Correct, one query row at a time (every leading axis at once)."""
    scores_shape = q.shape[:-1] + (k.shape[-2],)
    L, E = q.shape[-2:]
    S = k.shape[-2]
    if is_causal:
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    mask = None if attn_mask is None else np.broadcast_to(attn_mask, np.broadcast_shapes(attn_mask.shape, scores_shape))
    kT = np.swapaxes(k, -1, -2)
    weights = np.empty(np.broadcast_shapes(scores_shape, mask.shape if mask is not None else scores_shape), q.dtype)
    out = np.empty(weights.shape[:-1] + (v.shape[-1],), dtype=q.dtype)
    for i in range(L):
        s = (q[..., i:i + 1, :] * np.asarray(scale, dtype=q.dtype)) @ kT
        if mask is not None:
            s = _masked(s, mask[..., i:i + 1, :])
        w = _softmax(s)
        weights[..., i:i + 1, :] = w
        out[..., i:i + 1, :] = w @ v
    return out, (q, k, v, weights, scale)


def _row_loop_backward(dout, cache):
    """Correct, one query row at a time."""
    q, k, v, weights, scale = cache
    scale = np.asarray(scale, dtype=dout.dtype)
    dq, dk, dv = np.empty_like(q), np.zeros_like(k), np.zeros_like(v)
    vT = np.swapaxes(v, -1, -2)
    for i in range(q.shape[-2]):
        P, d = weights[..., i:i + 1, :], dout[..., i:i + 1, :]
        dv += np.swapaxes(P, -1, -2) @ d
        dP = d @ vT
        ds = P * (dP - (dP * P).sum(axis=-1, keepdims=True)) * scale
        dq[..., i:i + 1, :] = ds @ k
        dk += np.swapaxes(ds, -1, -2) @ q[..., i:i + 1, :]
    return dq, dk, dv


mutant("scaled_dot_product_attention", "query_row_loop_forward", "a Python loop over the query rows in the "
       "forward pass: correct, and 40-230x slower than torch with 65536 queries",
       replaces="scaled_dot_product_attention_forward")(_row_loop_forward)
mutant("scaled_dot_product_attention", "query_row_loop_backward", "a Python loop over the query rows in the "
       "backward pass: correct, and 27-190x slower than torch with 65536 queries",
       replaces="scaled_dot_product_attention_backward")(_row_loop_backward)


# ---------------------------------------------------------------- multi-head attention
def _mha(query, key, value, params, num_heads, key_padding_mask=None, attn_mask=None, average_attn_weights=True,
         split=None, merge=None, scale=None, kpm_keep=False, am_sdpa=False, am_head_major=False, reduce=None):
    """The solution's forward with one step swappable (for the mutants below)."""
    N, L, E = query.shape
    S = key.shape[1]
    H = num_heads
    d = E // H
    p = params
    Q, q_cache = sol.dense_forward(query.reshape(N * L, -1), p["W_q"], p["b_q"])
    K, k_cache = sol.dense_forward(key.reshape(N * S, -1), p["W_k"], p["b_k"])
    V, v_cache = sol.dense_forward(value.reshape(N * S, -1), p["W_v"], p["b_v"])
    split = split or (lambda X, T: X.reshape(N, T, H, d).transpose(0, 2, 1, 3))
    merge = merge or (lambda X: X.transpose(0, 2, 1, 3).reshape(N * L, E))
    allowed = np.ones((N, H, L, S), dtype=bool)
    additive = np.zeros((N, H, L, S), dtype=query.dtype)
    for m, kind in ((attn_mask, "am"), (key_padding_mask, "kpm")):
        if m is None:
            continue
        if kind == "am":
            m = (m.reshape(H, N, L, S).transpose(1, 0, 2, 3) if am_head_major else m.reshape(N, H, L, S)) \
                if m.ndim == 3 else m
        else:
            m = m[:, None, None, :]
        if m.dtype == np.bool_:
            keep = m if (kind == "kpm" and kpm_keep) or (kind == "am" and am_sdpa) else ~m
            allowed = allowed & keep
        else:
            additive = additive + m.astype(query.dtype)
    mask = np.where(allowed, additive, -np.inf).astype(query.dtype)
    heads_out, attn_cache = sol.scaled_dot_product_attention_forward(
        split(Q, L), split(K, S), split(V, S), attn_mask=mask, scale=1.0 / math.sqrt(d) if scale is None else scale)
    out, o_cache = sol.dense_forward(merge(heads_out), p["W_o"], p["b_o"])
    probs = attn_cache[3]
    weights = (reduce or (lambda P: P.mean(axis=1)))(probs) if average_attn_weights else probs
    cache = (q_cache, k_cache, v_cache, attn_cache, o_cache, (N, L, S, H, d, key.shape[2], value.shape[2]))
    return out.reshape(N, L, E), weights, cache


@mutant("multi_head_attention", "scale_by_d_model", "scales the scores by 1 / sqrt(E), the model size, instead "
        "of 1 / sqrt(E / H), the head size", replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None, attn_mask=None,
                                 average_attn_weights=True):
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                scale=1.0 / math.sqrt(query.shape[-1]))


@mutant("multi_head_attention", "heads_without_transpose", "splits the heads with a reshape (N, L, E) -> "
        "(N, H, L, d), without the transpose: positions leak into heads", replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    N, E, H = query.shape[0], query.shape[2], num_heads
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                split=lambda X, T: X.reshape(N, H, T, E // H),
                merge=lambda X: X.reshape(N * query.shape[1], E))


@mutant("multi_head_attention", "merge_without_transpose", "merges the heads (N, H, L, d) -> (N, L, E) with a "
        "reshape alone", replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    N, L, E = query.shape
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                merge=lambda X: X.reshape(N * L, E))


@mutant("multi_head_attention", "weights_not_averaged", "returns the sum of the heads' weights, not their mean",
        replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                reduce=lambda P: P.sum(axis=1))


@mutant("multi_head_attention", "key_padding_mask_inverted", "reads key_padding_mask as True = keep",
        replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                kpm_keep=True)


@mutant("multi_head_attention", "attn_mask_sdpa_convention", "hands a boolean attn_mask to attention as it is: "
        "True = may attend, the opposite of nn.MultiheadAttention's", replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                am_sdpa=True)


@mutant("multi_head_attention", "attn_mask_head_major", "reads an (N * H, L, S) attn_mask as head-major "
        "(index h * N + n) instead of torch's n * H + h", replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    return _mha(query, key, value, params, num_heads, key_padding_mask, attn_mask, average_attn_weights,
                am_head_major=True)


@mutant("multi_head_attention", "out_projection_grad_transposed", "dW_o = dout^T @ concat: the transpose of the "
        "gradient (square, so the shape hides it)", replaces="multi_head_attention_backward")
def multi_head_attention_backward(dout, cache):
    dq, dk, dv, g = sol.multi_head_attention_backward(dout, cache)
    return dq, dk, dv, {**g, "W_o": g["W_o"].T.copy()}


mutant("multi_head_attention", "query_row_loop_forward", "attention computed one query row at a time in the "
       "forward pass: correct, and 25-100x slower than torch with 16384 queries",
       replaces="scaled_dot_product_attention_forward")(_row_loop_forward)
mutant("multi_head_attention", "query_row_loop_backward", "attention's backward one query row at a time: "
       "correct, and 24-79x slower than torch with 16384 queries",
       replaces="scaled_dot_product_attention_backward")(_row_loop_backward)


# ---------------------------------------------------------------- the encoder block
@mutant("transformer_encoder_block", "gelu_backward_no_density", "gelu'(x) = Phi(x): forgets the x * phi(x) of "
        "the product rule", replaces="gelu_backward")
def gelu_backward(dout, x):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (dout * 0.5 * (1 + erf(x / math.sqrt(2)))).astype(x.dtype)


def _block_forward(x, params, num_heads, activation="relu", norm_first=False, src_mask=None,
                   src_key_padding_mask=None, eps=1e-5, act=None, ff_residual=True, norm_before_residual=False,
                   prenorm_residual_normed=False):
    """The solution's forward with one step swappable; its cache is the solution's."""
    N, T, E = x.shape
    p = params
    act = act or {"relu": sol.relu, "gelu": sol.gelu}[activation]
    c = {"norm_first": norm_first, "activation": activation, "shape": x.shape}

    def sa(z):
        out, c["weights"], c["attn"] = sol.multi_head_attention_forward(z, z, z, p, num_heads, src_key_padding_mask,
                                                                        src_mask)
        return out

    def ff(z):
        hidden, c["ff1"] = sol.dense_forward(z.reshape(N * T, E), p["W_1"], p["b_1"])
        c["hidden"] = hidden
        out, c["ff2"] = sol.dense_forward(act(hidden), p["W_2"], p["b_2"])
        return out.reshape(N, T, E)

    def ln(z, i):
        return sol.layernorm_forward(z, p[f"gamma_{i}"], p[f"beta_{i}"], eps)

    if norm_first:
        z, c["norm1"] = ln(x, 1)
        h = (z if prenorm_residual_normed else x) + sa(z)
        z, c["norm2"] = ln(h, 2)
        out = (h if ff_residual else 0) + ff(z)
    elif norm_before_residual:
        a, c["norm1"] = ln(sa(x), 1)
        h = x + a
        f, c["norm2"] = ln(ff(h), 2)
        out = h + f
    else:
        h, c["norm1"] = ln(x + sa(x), 1)
        out, c["norm2"] = ln((h if ff_residual else 0) + ff(h), 2)
    return out.astype(x.dtype), c


@mutant("transformer_encoder_block", "ff_residual_missing", "the feed-forward sublayer has no residual "
        "connection", replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False, src_mask=None,
                                      src_key_padding_mask=None, eps=1e-5):
    return _block_forward(x, params, num_heads, activation, norm_first, src_mask, src_key_padding_mask, eps,
                          ff_residual=False)


@mutant("transformer_encoder_block", "norm_first_ignored", "always post-norm",
        replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,  # noqa: F811
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    return sol.transformer_encoder_block_forward(x, params, num_heads, activation, False, src_mask,
                                                 src_key_padding_mask, eps)


@mutant("transformer_encoder_block", "norm_before_residual", "post-norm as x + layernorm(sa(x)): the norm "
        "inside the residual branch", replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,  # noqa: F811
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    return _block_forward(x, params, num_heads, activation, norm_first, src_mask, src_key_padding_mask, eps,
                          norm_before_residual=True)


@mutant("transformer_encoder_block", "prenorm_residual_from_normed", "pre-norm adds sa(z) to the normalised z "
        "instead of to x", replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,  # noqa: F811
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    return _block_forward(x, params, num_heads, activation, norm_first, src_mask, src_key_padding_mask, eps,
                          prenorm_residual_normed=True)


@mutant("transformer_encoder_block", "gelu_tanh", "the tanh approximation of gelu, not the exact (erf) one of "
        "torch's 'gelu'", replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,  # noqa: F811
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    act = (lambda z: sol.gelu(z, approximate="tanh")) if activation == "gelu" else None
    return _block_forward(x, params, num_heads, activation, norm_first, src_mask, src_key_padding_mask, eps, act=act)


@mutant("transformer_encoder_block", "activation_ignored", "always relu", replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,  # noqa: F811
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    return sol.transformer_encoder_block_forward(x, params, num_heads, "relu", norm_first, src_mask,
                                                 src_key_padding_mask, eps)


@mutant("transformer_encoder_block", "self_attention_grad_query_only", "the input gets dquery only, not dquery + "
        "dkey + dvalue", replaces="multi_head_attention_backward")
def multi_head_attention_backward(dout, cache):  # noqa: F811
    dq, dk, dv, g = sol.multi_head_attention_backward(dout, cache)
    return dq, np.zeros_like(dk), np.zeros_like(dv), g


# ---------------------------------------------------------------- word2vec
def _pairs(tokens, window, keep):
    tokens = np.asarray(tokens)
    T = len(tokens)
    rows = [keep(tokens, i, j, T) for i in range(T) for j in range(i - window, i + window + 1)]
    rows = [r for r in rows if r is not None]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


@mutant("skipgram_pairs", "includes_center", "pairs every word with itself too")
def skipgram_pairs(tokens, window):
    return _pairs(tokens, window, lambda t, i, j, T: (t[i], t[j]) if 0 <= j < T else None)


@mutant("skipgram_pairs", "window_off_by_one", "range(i - window, i + window): the last context of each "
        "window is missing")
def skipgram_pairs(tokens, window):  # noqa: F811
    return _pairs(tokens, window, lambda t, i, j, T: (t[i], t[j]) if 0 <= j < T and j != i and j != i + window
                  else None)


@mutant("skipgram_pairs", "columns_swapped", "(context, center) instead of (center, context)")
def skipgram_pairs(tokens, window):  # noqa: F811
    return _pairs(tokens, window, lambda t, i, j, T: (t[j], t[i]) if 0 <= j < T and j != i else None)


@mutant("skipgram_pairs", "positions_not_tokens", "pairs of positions (i, j) instead of tokens")
def skipgram_pairs(tokens, window):  # noqa: F811
    return _pairs(tokens, window, lambda t, i, j, T: (i, j) if 0 <= j < T and j != i else None)


@mutant("skipgram_pairs", "wraps_around", "the window wraps around the ends of the text (j % T)")
def skipgram_pairs(tokens, window):  # noqa: F811
    return _pairs(tokens, window, lambda t, i, j, T: (t[i], t[j % T]) if j != i else None)


def _skipgram(center, context, negatives, W_in, W_out, sign=1.0, neg_sign=1.0, reduce="mean", scatter="add_at",
              stable=True, center_negatives=True):
    B, D = len(center), W_in.shape[1]
    v, u_o, u_n = W_in[center], W_out[context], W_out[negatives]
    pos = (v * u_o).sum(axis=1)
    neg = neg_sign * (u_n @ v[:, :, None])[..., 0]

    def nls(x):  # -log sigmoid(x)
        if stable:
            return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        return -np.log(1 / (1 + np.exp(-x)))

    def sigmoid(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    n = B if reduce == "mean" else 1
    loss = (nls(pos) + nls(-neg).sum(axis=1)).sum() / n
    dpos = -sigmoid(-pos) / n
    dneg = sign * neg_sign * sigmoid(neg) / n
    dv = dpos[:, None] * u_o + ((dneg[:, :, None] * u_n).sum(axis=1) if center_negatives else 0)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)

    def add(table, idx, rows):
        if scatter == "add_at":
            np.add.at(table, idx, rows)
        else:
            table[idx] += rows

    add(dW_in, center, dv)
    add(dW_out, context, dpos[:, None] * v)
    add(dW_out, negatives.reshape(-1), (dneg[:, :, None] * v[:, None, :]).reshape(-1, D))
    return np.asarray(loss).astype(W_in.dtype)[()], (dW_in.astype(W_in.dtype), dW_out.astype(W_in.dtype))


@mutant("skipgram_loss", "negative_gradient_sign_flipped", "the negative samples' gradient with the wrong sign: "
        "they get pulled closer instead of pushed away")
def skipgram_loss(center, context, negatives, W_in, W_out):
    return _skipgram(center, context, negatives, W_in, W_out, sign=-1.0)


@mutant("skipgram_loss", "repeated_words_lost", "dW[idx] += rows: a word used twice in the batch keeps one update")
def skipgram_loss(center, context, negatives, W_in, W_out):  # noqa: F811
    return _skipgram(center, context, negatives, W_in, W_out, scatter="fancy")


@mutant("skipgram_loss", "unstable_log_sigmoid", "np.log(1 / (1 + exp(-x))): log(0) = -inf for large negative "
        "scores")
def skipgram_loss(center, context, negatives, W_in, W_out):  # noqa: F811
    return _skipgram(center, context, negatives, W_in, W_out, stable=False)


@mutant("skipgram_loss", "summed_not_averaged", "sums the pairs' losses instead of averaging")
def skipgram_loss(center, context, negatives, W_in, W_out):  # noqa: F811
    return _skipgram(center, context, negatives, W_in, W_out, reduce="sum")


@mutant("skipgram_loss", "negatives_attract", "log sigmoid(+u_k . v) for the negatives: the loss rewards them")
def skipgram_loss(center, context, negatives, W_in, W_out):  # noqa: F811
    return _skipgram(center, context, negatives, W_in, W_out, neg_sign=-1.0)


@mutant("skipgram_loss", "center_grad_misses_negatives", "dW_in gets the true context's pull only, not the "
        "negatives' push")
def skipgram_loss(center, context, negatives, W_in, W_out):  # noqa: F811
    return _skipgram(center, context, negatives, W_in, W_out, center_negatives=False)


# ---------------------------------------------------------------- the capstone
@mutant("TinyTransformer", "no_positional_encoding", "forward leaves the positional encoding out")
class TinyTransformer(sol.TinyTransformer):
    def forward(self, x):
        N, T = x.shape
        h, emb_cache = sol.embedding_forward(x, self.params["embedding"])
        block_caches = []
        for b in range(self.num_blocks):
            h, c = sol.transformer_encoder_block_forward(h, self.block_params(b), self.num_heads, self.activation,
                                                         self.norm_first)
            block_caches.append(c)
        logits, out_cache = sol.dense_forward(h.reshape(N * T, self.d_model), self.params["W_out"],
                                              self.params["b_out"])
        self.cache = (emb_cache, block_caches, out_cache, (N, T))
        return logits.reshape(N, T, self.vocab_size)


@mutant("TinyTransformer", "summed_loss", "the loss sums over the N * T tokens instead of averaging")
class TinyTransformer(sol.TinyTransformer):  # noqa: F811
    def loss(self, x, y):
        logits = self.forward(x)
        loss, dlogits = sol.sparse_categorical_cross_entropy(logits.reshape(-1, self.vocab_size), y.reshape(-1),
                                                             reduction="sum")
        self.backward(dlogits.reshape(logits.shape))
        return float(loss)


@mutant("TinyTransformer", "embedding_not_trained", "backward leaves the embedding's gradient at zero")
class TinyTransformer(sol.TinyTransformer):  # noqa: F811
    def backward(self, dlogits):
        super().backward(dlogits)
        self.grads["embedding"] = np.zeros_like(self.grads["embedding"])


@mutant("TinyTransformer", "fresh_adam_per_batch", "a new Adam every batch: its moments and step count are lost")
class TinyTransformer(sol.TinyTransformer):  # noqa: F811
    def fit(self, x, y, epochs=10, lr=3e-3, batch_size=64, seed=0):
        rng, keys, history = np.random.default_rng(seed), list(self.params), []
        for _ in range(epochs):
            order, losses = rng.permutation(len(x)), []
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                losses.append(self.loss(x[batch], y[batch]))
                sol.Adam([self.params[k] for k in keys], lr=lr).step([self.grads[k] for k in keys])
            history.append(float(np.mean(losses)))
        return history


@mutant("TinyTransformer", "predict_wrong_axis", "predict takes the argmax over the positions (axis 1)")
class TinyTransformer(sol.TinyTransformer):  # noqa: F811
    def predict(self, x):
        return self.forward(x).argmax(axis=1)


@mutant("TinyTransformer", "attention_maps_heads_added", "attention_maps adds the heads' weights instead of "
        "averaging them")
class TinyTransformer(sol.TinyTransformer):  # noqa: F811
    def attention_maps(self, x):
        self.forward(x)
        return np.stack([c["attn"][3][3].sum(axis=1) for c in self.cache[1]])


# ---------------------------------------------------------------- loops (correct, too slow: the speed gates)
@mutant("embedding", "position_loop_backward", "dW[idx[i]] += dout[i], one token position at a time: correct, "
        "and too slow with 16384 tokens", replaces="embedding_backward")
def embedding_backward(dout, cache):  # noqa: F811
    idx, shape, padding_idx = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    flat, rows = idx.reshape(-1), dout.reshape(-1, shape[1])
    for i in range(len(flat)):
        dW[flat[i]] += rows[i]
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW


@mutant("embedding", "sample_loop_backward", "np.add.at once per sample (row of idx): correct, and too slow "
        "with many short samples", replaces="embedding_backward")
def embedding_backward(dout, cache):  # noqa: F811
    idx, shape, padding_idx = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    idx2, rows = idx.reshape(len(idx), -1) if idx.ndim else idx.reshape(1, 1), dout.reshape(-1, shape[1])
    per = idx2.shape[1]
    for n in range(idx2.shape[0]):
        np.add.at(dW, idx2[n], rows[n * per:(n + 1) * per])
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW


@mutant("embedding", "vocabulary_loop_backward", "dW[v] = dout[idx == v].sum(axis=0) for every token v used: "
        "correct, and too slow with hundreds of distinct tokens", replaces="embedding_backward")
def embedding_backward(dout, cache):  # noqa: F811
    idx, shape, padding_idx = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    for v in np.unique(idx):
        dW[v] = dout[idx == v].sum(axis=0)
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW


@mutant("embedding", "position_loop_forward", "looks every position up in a Python loop: correct, and too slow "
        "with 16384 tokens", replaces="embedding_forward")
def embedding_forward(idx, W, padding_idx=None):  # noqa: F811
    flat = idx.reshape(-1)
    out = np.empty((len(flat), W.shape[1]), dtype=W.dtype)
    for i in range(len(flat)):
        out[i] = W[flat[i]]
    return out.reshape(*idx.shape, W.shape[1]), (idx, W.shape, padding_idx)


@mutant("skipgram_pairs", "double_loop", "for i in range(T): for j in range(i - window, i + window + 1): "
        "correct, and too slow on a text of 8192 tokens")
def skipgram_pairs(tokens, window):  # noqa: F811
    return _pairs(tokens, window, lambda t, i, j, T: (t[i], t[j]) if 0 <= j < T and j != i else None)


@mutant("skipgram_pairs", "center_loop", "one np.arange of contexts per center position: correct, and too slow "
        "on a text of 8192 tokens")
def skipgram_pairs(tokens, window):  # noqa: F811
    tokens = np.asarray(tokens)
    T = len(tokens)
    parts = []
    for i in range(T):
        j = np.arange(max(0, i - window), min(T, i + window + 1))
        j = j[j != i]
        parts.append(np.stack([np.full(len(j), tokens[i]), tokens[j]], axis=1))
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros((0, 2), dtype=np.int64)


@mutant("skipgram_loss", "sample_loop", "the loss and gradients of one (center, context, negatives) sample at a "
        "time: correct, and too slow with 4096 samples")
def skipgram_loss(center, context, negatives, W_in, W_out):  # noqa: F811
    B = len(center)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    total = 0.0
    for b in range(B):
        v, u_o, u_n = W_in[center[b]], W_out[context[b]], W_out[negatives[b]]
        pos, neg = v @ u_o, u_n @ v
        total += np.logaddexp(0, -pos) + np.logaddexp(0, neg).sum()
        dpos, dneg = -1 / (1 + np.exp(pos)) / B, 1 / (1 + np.exp(-neg)) / B
        dW_in[center[b]] += dpos * u_o + dneg @ u_n
        dW_out[context[b]] += dpos * v
        np.add.at(dW_out, negatives[b], dneg[:, None] * v)
    return np.asarray(total / B).astype(W_in.dtype)[()], (dW_in, dW_out)


@mutant("positional_encoding", "position_loop", "one row per position in a Python loop: correct, and too slow "
        "with 4096 positions")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    cols = np.arange(d_model)
    freq = 1.0 / 10000.0 ** ((cols // 2 * 2) / d_model)
    pe = np.empty((T, d_model))
    for pos in range(T):
        angles = pos * freq
        pe[pos] = np.where(cols % 2 == 0, np.sin(angles), np.cos(angles))
    return pe.astype(dtype)


@mutant("positional_encoding", "column_loop", "for i in range(0, d_model, 2): pe[:, i] = sin, pe[:, i + 1] = cos "
        "(the tutorial's loop): correct, and too slow with 4096 columns")
def positional_encoding(T, d_model, dtype=np.float64):  # noqa: F811
    pos = np.arange(T, dtype=np.float64)
    pe = np.empty((T, d_model))
    for i in range(0, d_model, 2):
        angles = pos / 10000.0 ** (i / d_model)
        pe[:, i] = np.sin(angles)
        if i + 1 < d_model:
            pe[:, i + 1] = np.cos(angles)
    return pe.astype(dtype)


def _attention_per_sample(q, k, v, attn_mask=None, scale=None):
    """The solution's attention called once per sample (its cache: the whole batch's)."""
    parts = [sol.scaled_dot_product_attention_forward(q[n:n + 1], k[n:n + 1], v[n:n + 1],
                                                      attn_mask=None if attn_mask is None else attn_mask[n:n + 1],
                                                      scale=scale) for n in range(len(q))]
    out = np.concatenate([o for o, _ in parts])
    weights = np.concatenate([c[3] for _, c in parts])
    return out, (q, k, v, weights, scale)


@mutant("multi_head_attention", "sample_loop_forward", "the projections and heads batched, but attention called "
        "once per sample: correct, and too slow with 512 short sequences", replaces="multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,  # noqa: F811
                                 attn_mask=None, average_attn_weights=True):
    N, L, E = query.shape
    S, H, p = key.shape[1], num_heads, params
    d = E // H
    Q, q_cache = sol.dense_forward(query.reshape(N * L, -1), p["W_q"], p["b_q"])
    K, k_cache = sol.dense_forward(key.reshape(N * S, -1), p["W_k"], p["b_k"])
    V, v_cache = sol.dense_forward(value.reshape(N * S, -1), p["W_v"], p["b_v"])
    allowed = np.ones((N, H, L, S), dtype=bool)
    additive = np.zeros((N, H, L, S), dtype=query.dtype)
    for m in (None if attn_mask is None else attn_mask.reshape(N, H, L, S) if attn_mask.ndim == 3 else attn_mask,
              None if key_padding_mask is None else key_padding_mask[:, None, None, :]):
        if m is None:
            continue
        if m.dtype == np.bool_:
            allowed = allowed & ~m
        else:
            additive = additive + m.astype(query.dtype)
    mask = np.where(allowed, additive, -np.inf).astype(query.dtype)

    def heads(X, T):
        return X.reshape(N, T, H, d).transpose(0, 2, 1, 3)

    heads_out, attn_cache = _attention_per_sample(heads(Q, L), heads(K, S), heads(V, S), mask, 1.0 / math.sqrt(d))
    out, o_cache = sol.dense_forward(heads_out.transpose(0, 2, 1, 3).reshape(N * L, E), p["W_o"], p["b_o"])
    probs = attn_cache[3]
    weights = probs.mean(axis=1) if average_attn_weights else probs
    cache = (q_cache, k_cache, v_cache, attn_cache, o_cache, (N, L, S, H, d, key.shape[2], value.shape[2]))
    return out.reshape(N, L, E), weights, cache


def _merged(caches, N):
    """The caches of one-sample calls as one cache of the batch: arrays stacked along their
    first axis (rows, samples), the shared ones (parameters) and the rest kept from the
    first, a shape tuple (1, ...) given the batch's N."""
    first = caches[0]
    if type(first) is np.ndarray:
        return first if all(c is first for c in caches) else np.concatenate(caches)
    if isinstance(first, dict):
        return {k: _merged([c[k] for c in caches], N) for k in first}
    if isinstance(first, tuple | list):
        if len(first) in (3, 7) and all(type(x) is int for x in first) and first[0] == 1:
            return type(first)((N, *first[1:]))
        return type(first)(_merged([c[i] for c in caches], N) for i in range(len(first)))
    return first


@mutant("transformer_encoder_block", "sample_loop_forward", "the block's forward pass one sample at a time (the "
        "caches stacked for the backward pass): correct, and too slow with 512 short sequences",
        replaces="transformer_encoder_block_forward")
def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,  # noqa: F811
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    H, N = num_heads, len(x)
    outs, caches = [], []
    for n in range(N):
        am = src_mask[n * H:(n + 1) * H] if src_mask is not None and src_mask.ndim == 3 else src_mask
        kpm = None if src_key_padding_mask is None else src_key_padding_mask[n:n + 1]
        out, cache = sol.transformer_encoder_block_forward(x[n:n + 1], params, H, activation, norm_first, am, kpm,
                                                           eps)
        outs.append(out)
        caches.append(cache)
    if not outs:
        return sol.transformer_encoder_block_forward(x, params, H, activation, norm_first, src_mask,
                                                     src_key_padding_mask, eps)
    return np.concatenate(outs), _merged(caches, N)
