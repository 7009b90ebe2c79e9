"""Topic 8 — attention: self-attention and the transformer block.

A token (a word, a digit) enters a network as a row of an embedding table: a vector the
network learns. Word2vec learns such vectors from the words around each word (skip-gram
with negative sampling). Attention lets every position of a sequence look at every other
position and take a weighted average of what it finds there:

    scores  = q @ k^T / sqrt(E)           (one row per query, one column per key)
    weights = softmax(scores)             (over the keys: each row sums to 1)
    out     = weights @ v

Multi-head attention runs H such attentions side by side on learned projections of the
input, each on E / H of the features, and mixes the heads with one more projection. A
transformer encoder block is multi-head self-attention and a two-layer feed-forward
network, each with a residual connection and a layer normalisation. Attention itself does
not know the order of the tokens: a positional encoding added to the embeddings does.

Layout and conventions (as torch, batch first):
- Sequences are (N, T, E) = (samples, positions, features). A query sequence has L
  positions, a key/value sequence S (L != S in cross-attention).
- Dense weights are stored (in_features, out_features): a layer is x @ W + b (torch's
  nn.Linear holds W.T). The multi-head attention's parameters are a dict
      {"W_q": (E, E), "b_q": (E,), "W_k": (E_k, E), "b_k": (E,), "W_v": (E_v, E),
       "b_v": (E,), "W_o": (E, E), "b_o": (E,)}
  with E_k, E_v the features of key and value (E for self-attention); the encoder block's
  dict adds "W_1" (E, F), "b_1" (F,), "W_2" (F, E), "b_2" (E,), and the layer norms'
  "gamma_1", "beta_1", "gamma_2", "beta_2" (E,). Backward passes return the gradients of
  the parameters in a dict with the same keys and shapes.
- Layers are pairs: *_forward(...) returns (out, cache) (multi_head_attention_forward
  returns (out, weights, cache)), *_backward(dout, cache) returns the gradients.
- Masks. Two conventions meet here, and this kit follows torch in both:
  * scaled_dot_product_attention (torch's F.scaled_dot_product_attention): a boolean
    attn_mask says where a query MAY attend (True = attend, False = masked out).
  * multi_head_attention and the encoder block (torch's nn.MultiheadAttention): a boolean
    attn_mask or key_padding_mask says what is MASKED OUT (True = may not attend).
  A float mask is added to the scores in both (0 = attend, -inf = never).
- A query that may attend to no key at all (its whole mask row False, or every score
  -inf) gets zero weights: its row of `out` is 0 (before any output projection) and it
  sends no gradient back. torch 2.13's F.scaled_dot_product_attention does the same;
  nn.MultiheadAttention gives NaN there.
- Every function returns the input's dtype (float32 in, float32 out) and never modifies
  its inputs. Use NumPy, the standard library and your own layers of the earlier topics
  (imported below) only.

Vectorise: a Python loop over query rows is many times slower than torch and fails the
speed tests. A loop over the few heads is fine; one batched matrix product (np.matmul on
(..., L, E) arrays) over every head and sample at once is best.
"""

import math

import numpy as np
from backprop import dense_backward, relu_backward
from losses import sparse_categorical_cross_entropy
from neuron import dense_forward, gelu, relu
from optimizers import Adam
from regularization import layernorm_backward, layernorm_forward


# ---------------------------------------------------------------- embeddings
def embedding_forward(idx, W, padding_idx=None):
    """Embedding lookup (torch's F.embedding): each index picks a row of the table.

        out[..., :] = W[idx[...], :]

    Inputs:
    - idx: integer indices, any shape (e.g. (N, T) token ids), values in [0, V).
    - W: the embedding table, shape (V, D).
    - padding_idx: None, or the index of a padding token, an int in [-V, V) (negative
      counts from the end, as torch). Its row is looked up as any other, but it never
      receives a gradient (see embedding_backward).

    Returns a tuple (out, cache):
    - out: shape idx.shape + (D,), W's dtype.
    - cache: what embedding_backward needs.

    Hint: NumPy's fancy indexing W[idx] does the whole lookup, whatever idx's shape.
    """
    # BEGIN SOLUTION
    return W[idx], (idx, W.shape, padding_idx)
    # END SOLUTION


