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
    # YOUR CODE HERE
    raise NotImplementedError("embedding_forward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("embedding_backward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("positional_encoding is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("scaled_dot_product_attention_forward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("scaled_dot_product_attention_backward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("multi_head_attention_forward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("multi_head_attention_backward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("gelu_backward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("transformer_encoder_block_forward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("transformer_encoder_block_backward is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("skipgram_pairs is not written yet: see its docstring")


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
    # YOUR CODE HERE
    raise NotImplementedError("skipgram_loss is not written yet: see its docstring")


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
        # YOUR CODE HERE
        raise NotImplementedError("forward is not written yet: see its docstring")

    def backward(self, dlogits):
        """Backpropagate dlogits (N, T, vocab_size), the gradient of the loss w.r.t. the
        logits of the last forward pass: fills `self.grads` (every key of self.params).
        The input is made of integers: there is no gradient to return.

        Hint: the layers of forward in reverse order; the positional encoding is a
        constant (its gradient goes nowhere); the embedding's gradient comes last.
        """
        # YOUR CODE HERE
        raise NotImplementedError("backward is not written yet: see its docstring")

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
        # YOUR CODE HERE
        raise NotImplementedError("loss is not written yet: see its docstring")

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
        # YOUR CODE HERE
        raise NotImplementedError("fit is not written yet: see its docstring")

    def predict(self, x):
        """The most likely token at every position of x (N, T): an int array (N, T).

        Hint: the argmax over the vocabulary axis, the last one.
        """
        # YOUR CODE HERE
        raise NotImplementedError("predict is not written yet: see its docstring")

    def attention_maps(self, x):
        """The attention weights of a forward pass on x (N, T), averaged over the heads:
        an array (num_blocks, N, T, T) whose [b, n, i, j] is how much position i of
        sequence n attends to position j in block b.

        Hint: run forward, then read the weights that each block's multi-head attention
        returned (keep them in its cache).
        """
        # YOUR CODE HERE
        raise NotImplementedError("attention_maps is not written yet: see its docstring")
