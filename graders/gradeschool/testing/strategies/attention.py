"""Hypothesis strategies of topic 8 (attention): token batches, attention problems with
masks of every kind, multi-head attention and encoder-block problems, word2vec batches.

They draw the whole documented domain: batches and lengths of 1, query and key lengths
that differ, one head or several, float32 and float64, masks absent, boolean, float
(with -inf) and causal, fully masked rows (where the contract defines them), and values
large enough (+-30 in q and k, scores of thousands) that a softmax without its max shift
overflows to inf and NaN."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradeschool.testing.strategies import _floats, arrays, dtypes

NORM_EPS = (1e-5, 1e-3, 0.1)
BIG = (30.0, -30.0)  # in q and k: scores of 30 * 30 * E / sqrt(E), far past exp's overflow


def _values(dtype, shape, big=True):
    """Moderate values in [-3, 3], now and then +-30 (big=True)."""
    return arrays(dtype, shape, -3.0, 3.0, extremes=BIG if big else ())


# ---------------------------------------------------------------- embeddings
@st.composite
def embedding_problems(draw):
    """(idx, W, padding_idx): idx of shape (N,) or (N, T) over a small vocabulary (so that
    tokens repeat), W (V, D), padding_idx None or in [-V, V) (negative counts from the end)."""
    dtype = draw(dtypes)
    V, D = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    shape = draw(st.one_of(st.tuples(st.integers(1, 6)), st.tuples(st.integers(1, 4), st.integers(1, 5))))
    idx = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, V - 1)))
    padding_idx = draw(st.one_of(st.none(), st.integers(-V, V - 1)))
    return idx, draw(arrays(dtype, (V, D))), padding_idx


# ---------------------------------------------------------------- masks
def _bool_mask(shape):
    """Boolean masks, every element drawn (no fill value): mixed rows, and now and then a
    row of one value."""
    return hnp.arrays(np.bool_, shape, elements=st.booleans(), fill=st.nothing())


def _float_mask(dtype, shape, allow_neg_inf=True):
    """Additive masks, every element drawn: moderate values, 0, -1e4, and -inf (never attend)."""
    finite = _floats(dtype, -5.0, 5.0)
    extremes = [0.0, -1e4] + ([-np.inf] if allow_neg_inf else [])
    return hnp.arrays(dtype, shape, elements=st.one_of(finite, st.sampled_from(extremes)), fill=st.nothing())


@st.composite
def broadcast_shape(draw, full):
    """A shape that broadcasts to `full`: its last 1..len(full) axes, each kept or 1."""
    ndim = draw(st.integers(1, len(full)))
    return tuple(side if draw(st.booleans()) else 1 for side in full[len(full) - ndim:])


@st.composite
def sdpa_problems(draw, max_len: int = 5, max_features: int = 6):
    """dict(q, k, v, attn_mask, is_causal, scale) for scaled_dot_product_attention:
    leading axes none, (B,) or (B, H) with sides from 1; L and S from 1 (often unequal);
    attn_mask None, boolean (True = attend) or float (with -inf), of any shape that
    broadcasts to (..., L, S) (rows fully masked included), or is_causal; scale None or
    a float."""
    dtype = draw(dtypes)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    L, S = draw(st.integers(1, max_len)), draw(st.integers(1, max_len))
    E, Ev = draw(st.integers(1, max_features)), draw(st.integers(1, 4))
    q = draw(_values(dtype, (*lead, L, E)))
    k = draw(_values(dtype, (*lead, S, E)))
    v = draw(_values(dtype, (*lead, S, Ev), big=False))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask = None
    if kind in ("bool", "float"):
        shape = draw(broadcast_shape((*lead, L, S)))
        mask = draw(_bool_mask(shape) if kind == "bool" else _float_mask(dtype, shape))
    scale = draw(st.one_of(st.none(), st.floats(0.05, 2.0)))
    return dict(q=q, k=k, v=v, attn_mask=mask, is_causal=kind == "causal", scale=scale)


@st.composite
def mha_masks(draw, dtype, N, L, S, H):
    """(key_padding_mask, attn_mask) in nn.MultiheadAttention's convention (boolean True =
    may not attend, or float added, with -inf where blocked): each None, boolean or float
    (the two of one kind or not); attn_mask of shape (L, S) or (N * H, L, S). Every
    (sample, head, query) keeps at least one key (torch's MultiheadAttention gives NaN for
    a query that may attend to none; the kit's zero rule is tested on its own)."""
    kinds = [draw(st.sampled_from([None, "bool", "float"])) for _ in range(2)]
    am_shape = draw(st.sampled_from([(L, S), (N * H, L, S)]))
    kpm = draw(_bool_mask((N, S))) if kinds[0] else np.zeros((N, S), dtype=bool)
    am = draw(_bool_mask(am_shape)) if kinds[1] else np.zeros(am_shape, dtype=bool)
    pick = draw(st.integers(0, S - 1))
    kpm[kpm.all(axis=1), pick] = False  # every sample keeps a key
    first_open = np.argmin(kpm, axis=1)  # (N,): a key that key_padding_mask leaves open
    per_head = am.reshape(N, H, L, S) if am.ndim == 3 else np.broadcast_to(am, (N, H, L, S))
    dead = (per_head | kpm[:, None, None, :]).all(axis=-1)  # (N, H, L)
    for n, h, i in zip(*np.nonzero(dead), strict=True):  # open that key in the attn_mask
        if am.ndim == 3:
            am[n * H + h, i, first_open[n]] = False
        else:
            am[i, first_open[n]] = False

    def finish(kind, blocked):
        if kind is None:
            return None
        if kind == "bool":
            return blocked
        values = draw(_float_mask(dtype, blocked.shape, allow_neg_inf=False))
        return np.where(blocked, -np.inf, values).astype(dtype)

    return finish(kinds[0], kpm), finish(kinds[1], am)


def mha_params(dtype, E, E_k, E_v):
    """The projections of multi-head attention in the kit's layout (x @ W), values in [-1, 1]."""
    shapes = {"W_q": (E, E), "b_q": (E,), "W_k": (E_k, E), "b_k": (E,), "W_v": (E_v, E), "b_v": (E,),
              "W_o": (E, E), "b_o": (E,)}
    return st.fixed_dictionaries({k: arrays(dtype, s, -1.0, 1.0) for k, s in shapes.items()})


@st.composite
def mha_problems(draw, max_len: int = 4, max_heads: int = 3, max_head_size: int = 3):
    """dict(query, key, value, params, num_heads, key_padding_mask, attn_mask,
    average_attn_weights, self_attention): N, L, S, H and the head size from 1; self-
    attention (query is key is value) or cross-attention (S != L possible, key and value
    features E_k, E_v equal to E or not); inputs with +-30 now and then; masks of every
    kind that leave each query at least one key."""
    dtype = draw(dtypes)
    N, H, d = draw(st.integers(1, 3)), draw(st.integers(1, max_heads)), draw(st.integers(1, max_head_size))
    E = H * d
    L = draw(st.integers(1, max_len))
    self_attention = draw(st.booleans())
    if self_attention:
        S, E_k, E_v = L, E, E
    else:
        S = draw(st.integers(1, max_len))
        same = draw(st.booleans())
        E_k, E_v = (E, E) if same else (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    query = draw(_values(dtype, (N, L, E)))
    key = query if self_attention else draw(_values(dtype, (N, S, E_k)))
    value = query if self_attention else draw(_values(dtype, (N, S, E_v)))
    kpm, am = draw(mha_masks(dtype, N, L, S, H))
    return dict(query=query, key=key, value=value, params=draw(mha_params(dtype, E, E_k, E_v)), num_heads=H,
                key_padding_mask=kpm, attn_mask=am, average_attn_weights=draw(st.booleans()),
                self_attention=self_attention)


@st.composite
def encoder_block_problems(draw, max_len: int = 4, max_heads: int = 2, max_head_size: int = 3, max_ff: int = 6):
    """dict(x, params, num_heads, activation, norm_first, src_mask, src_key_padding_mask,
    eps) for transformer_encoder_block: N, T, H, head size and feed-forward width from 1;
    post-norm and pre-norm; relu and gelu; masks of every kind that leave each query a key;
    gamma and beta drawn (not only 1 and 0); inputs with +-30 now and then."""
    dtype = draw(dtypes)
    N, T = draw(st.integers(1, 3)), draw(st.integers(1, max_len))
    H, d, F = draw(st.integers(1, max_heads)), draw(st.integers(1, max_head_size)), draw(st.integers(1, max_ff))
    E = H * d
    params = dict(draw(mha_params(dtype, E, E, E)))
    shapes = {"W_1": (E, F), "b_1": (F,), "W_2": (F, E), "b_2": (E,)}
    params.update({k: draw(arrays(dtype, s, -1.0, 1.0)) for k, s in shapes.items()})
    for i in (1, 2):
        params[f"gamma_{i}"] = draw(arrays(dtype, (E,), -2.0, 2.0))
        params[f"beta_{i}"] = draw(arrays(dtype, (E,), -2.0, 2.0))
    kpm, am = draw(mha_masks(dtype, N, T, T, H))
    return dict(x=draw(_values(dtype, (N, T, E))), params=params, num_heads=H,
                activation=draw(st.sampled_from(["relu", "gelu"])), norm_first=draw(st.booleans()),
                src_mask=am, src_key_padding_mask=kpm, eps=draw(st.sampled_from(NORM_EPS)))


# ---------------------------------------------------------------- word2vec
@st.composite
def token_sequences(draw):
    """(tokens (T,) int64 with T from 0, window >= 1, sometimes wider than the text)."""
    tokens = draw(hnp.arrays(np.int64, st.integers(0, 12), elements=st.integers(0, 20)))
    return tokens, draw(st.integers(1, 5))


@st.composite
def skipgram_problems(draw):
    """(center (B,), context (B,), negatives (B, K), W_in (V, D), W_out (V, D)): a small
    vocabulary so that words repeat (as centers, contexts and negatives, the context among
    its own negatives too), B, K, D from 1, vectors with +-30 now and then (dot products
    of hundreds, where log(sigmoid(x)) underflows to log(0))."""
    dtype = draw(dtypes)
    V, D = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    B, K = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    ids = st.integers(0, V - 1)
    center = draw(hnp.arrays(np.int64, (B,), elements=ids))
    context = draw(hnp.arrays(np.int64, (B,), elements=ids))
    negatives = draw(hnp.arrays(np.int64, (B, K), elements=ids))
    return center, context, negatives, draw(_values(dtype, (V, D))), draw(_values(dtype, (V, D)))


def fully_masked_case(dtype, kind):
    """(q, k, v, mask): two samples in which one query each may attend to no key; the mask
    boolean (True = may attend) or additive (-inf = may not)."""
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in [(2, 4, 3), (2, 5, 3), (2, 5, 2)])
    allowed = rng.random((2, 4, 5)) < 0.6
    allowed[..., 0] = True
    allowed[0, 1] = False  # query 1 of sample 0 may attend to nothing
    allowed[1, 3] = False  # query 3 of sample 1 neither
    if kind == "bool":
        return q, k, v, allowed
    return q, k, v, np.where(allowed, rng.uniform(-2, 2, allowed.shape), -np.inf).astype(dtype)


def block_case(dtype, norm_first, activation, seed, N=2, T=3, H=2, d=2, F_=5):
    """A moderate case (values of a trained network's size) with per-head masks."""
    rng = np.random.default_rng(seed)
    E = H * d
    shapes = {"W_q": (E, E), "b_q": (E,), "W_k": (E, E), "b_k": (E,), "W_v": (E, E), "b_v": (E,),
              "W_o": (E, E), "b_o": (E,), "W_1": (E, F_), "b_1": (F_,), "W_2": (F_, E), "b_2": (E,)}
    p = {k: rng.uniform(-1, 1, s).astype(dtype) for k, s in shapes.items()}
    for i in (1, 2):
        p[f"gamma_{i}"] = rng.uniform(0.5, 1.5, E).astype(dtype)
        p[f"beta_{i}"] = rng.uniform(-0.5, 0.5, E).astype(dtype)
    am = rng.random((N * H, T, T)) < 0.3
    am[..., 0] = False
    kpm = np.zeros((N, T), dtype=bool)
    kpm[1, -1] = True
    return dict(x=rng.uniform(-2, 2, (N, T, E)).astype(dtype), params=p, num_heads=H, activation=activation,
                norm_first=norm_first, src_mask=am, src_key_padding_mask=kpm, eps=1e-5)


# The capstone's settings (the model and its training), shared by its test and the picture's.
CAPSTONE = dict(vocab_size=10, d_model=32, num_heads=2, d_ff=64, num_blocks=1, seed=0)
CAPSTONE_FIT = dict(epochs=6, lr=3e-3, batch_size=64, seed=0)