def embedding_backward(dout, cache):
    """Backward pass of the embedding lookup: the gradient of the table.

        dW[v] = sum of dout[...] over every position where idx[...] == v
        dW[padding_idx] = 0     (when padding_idx is given)

    A token used twice in a batch collects BOTH gradients: they add up.

    Inputs:
    - dout: upstream gradient, shape idx.shape + (D,).
    - cache: the cache returned by embedding_forward.

    Returns:
    - dW: shape (V, D), dout's dtype (zero rows for tokens that were not used).

    Hint: `dW[idx] += dout` is a trap: with a repeated index, NumPy writes the row once
    and the other updates are lost. np.add.at(dW, idx, dout) adds every one of them.
    """
    # BEGIN SOLUTION
    idx, shape, padding_idx = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    np.add.at(dW, idx.reshape(-1), dout.reshape(-1, shape[1]))
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW
    # END SOLUTION


def positional_encoding(T, d_model, dtype=np.float64):
    """The sinusoidal positional encoding of "Attention is all you need".

        PE[pos, 2i]     = sin(pos / 10000 ** (2i / d_model))
        PE[pos, 2i + 1] = cos(pos / 10000 ** (2i / d_model))

    for pos = 0 .. T - 1 and every column: even columns hold sines, odd columns cosines,
    and columns 2i and 2i + 1 share one frequency. With an odd d_model the last column is
    a sine (2i = d_model - 1) without its cosine.

    Inputs:
    - T: number of positions, an int >= 1.
    - d_model: number of features, an int >= 1 (odd allowed).
    - dtype: the dtype of the result.

    Returns:
    - PE: shape (T, d_model), of `dtype`.

    Hint: build the column's exponent 2i from np.arange(d_model) // 2 (so that columns
    2i and 2i + 1 both get 2i), the angles with one broadcast (T, 1) * (1, d_model), then
    pick sin or cos by the parity of the column. Compute in float64 and convert at the end.
    """
    # BEGIN SOLUTION
    pos = np.arange(T, dtype=np.float64)[:, None]
    two_i = (np.arange(d_model) // 2 * 2).astype(np.float64)
    angles = pos / 10000.0 ** (two_i / d_model)
    pe = np.where(np.arange(d_model) % 2 == 0, np.sin(angles), np.cos(angles))
    return pe.astype(dtype)
    # END SOLUTION


# ---------------------------------------------------------------- attention
def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """Scaled dot-product attention (torch's F.scaled_dot_product_attention).

        scores  = q @ k^T * scale                        (..., L, S), scale = 1 / sqrt(E)
        scores  = where(attn_mask, scores, -inf)         (a boolean mask: True = may attend)
             or = scores + attn_mask                     (a float mask: added)
        weights = softmax(scores, over the keys: the last axis)
        out     = weights @ v

    A query row that may attend to no key (every score -inf after the mask) gets weights
    0 and an output row of 0, not NaN.

    Inputs:
    - q: queries, shape (..., L, E); k: keys, shape (..., S, E); v: values, shape
      (..., S, E_v). "..." is the same for all three: none, or any leading axes
      (batch, heads).
    - attn_mask: None; a boolean array broadcastable to (..., L, S), True where a query
      may attend to a key; or a float array of q's dtype broadcastable to (..., L, S),
      added to the scores (0 = attend, -inf = never).
    - is_causal: if True, query i may attend to key j only for j <= i: the mask
      np.tril(np.ones((L, S), dtype=bool)) (aligned at the top left when L != S, as torch).
      Not together with attn_mask.
    - scale: the factor of the scores, a float; None means 1 / sqrt(E).

    Returns a tuple (out, cache):
    - out: shape (..., L, E_v), q's dtype.
    - cache: what scaled_dot_product_attention_backward needs (the weights, surely: keep
      them, multi_head_attention_forward can reuse them).

    Hint: np.swapaxes(k, -1, -2) transposes the last two axes whatever the leading ones;
    `@` (np.matmul) multiplies every pair of matrices of the leading axes at once. The
    softmax is the stable one of topic 1, with a twist: a row whose maximum is -inf
    (fully masked) would compute -inf - (-inf) = NaN, so shift such a row by 0 instead
    and give it a sum of 1.
    """
    # BEGIN SOLUTION
    L, E = q.shape[-2:]
    S = k.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise ValueError("is_causal=True and an attn_mask cannot be given together")
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    scores = (q * np.asarray(scale, dtype=q.dtype)) @ np.swapaxes(k, -1, -2)
    if attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            scores = np.where(attn_mask, scores, -np.inf).astype(q.dtype, copy=False)
        else:
            scores = scores + attn_mask.astype(q.dtype, copy=False)
    top = scores.max(axis=-1, keepdims=True)
    dead = np.isneginf(top)
    if dead.any():  # fully masked rows: exp(-inf - 0) = 0 everywhere, and a sum of 1
        top = np.where(dead, 0, top).astype(q.dtype, copy=False)
    weights = np.exp(scores - top)
    total = weights.sum(axis=-1, keepdims=True)
    if dead.any():
        total[dead] = 1
    weights /= total
    out = weights @ v
    return out, (q, k, v, weights, scale)
    # END SOLUTION


def scaled_dot_product_attention_backward(dout, cache):
    """Backward pass of scaled dot-product attention.

    With P the weights of the forward pass:

        dv      = P^T @ dout
        dP      = dout @ v^T
        dscores = P * (dP - sum(dP * P, over the keys))      (softmax's backward)
        dq      = dscores @ k * scale
        dk      = dscores^T @ q * scale

    (^T transposes the last two axes.) A masked score gets no gradient: its weight is 0.

    Inputs:
    - dout: upstream gradient, shape (..., L, E_v).
    - cache: the cache returned by scaled_dot_product_attention_forward.

    Returns a tuple (dq, dk, dv) with the shapes of q, k and v, dout's dtype.

    Hint: the softmax backward of topic 3 (backprop.softmax_backward), written with the
    weights you kept, along the last axis. Each gradient has the shape of what it is the
    gradient of: let the shapes tell you which factor to transpose.
    """
    # BEGIN SOLUTION
    q, k, v, weights, scale = cache
    scale = np.asarray(scale, dtype=dout.dtype)
    dv = np.swapaxes(weights, -1, -2) @ dout
    dweights = dout @ np.swapaxes(v, -1, -2)
    dscores = weights * (dweights - (dweights * weights).sum(axis=-1, keepdims=True))
    dscores *= scale
    dq = dscores @ k
    dk = np.swapaxes(dscores, -1, -2) @ q
    return dq, dk, dv
    # END SOLUTION


def multi_head_attention_forward(query, key, value, params, num_heads, key_padding_mask=None,
                                 attn_mask=None, average_attn_weights=True):
    """Multi-head attention (torch's nn.MultiheadAttention, batch_first=True, no dropout).

        Q = query @ W_q + b_q,   K = key @ W_k + b_k,   V = value @ W_v + b_v   (N, ., E)
        split the E features into H heads of E / H:  Q_h = Q[..., h*d:(h+1)*d], d = E / H
        head_h = scaled_dot_product_attention(Q_h, K_h, V_h, masks)    (scale 1 / sqrt(d))
        out = concat(head_0, ..., head_{H-1}) @ W_o + b_o

    Masks follow nn.MultiheadAttention: a boolean mask is True where a query may NOT
    attend (the opposite of scaled_dot_product_attention's); a float mask is added to the
    scores. Both masks may be given (of the same kind or not); a key is allowed only when
    both allow it, float masks add up.

    Inputs:
    - query: shape (N, L, E); key: shape (N, S, E_k); value: shape (N, S, E_v). For
      self-attention the three are the same array.
    - params: dict of the projections (see the module docstring): W_q (E, E), W_k (E_k, E),
      W_v (E_v, E), W_o (E, E) and the biases b_q, b_k, b_v, b_o (E,).
    - num_heads: H, an int that divides E.
    - key_padding_mask: None, or shape (N, S): the keys of each sample to ignore (True),
      e.g. the padding at the end of a short sentence; or a float (N, S) added.
    - attn_mask: None, or shape (L, S) (the same for every sample and head) or
      (N * H, L, S) (one per sample and head, sample-major: index n * H + h); boolean
      (True = may not attend) or float (added).
    - average_attn_weights: return the weights averaged over the heads (True, torch's
      default) or per head.

    Returns a tuple (out, weights, cache):
    - out: shape (N, L, E), query's dtype.
    - weights: the attention weights, shape (N, L, S) averaged over the heads, or
      (N, H, L, S); for looking at, no gradient flows back through them.
    - cache: what multi_head_attention_backward needs.

    Hint: reshape Q from (N, L, E) to (N, L, H, d) and swap the L and H axes: (N, H, L, d);
    then one call of your scaled_dot_product_attention_forward does every head and sample
    at once. Turn the masks into one that attention understands: ~mask for a boolean one,
    reshaped to broadcast against (N, H, L, S): key_padding_mask[:, None, None, :],
    attn_mask (N * H, L, S) -> (N, H, L, S).
    """
    # BEGIN SOLUTION
    N, L, E = query.shape
    S = key.shape[1]
    H = num_heads
    d = E // H
    p = params
    Q, q_cache = dense_forward(query.reshape(N * L, -1), p["W_q"], p["b_q"])
    K, k_cache = dense_forward(key.reshape(N * S, -1), p["W_k"], p["b_k"])
    V, v_cache = dense_forward(value.reshape(N * S, -1), p["W_v"], p["b_v"])

    def heads(X, T):  # (N*T, E) -> (N, H, T, d)
        return X.reshape(N, T, H, d).transpose(0, 2, 1, 3)

    masks = []
    if attn_mask is not None:
        masks.append(attn_mask.reshape(N, H, L, S) if attn_mask.ndim == 3 else attn_mask)
    if key_padding_mask is not None:
        masks.append(key_padding_mask[:, None, None, :])
    mask = None
    if masks and all(m.dtype == np.bool_ for m in masks):
        mask = ~masks[0] if len(masks) == 1 else ~(masks[0] | masks[1])  # True = may attend
    elif masks:
        mask = sum(np.where(m, -np.inf, 0).astype(query.dtype) if m.dtype == np.bool_
                   else m.astype(query.dtype, copy=False) for m in masks)
    heads_out, attn_cache = scaled_dot_product_attention_forward(heads(Q, L), heads(K, S), heads(V, S),
                                                                  attn_mask=mask, scale=1.0 / math.sqrt(d))
    concat = heads_out.transpose(0, 2, 1, 3).reshape(N * L, E)
    out, o_cache = dense_forward(concat, p["W_o"], p["b_o"])
    probs = attn_cache[3]
    weights = probs.mean(axis=1) if average_attn_weights else probs
    cache = (q_cache, k_cache, v_cache, attn_cache, o_cache, (N, L, S, H, d, key.shape[2], value.shape[2]))
    return out.reshape(N, L, E), weights, cache
    # END SOLUTION


def multi_head_attention_backward(dout, cache):
    """Backward pass of multi-head attention.

    The chain rule through the forward pass, from the end: the output projection (a dense
    layer), the merge of the heads, the attention of every head, the split into heads, and
    the three input projections (dense layers).

    Inputs:
    - dout: upstream gradient of out, shape (N, L, E).
    - cache: the cache returned by multi_head_attention_forward.

    Returns a tuple (dquery, dkey, dvalue, grads):
    - dquery (N, L, E), dkey (N, S, E_k), dvalue (N, S, E_v): dout's dtype. For
      self-attention (query, key and value one array) its gradient is their sum.
    - grads: dict of the parameters' gradients, the keys and shapes of params.

    Hint: undo each reshape and transpose of the forward pass in reverse order. Your
    dense_backward takes 2-D arrays: reshape (N, L, E) to (N * L, E) and back.
    """
    # BEGIN SOLUTION
    q_cache, k_cache, v_cache, attn_cache, o_cache, (N, L, S, H, d, E_k, E_v) = cache
    E = H * d
    g = {}
    dconcat, g["W_o"], g["b_o"] = dense_backward(dout.reshape(N * L, E), o_cache)
    dheads = dconcat.reshape(N, L, H, d).transpose(0, 2, 1, 3)
    dQ, dK, dV = scaled_dot_product_attention_backward(dheads, attn_cache)

    def merge(X, T):  # (N, H, T, d) -> (N*T, E)
        return X.transpose(0, 2, 1, 3).reshape(N * T, E)

    dquery, g["W_q"], g["b_q"] = dense_backward(merge(dQ, L), q_cache)
    dkey, g["W_k"], g["b_k"] = dense_backward(merge(dK, S), k_cache)
    dvalue, g["W_v"], g["b_v"] = dense_backward(merge(dV, S), v_cache)
    return dquery.reshape(N, L, -1), dkey.reshape(N, S, E_k), dvalue.reshape(N, S, E_v), g
    # END SOLUTION


# ---------------------------------------------------------------- the transformer block
def gelu_backward(dout, x):
    """Backward pass of the exact GELU of topic 1 (neuron.gelu with approximate="none",
    the "gelu" of torch's TransformerEncoderLayer): gelu(x) = x * Phi(x).

        dx = dout * (Phi(x) + x * phi(x))

    with Phi(x) = (1 + erf(x / sqrt(2))) / 2 the standard normal CDF and
    phi(x) = exp(-x**2 / 2) / sqrt(2 pi) its density.

    Inputs:
    - dout: upstream gradient, any shape.
    - x: the input of the forward pass, dout's shape.

    Returns:
    - dx, x's shape and dtype.

    Hint: the product rule on x * Phi(x). NumPy has no erf: as in neuron.gelu,
    np.vectorize(math.erf) applies math.erf to every element.
    """
    # BEGIN SOLUTION
    erf = np.vectorize(math.erf, otypes=[np.float64])
    x64 = x.astype(np.float64)
    cdf = 0.5 * (1.0 + erf(x64 / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * x64 * x64) / math.sqrt(2.0 * math.pi)
    return (dout * (cdf + x64 * pdf)).astype(x.dtype)
    # END SOLUTION


def transformer_encoder_block_forward(x, params, num_heads, activation="relu", norm_first=False,
                                      src_mask=None, src_key_padding_mask=None, eps=1e-5):
    """One transformer encoder block (torch's nn.TransformerEncoderLayer, batch_first=True,
    dropout 0): self-attention and a feed-forward network, each with a residual connection
    and a layer normalisation.

        sa(z) = multi_head_attention(z, z, z)            (self-attention, the masks below)
        ff(z) = act(z @ W_1 + b_1) @ W_2 + b_2           (act: relu, or the exact gelu)

        norm_first=False (post-norm, the original transformer):
            h   = layernorm_1(x + sa(x))
            out = layernorm_2(h + ff(h))
        norm_first=True (pre-norm):
            h   = x + sa(layernorm_1(x))
            out = h + ff(layernorm_2(h))

    layernorm_i normalises each position over its E features with gamma_i, beta_i and eps.

    Inputs:
    - x: shape (N, T, E).
    - params: dict with the multi-head attention's W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o
      (W_k and W_v are (E, E) here), W_1 (E, F), b_1 (F,), W_2 (F, E), b_2 (E,),
      gamma_1, beta_1, gamma_2, beta_2 (E,).
    - num_heads: H, dividing E.
    - activation: "relu" or "gelu" (exact, neuron.gelu's default).
    - norm_first: pre-norm (True) or post-norm (False).
    - src_mask, src_key_padding_mask: the attn_mask and key_padding_mask of
      multi_head_attention_forward (boolean True = may not attend, or float, added).
    - eps: the layer norms' eps.

    Returns a tuple (out, cache):
    - out: shape (N, T, E), x's dtype.
    - cache: what transformer_encoder_block_backward needs.

    Hint: reuse your layers: multi_head_attention_forward, layernorm_forward (topic 5)
    with gamma of shape (E,), dense_forward (topic 1) on (N * T, E) rows, relu or gelu.
    Keep the input of the activation for its backward pass.
    """
    # BEGIN SOLUTION
    N, T, E = x.shape
    p = params
    act = {"relu": relu, "gelu": gelu}[activation]
    c = {"norm_first": norm_first, "activation": activation, "shape": x.shape}

    def self_attention(z):
        out, weights, c["attn"] = multi_head_attention_forward(z, z, z, p, num_heads, src_key_padding_mask,
                                                               src_mask)
        c["weights"] = weights
        return out

    def feed_forward(z):
        hidden, c["ff1"] = dense_forward(z.reshape(N * T, E), p["W_1"], p["b_1"])
        c["hidden"] = hidden
        out, c["ff2"] = dense_forward(act(hidden), p["W_2"], p["b_2"])
        return out.reshape(N, T, E)

    if norm_first:
        z, c["norm1"] = layernorm_forward(x, p["gamma_1"], p["beta_1"], eps)
        h = x + self_attention(z)
        z, c["norm2"] = layernorm_forward(h, p["gamma_2"], p["beta_2"], eps)
        out = h + feed_forward(z)
    else:
        h, c["norm1"] = layernorm_forward(x + self_attention(x), p["gamma_1"], p["beta_1"], eps)
        out, c["norm2"] = layernorm_forward(h + feed_forward(h), p["gamma_2"], p["beta_2"], eps)
    return out, c
    # END SOLUTION


def transformer_encoder_block_backward(dout, cache):
    """Backward pass of the transformer encoder block.

    A residual connection y = z + f(z) passes its gradient both ways: dz = dy + (the
    gradient through f). In self-attention the block's input is the query, the key and
    the value at once: its gradient is the sum of the three.

    Inputs:
    - dout: upstream gradient, shape (N, T, E).
    - cache: the cache returned by transformer_encoder_block_forward.

    Returns a tuple (dx, grads):
    - dx: shape (N, T, E), dout's dtype.
    - grads: dict of the gradients of every parameter, the keys and shapes of params.

    Hint: walk the forward pass backwards, each layer's backward taking its own cache:
    layernorm_backward, dense_backward, relu_backward (topic 3) or gelu_backward (above),
    multi_head_attention_backward. Mind which sum of the forward pass each gradient flows
    into: post-norm and pre-norm route the residual differently.
    """
    # BEGIN SOLUTION
    c = cache
    N, T, E = c["shape"]
    act_backward = {"relu": relu_backward, "gelu": gelu_backward}[c["activation"]]
    g = {}

    def feed_forward_backward(d):
        dact, g["W_2"], g["b_2"] = dense_backward(d.reshape(N * T, E), c["ff2"])
        dz, g["W_1"], g["b_1"] = dense_backward(act_backward(dact, c["hidden"]), c["ff1"])
        return dz.reshape(N, T, E)

    def self_attention_backward(d):
        dq, dk, dv, grads = multi_head_attention_backward(d, c["attn"])
        g.update(grads)
        return dq + dk + dv

    if c["norm_first"]:
        dz, g["gamma_2"], g["beta_2"] = layernorm_backward(feed_forward_backward(dout), c["norm2"])
        dh = dout + dz
        dz, g["gamma_1"], g["beta_1"] = layernorm_backward(self_attention_backward(dh), c["norm1"])
        dx = dh + dz
    else:
        ds2, g["gamma_2"], g["beta_2"] = layernorm_backward(dout, c["norm2"])
        dh = ds2 + feed_forward_backward(ds2)
        ds1, g["gamma_1"], g["beta_1"] = layernorm_backward(dh, c["norm1"])
        dx = ds1 + self_attention_backward(ds1)
    return dx, g
    # END SOLUTION


# ---------------------------------------------------------------- word2vec
def skipgram_pairs(tokens, window):
    """The (center, context) training pairs of word2vec's skip-gram model.

    Every position i of the text is a center; every other position j at most `window`
    away (1 <= |i - j| <= window, inside the text: no wrapping around) gives one pair
    (tokens[i], tokens[j]). Pairs are listed by center position, then by context
    position, both increasing.

        tokens = [5, 7, 9], window = 1  ->  [[5, 7], [7, 5], [7, 9], [9, 7]]

    Inputs:
    - tokens: token ids of a text, an int array of shape (T,), T >= 0.
    - window: the largest distance between center and context, an int >= 1.

    Returns:
    - pairs: int64 array of shape (P, 2): column 0 the center token, column 1 the context
      token (P = 0 gives shape (0, 2)).

    Hint: for each offset o in -window..window (not 0), the positions i with 0 <= i + o
    < T pair with i + o: np.arange gives them at once. Collect (i, i + o) for every
    offset, then sort by i and then i + o (np.lexsort) and look the tokens up.
    """
    # BEGIN SOLUTION
    tokens = np.asarray(tokens)
    T = len(tokens)
    centers, contexts = [], []
    for offset in range(-window, window + 1):
        if offset == 0:
            continue
        i = np.arange(max(0, -offset), max(0, min(T, T - offset)))
        centers.append(i)
        contexts.append(i + offset)
    centers = np.concatenate(centers) if centers else np.zeros(0, dtype=np.int64)
    contexts = np.concatenate(contexts) if contexts else np.zeros(0, dtype=np.int64)
    order = np.lexsort((contexts, centers))
    pairs = np.stack([tokens[centers[order]], tokens[contexts[order]]], axis=1)
    return pairs.astype(np.int64).reshape(-1, 2)
    # END SOLUTION


def skipgram_loss(center, context, negatives, W_in, W_out):
    """Skip-gram with negative sampling (word2vec): the loss of a batch of pairs and its
    gradients.

    Each word has two vectors: W_in[w] when it is the center, W_out[w] when it is a
    context. A true pair (c, o) should score high, K random "negative" words n_1..n_K
    low:

        v = W_in[c],  u_o = W_out[o],  u_k = W_out[n_k]
        loss_b = -log sigmoid(u_o . v) - sum_k log sigmoid(-u_k . v)
        loss   = mean over the B pairs of loss_b

    Inputs:
    - center: center token ids, int array (B,); context: context token ids, int (B,).
    - negatives: negative samples, int array (B, K), K >= 1 (they may repeat, and may
      equal the context).
    - W_in: center vectors, shape (V, D); W_out: context vectors, shape (V, D); one dtype.

    Returns a tuple (loss, (dW_in, dW_out)):
    - loss: a scalar of W_in's dtype.
    - dW_in, dW_out: the gradients, shapes (V, D), W_in's dtype.

    Hint: -log sigmoid(x) = log(1 + exp(-x)) overflows for large |x|: write it as
    max(-x, 0) + log1p(exp(-|x|)). d/dx -log sigmoid(x) = -sigmoid(-x). A word may appear
    several times in a batch (as a center, a context or a negative): add every
    contribution with np.add.at.
    """
    # BEGIN SOLUTION
    B, D = len(center), W_in.shape[1]

    def neg_log_sigmoid(x):
        return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))

    def sigmoid(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    v, u_o, u_n = W_in[center], W_out[context], W_out[negatives]  # (B, D), (B, D), (B, K, D)
    pos = (v * u_o).sum(axis=1)
    neg = (u_n @ v[:, :, None])[..., 0]  # (B, K)
    loss = (neg_log_sigmoid(pos) + neg_log_sigmoid(-neg).sum(axis=1)).mean()
    dpos = -sigmoid(-pos) / B
    dneg = sigmoid(neg) / B
    dv = dpos[:, None] * u_o + (dneg[:, :, None] * u_n).sum(axis=1)
    dW_in = np.zeros_like(W_in)
    np.add.at(dW_in, center, dv)
    dW_out = np.zeros_like(W_out)
    np.add.at(dW_out, context, dpos[:, None] * v)
    np.add.at(dW_out, negatives.reshape(-1), (dneg[:, :, None] * v[:, None, :]).reshape(-1, D))
    return loss.astype(W_in.dtype), (dW_in, dW_out)
    # END SOLUTION


# ---------------------------------------------------------------- the capstone
class TinyTransformer:
    """Capstone: a small transformer encoder from your own layers, that learns to reverse
    a sequence of digits (or any token-to-token task of a fixed length).

        tokens (N, T) -> embedding + positional_encoding(T, d_model)
                      -> num_blocks x transformer_encoder_block (no masks)
                      -> dense (d_model -> vocab_size) = logits (N, T, vocab_size)

    trained with softmax cross-entropy on every position (losses.
    sparse_categorical_cross_entropy on the N * T rows) and Adam (optimizers.Adam).

    Parameters are in `self.params` (a flat dict): "embedding" (vocab_size, d_model); for
    each block b, the encoder block's parameters under "block{b}.W_q", "block{b}.b_q",
    ... "block{b}.gamma_2", "block{b}.beta_2" (see transformer_encoder_block_forward);
    "W_out" (d_model, vocab_size), "b_out" (vocab_size,). After `backward`, `self.grads`
    holds the gradient of each parameter under the same keys.
    """

    def __init__(self, vocab_size=10, d_model=32, num_heads=2, d_ff=64, num_blocks=1, activation="relu",
                 norm_first=False, seed=0, dtype=np.float64):
        """Random weights close to torch's defaults (given): embedding N(0, 1), attention
        projections Xavier-uniform, other dense layers U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        attention biases 0, layer norms gamma 1 and beta 0; `dtype` for every parameter."""
        rng = np.random.default_rng(seed)
        E, F, V = d_model, d_ff, vocab_size

        def uniform(shape, limit):
            return rng.uniform(-limit, limit, shape).astype(dtype)

        params = {"embedding": rng.standard_normal((V, E)).astype(dtype)}
        for b in range(num_blocks):
            block = {}
            for name in "qkv":
                block[f"W_{name}"] = uniform((E, E), math.sqrt(6.0 / (2 * E)))
                block[f"b_{name}"] = np.zeros(E, dtype=dtype)
            block.update(W_o=uniform((E, E), 1 / math.sqrt(E)), b_o=np.zeros(E, dtype=dtype),
                         W_1=uniform((E, F), 1 / math.sqrt(E)), b_1=uniform((F,), 1 / math.sqrt(E)),
                         W_2=uniform((F, E), 1 / math.sqrt(F)), b_2=uniform((E,), 1 / math.sqrt(F)),
                         gamma_1=np.ones(E, dtype=dtype), beta_1=np.zeros(E, dtype=dtype),
                         gamma_2=np.ones(E, dtype=dtype), beta_2=np.zeros(E, dtype=dtype))
            params.update({f"block{b}.{k}": v for k, v in block.items()})
        params["W_out"] = uniform((E, V), 1 / math.sqrt(E))
        params["b_out"] = uniform((V,), 1 / math.sqrt(E))
        self.params = params
        self.grads = {}
        self.cache = None
        self.vocab_size, self.d_model, self.num_heads, self.num_blocks = V, E, num_heads, num_blocks
        self.activation, self.norm_first, self.dtype = activation, norm_first, dtype

    def block_params(self, b):
        """The parameters of block b under the names transformer_encoder_block_forward
        expects (the same arrays as in self.params, not copies)."""
        prefix = f"block{b}."
        return {k[len(prefix):]: v for k, v in self.params.items() if k.startswith(prefix)}

    def forward(self, x):
        """Logits of a batch of token sequences x (N, T), ints in [0, vocab_size): returns
        (N, T, vocab_size) in the model's dtype.

        Keep in `self.cache` what backward needs, and the attention weights of every block
        (for attention_maps).

        Hint: embedding_forward, + positional_encoding(T, d_model, dtype), each block's
        transformer_encoder_block_forward(h, self.block_params(b), num_heads, activation,
        norm_first), then dense_forward on the (N * T, d_model) rows.
        """
        # BEGIN SOLUTION
        N, T = x.shape
        h, emb_cache = embedding_forward(x, self.params["embedding"])
        h = h + positional_encoding(T, self.d_model, self.dtype)
        block_caches = []
        for b in range(self.num_blocks):
            h, c = transformer_encoder_block_forward(h, self.block_params(b), self.num_heads, self.activation,
                                                     self.norm_first)
            block_caches.append(c)
        logits, out_cache = dense_forward(h.reshape(N * T, self.d_model), self.params["W_out"], self.params["b_out"])
        self.cache = (emb_cache, block_caches, out_cache, (N, T))
        return logits.reshape(N, T, self.vocab_size)
        # END SOLUTION

    def backward(self, dlogits):
        """Backpropagate dlogits (N, T, vocab_size), the gradient of the loss w.r.t. the
        logits of the last forward pass: fills `self.grads` (every key of self.params).
        The input is made of integers: there is no gradient to return.

        Hint: the layers of forward in reverse order; the positional encoding is a
        constant (its gradient goes nowhere); the embedding's gradient comes last.
        """
        # BEGIN SOLUTION
        emb_cache, block_caches, out_cache, (N, T) = self.cache
        g = {}
        dh, g["W_out"], g["b_out"] = dense_backward(dlogits.reshape(N * T, self.vocab_size), out_cache)
        dh = dh.reshape(N, T, self.d_model)
        for b in reversed(range(self.num_blocks)):
            dh, grads = transformer_encoder_block_backward(dh, block_caches[b])
            g.update({f"block{b}.{k}": v for k, v in grads.items()})
        g["embedding"] = embedding_backward(dh, emb_cache)
        self.grads = g
        # END SOLUTION

    def loss(self, x, y):
        """Mean softmax cross-entropy over every position of the batch; fills self.grads.

            loss = -mean over n, t of log softmax(logits[n, t])[y[n, t]]

        Inputs:
        - x: token sequences (N, T); y: target tokens (N, T), ints.

        Returns:
        - loss: a float.

        Hint: reshape the logits to (N * T, vocab_size) and y to (N * T,) for
        sparse_categorical_cross_entropy; its gradient, reshaped back, goes to backward.
        """
        # BEGIN SOLUTION
        logits = self.forward(x)
        loss, dlogits = sparse_categorical_cross_entropy(logits.reshape(-1, self.vocab_size), y.reshape(-1))
        self.backward(dlogits.reshape(logits.shape))
        return float(loss)
        # END SOLUTION

    def fit(self, x, y, epochs=10, lr=3e-3, batch_size=64, seed=0):
        """Train with Adam (optimizers.Adam, torch.optim.Adam's rule and default betas and eps).

        Each epoch visits the sequences once, in the order np.random.default_rng(seed)
        .permutation(N) (one generator for the whole training, a fresh permutation each
        epoch), batch_size sequences at a time (the last batch may be smaller): loss (which
        fills self.grads), then one optimizer step on every parameter.

        Inputs:
        - x: token sequences (N, T); y: targets (N, T).
        - epochs, lr, batch_size, seed: as above.

        Returns:
        - the list of the mean batch loss of each epoch.

        Hint: Adam([self.params[k] for k in keys], lr=lr) updates the arrays in place;
        step it with the gradients in the same order of keys. One optimizer for the whole
        training: its moments carry over from batch to batch.
        """
        # BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        keys = list(self.params)
        optimizer = Adam([self.params[k] for k in keys], lr=lr)
        history = []
        for _ in range(epochs):
            order = rng.permutation(len(x))
            losses = []
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                losses.append(self.loss(x[batch], y[batch]))
                optimizer.step([self.grads[k] for k in keys])
            history.append(float(np.mean(losses)))
        return history
        # END SOLUTION

    def predict(self, x):
        """The most likely token at every position of x (N, T): an int array (N, T).

        Hint: the argmax over the vocabulary axis, the last one.
        """
        # BEGIN SOLUTION
        return self.forward(x).argmax(axis=-1)
        # END SOLUTION

    def attention_maps(self, x):
        """The attention weights of a forward pass on x (N, T), averaged over the heads:
        an array (num_blocks, N, T, T) whose [b, n, i, j] is how much position i of
        sequence n attends to position j in block b.

        Hint: run forward, then read the weights that each block's multi-head attention
        returned (keep them in its cache).
        """
        # BEGIN SOLUTION
        self.forward(x)
        return np.stack([c["weights"] for c in self.cache[1]])
        # END SOLUTION
