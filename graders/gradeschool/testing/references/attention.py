"""torch references of topic 8 (attention): the closed form of the sinusoidal encoding,
nn.MultiheadAttention and nn.TransformerEncoderLayer with the kit's parameters copied in
(the kit's x @ W layout), the skip-gram pairs and loss, the capstone's network, and the
torch side of the speed gates (with the learner's side they are timed against)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from gradeschool.testing.gates import label, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import to_torch
from gradeschool.testing.references import epoch_losses
from gradeschool.testing.speed import Gate


def sinusoidal_table(T, d_model):
    """The closed form, as torch's transformer tutorial writes it (float64):
    PE[pos, 2i] = sin(pos * exp(-2i log(10000) / d)), PE[pos, 2i + 1] = cos(the same)."""
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div[: d_model // 2])
    return pe


def mha_state(p, E):
    """nn.MultiheadAttention's parameters from the kit's dict of tensors (x @ W layout)."""
    state = {"in_proj_bias": torch.cat([p["b_q"], p["b_k"], p["b_v"]]), "out_proj.weight": p["W_o"].T,
             "out_proj.bias": p["b_o"]}
    if p["W_k"].shape[0] == E and p["W_v"].shape[0] == E:
        state["in_proj_weight"] = torch.cat([p["W_q"].T, p["W_k"].T, p["W_v"].T])
    else:
        state.update(q_proj_weight=p["W_q"].T, k_proj_weight=p["W_k"].T, v_proj_weight=p["W_v"].T)
    return state


def block_state(p):
    """nn.TransformerEncoderLayer's parameters from the kit's dict of tensors."""
    state = {f"self_attn.{k}": v for k, v in mha_state(p, p["W_q"].shape[0]).items()}
    state.update({"linear1.weight": p["W_1"].T, "linear1.bias": p["b_1"], "linear2.weight": p["W_2"].T,
                  "linear2.bias": p["b_2"], "norm1.weight": p["gamma_1"], "norm1.bias": p["beta_1"],
                  "norm2.weight": p["gamma_2"], "norm2.bias": p["beta_2"]})
    return state


def encoder_layer(E, H, F_, activation, norm_first, eps, device="cpu"):
    return torch.nn.TransformerEncoderLayer(E, H, F_, dropout=0.0, activation=activation, layer_norm_eps=eps,
                                            batch_first=True, norm_first=norm_first, dtype=torch.float64,
                                            device=device)


def window_pairs(tokens, window):
    """(tokens[i], tokens[j]) for every i != j with |i - j| <= window, ordered by i, then j
    (torch's nonzero lists a matrix's entries in row-major order)."""
    t = torch.as_tensor(np.asarray(tokens, dtype=np.int64))
    i = torch.arange(len(t))
    near = ((i[:, None] - i[None, :]).abs() <= window) & (i[:, None] != i[None, :])
    rows, cols = near.nonzero(as_tuple=True)
    return torch.stack([t[rows], t[cols]], dim=1).numpy()


def skipgram_reference(center, context, negatives, W_in, W_out):
    v, u_o, u_n = W_in[center], W_out[context], W_out[negatives]
    positive = F.logsigmoid((v * u_o).sum(dim=1))
    negative = F.logsigmoid(-(u_n @ v[:, :, None])[..., 0]).sum(dim=1)
    return -(positive + negative).mean()


def tiny_state(p, prefix):
    return block_state({k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)})


class TorchTiny:
    """The capstone's network in torch (embedding, positional encoding, TransformerEncoderLayer
    per block, a linear layer), from a copy of the learner model's parameters."""

    def __init__(self, params, d_model, num_heads, d_ff, num_blocks, activation="relu", norm_first=False):
        self.p = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for k, v in params.items()}
        self.layer = encoder_layer(d_model, num_heads, d_ff, activation, norm_first, 1e-5)
        self.d_model, self.num_blocks = d_model, num_blocks

    def __call__(self, x):
        h = F.embedding(torch.tensor(x), self.p["embedding"]) + sinusoidal_table(x.shape[1], self.d_model)
        for b in range(self.num_blocks):
            h = functional_call(self.layer, tiny_state(self.p, f"block{b}."), (h,))
        return h @ self.p["W_out"] + self.p["b_out"]


def sdpa_forward_backward(impl):
    def scaled_dot_product_attention_forward_backward(q, k, v, dout):
        out, cache = impl.scaled_dot_product_attention_forward(q, k, v)
        return impl.scaled_dot_product_attention_backward(dout, cache)

    return scaled_dot_product_attention_forward_backward


def torch_sdpa_forward_backward(q, k, v, dout):
    with torch.enable_grad():
        q, k, v = (t.detach().requires_grad_() for t in (q, k, v))
        return torch.autograd.grad(F.scaled_dot_product_attention(q, k, v), (q, k, v), dout)


def mha_forward_backward(impl, params, num_heads):
    def multi_head_attention_forward_backward(query, key, dout):
        out, weights, cache = impl.multi_head_attention_forward(query, key, key, params, num_heads)
        return impl.multi_head_attention_backward(dout, cache)

    return multi_head_attention_forward_backward


def torch_mha_forward_backward(module):
    """torch's forward + backward, returning what the learner's backward returns: dquery,
    dkey, dvalue (key and value are one array, each with its own gradient) and the
    parameters' gradients by the kit's names, in the kit's layout."""
    E = module.embed_dim

    def forward_backward(query, key, dout):
        with torch.enable_grad():
            query, key = query.detach().requires_grad_(), key.detach().requires_grad_()
            value = key.detach().clone().requires_grad_()
            out, _ = module(query, key, value, need_weights=True)  # the weights, as the learner's returns
            dq, dk, dv, W, b, W_o, b_o = torch.autograd.grad(out, [query, key, value, *module.parameters()], dout)
        grads = {"W_o": W_o.T, "b_o": b_o}
        for i, name in enumerate("qkv"):
            grads.update({f"W_{name}": W[i * E:(i + 1) * E].T, f"b_{name}": b[i * E:(i + 1) * E]})
        return dq, dk, dv, grads

    return forward_backward


# The gradients the speed test compares, by name (a dict whatever order it was filled in);
# not b_k: its exact gradient is 0 (a bias shared by every key shifts all the scores of a
# query alike, and the softmax ignores that), so both sides hold rounding noise there.
SPEED_GRADS = ["W_q", "b_q", "W_k", "W_v", "b_v", "W_o", "b_o"]


def by_name(result):
    """(dquery, dkey, dvalue, grads) with grads reduced to SPEED_GRADS, in that order."""
    if isinstance(result, tuple) and len(result) == 4 and isinstance(result[3], dict) and \
            set(SPEED_GRADS) <= set(result[3]):
        return (*result[:3], {k: result[3][k] for k in SPEED_GRADS})
    return result


def mha_reference(query, key, value, p, H, key_padding_mask, attn_mask, average_attn_weights, self_attention,
                  device="cpu"):
    """torch's MultiheadAttention (float64, the kit's parameters copied in, need_weights=True)
    on one case: (out, weights, (query, key, value) leaves, {name: parameter leaf}); for
    self-attention key and value are the query's leaf."""
    E = query.shape[2]
    module = torch.nn.MultiheadAttention(E, H, batch_first=True, kdim=key.shape[2], vdim=value.shape[2],
                                         dtype=torch.float64, device=device)
    tp = {k_: to_torch(a, device, requires_grad=True) for k_, a in p.items()}
    tq = to_torch(query, device, requires_grad=True)
    tk = tq if self_attention else to_torch(key, device, requires_grad=True)
    tv = tq if self_attention else to_torch(value, device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when a boolean and a float mask meet
        ref_out, ref_weights = functional_call(
            module, mha_state(tp, E), (tq, tk, tv),
            dict(key_padding_mask=to_torch(key_padding_mask, device), attn_mask=to_torch(attn_mask, device),
                 need_weights=True, average_attn_weights=average_attn_weights))
    return ref_out, ref_weights, (tq, tk, tv), tp


def mha_dead_rows_reference(query, key, p, H, opened_kpm, opened_am, dead):
    """torch's MultiheadAttention (float64, key and value one array) with masks that open
    every query, its output rows where `dead` replaced by b_o (what a query that may attend
    to no key gets): (out, query leaf, key leaf, {name: parameter leaf})."""
    N, L, E = query.shape
    tp = {k_: torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for k_, a in p.items()}
    tq = torch.tensor(np.asarray(query, dtype=np.float64), requires_grad=True)
    tk = torch.tensor(np.asarray(key, dtype=np.float64), requires_grad=True)
    module = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    ref, _ = functional_call(module, mha_state(tp, E), (tq, tk, tk),
                             dict(key_padding_mask=torch.tensor(opened_kpm), attn_mask=torch.tensor(opened_am)))
    return torch.where(torch.tensor(dead)[..., None], tp["b_o"].expand(N, L, E), ref), tq, tk, tp


def block_reference(case, device="cpu"):
    """torch's TransformerEncoderLayer (float64, the kit's parameters copied in, dropout 0)
    on an encoder-block case: (out, x leaf, {name: parameter leaf})."""
    x, p, H = case["x"], case["params"], case["num_heads"]
    layer = encoder_layer(x.shape[-1], H, p["W_1"].shape[1], case["activation"], case["norm_first"], case["eps"],
                          device)
    tp = {k: to_torch(a, device, requires_grad=True) for k, a in p.items()}
    tx = to_torch(x, device, requires_grad=True)
    kpm_t, am_t = to_torch(case["src_key_padding_mask"], device), to_torch(case["src_mask"], device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when a boolean and a float mask meet
        ref = functional_call(layer, block_state(tp), (tx,), dict(src_mask=am_t, src_key_padding_mask=kpm_t))
    return ref, tx, tp


def tiny_adam_history(ref, x, y, vocab_size, *, epochs, lr, batch_size, seed):
    """TinyTransformer.fit's docstring, in torch (`epoch_losses`): F.cross_entropy,
    torch.optim.Adam on the parameters of `ref` (a TorchTiny); the mean batch loss of every
    epoch."""
    return epoch_losses(torch.optim.Adam(list(ref.p.values()), lr=lr), lambda batch: F.cross_entropy(
        ref(x[batch]).reshape(-1, vocab_size), torch.tensor(y[batch]).reshape(-1)), len(x), epochs=epochs,
        batch_size=batch_size, seed=seed)


def mha_speed_module(E, H, dtype):
    """torch's MultiheadAttention of the speed test (torch.manual_seed(0), the dtype) and
    its parameters in the kit's layout, as arrays of the dtype."""
    torch.manual_seed(0)
    module = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float32 if dtype == np.float32
                                         else torch.float64)
    with torch.no_grad():
        state = {k: v.detach().numpy().astype(dtype) for k, v in module.state_dict().items()}
    W, b = state["in_proj_weight"], state["in_proj_bias"]
    params = {"W_q": W[:E].T.copy(), "W_k": W[E:2 * E].T.copy(), "W_v": W[2 * E:].T.copy(), "b_q": b[:E].copy(),
              "b_k": b[E:2 * E].copy(), "b_v": b[2 * E:].copy(), "W_o": state["out_proj.weight"].T.copy(),
              "b_o": state["out_proj.bias"].copy()}
    return module, params


# ---------------------------------------------------------------- the Gate framework's gates
def embedding_pass(impl):
    def embedding_forward_backward(idx, W, dout):
        out, cache = impl.embedding_forward(idx, W)
        return out, impl.embedding_backward(dout, cache)

    return embedding_forward_backward


def torch_embedding_pass(idx, W, dout):
    with torch.enable_grad():
        w = W.detach().requires_grad_()
        out = F.embedding(idx, w)
        return out.detach(), torch.autograd.grad(out, w, dout)[0]


def embedding_gate(shape, V, E):
    def make(rng, dtype):
        return rng.integers(0, V, shape), normal(rng, (V, E), dtype), normal(rng, (*shape, E), dtype)

    return Gate("embedding", f"embedding-{label(shape)}-V{V}-E{E}", make, embedding_pass, torch_embedding_pass,
                name="embedding_forward + embedding_backward", hint=mistake("embedding", "slow_gradient"))


def torch_skipgram_pairs(tokens, window):
    """window_pairs without its T x T matrix: the offsets -window..window (not
    0) of every position, the ones inside the text, in row-major order."""
    T = len(tokens)
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)])
    i = torch.arange(T)[:, None].expand(T, len(offsets))
    j = i + offsets
    inside = (j >= 0) & (j < T)
    return torch.stack([tokens[i[inside]], tokens[j[inside]]], dim=1)


def torch_positional_encoding(T, d_model, dtype):
    return sinusoidal_table(T, d_model).to(getattr(torch, np.dtype(dtype).name))


def skipgram_pass(impl):
    return impl.skipgram_loss


def torch_skipgram_pass(center, context, negatives, W_in, W_out):
    with torch.enable_grad():
        tin, tout = W_in.detach().requires_grad_(), W_out.detach().requires_grad_()
        loss = skipgram_reference(center, context, negatives, tin, tout)
        return loss.detach(), torch.autograd.grad(loss, (tin, tout))


def skipgram_gate(B, K, V, D):
    def make(rng, dtype):
        return (rng.integers(0, V, B), rng.integers(0, V, B), rng.integers(0, V, (B, K)),
                normal(rng, (V, D), dtype, 0.5), normal(rng, (V, D), dtype, 0.5))

    return Gate("skipgram_loss", f"skipgram_loss-B{B}-K{K}-V{V}-D{D}", make, skipgram_pass, torch_skipgram_pass)


def kit_params(rng, dtype, E, F_=None):
    """The multi-head attention's (and with F_, the encoder block's) parameters, kit layout."""
    shapes = {f"{w}_{n}": (E, E) if w == "W" else (E,) for n in "qkvo" for w in "Wb"}
    if F_:
        shapes.update(W_1=(E, F_), b_1=(F_,), W_2=(F_, E), b_2=(E,))
    p = {k: normal(rng, s, dtype, 1 / math.sqrt(s[0]) if len(s) == 2 else 0.1) for k, s in shapes.items()}
    if F_:
        p.update({f"{g}_{i}": (1.0 + normal(rng, E, dtype, 0.1)).astype(dtype) if g == "gamma" else
                  normal(rng, E, dtype, 0.1) for i in (1, 2) for g in ("gamma", "beta")})
    return p


def self_mha_pass(impl, H):
    def multi_head_attention_forward_backward(x, params, dout):
        out, weights, cache = impl.multi_head_attention_forward(x, x, x, params, H)
        dq, dk, dv, grads = impl.multi_head_attention_backward(dout, cache)
        return out, weights, dq + dk + dv, {k: grads[k] for k in SPEED_GRADS}

    return multi_head_attention_forward_backward


_TORCH_LAYERS = {}


def torch_layer(kind, E, H, F_=None):
    """One torch module per kind, shape and dtype (float64 modules; parameters come in by
    functional_call, in the tensors' dtype)."""
    key = (kind, E, H, F_)
    if key not in _TORCH_LAYERS:
        _TORCH_LAYERS[key] = torch.nn.MultiheadAttention(E, H, batch_first=True) if kind == "mha" else \
            torch.nn.TransformerEncoderLayer(E, H, F_, dropout=0.0, activation="relu", batch_first=True)
    return _TORCH_LAYERS[key]


def torch_self_mha_pass(H):
    def forward_backward(x, params, dout):
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            p = {k: v.detach().requires_grad_() for k, v in params.items()}
            out, weights = functional_call(torch_layer("mha", x.shape[-1], H), mha_state(p, x.shape[-1]), (x, x, x),
                                           dict(need_weights=True))
            grads = torch.autograd.grad(out, [x, *(p[k] for k in SPEED_GRADS)], dout)
        return out.detach(), weights.detach(), grads[0], dict(zip(SPEED_GRADS, grads[1:], strict=True))

    return forward_backward


def mha_gate(N, T, E, H):
    def make(rng, dtype):
        return normal(rng, (N, T, E), dtype), kit_params(rng, dtype, E), normal(rng, (N, T, E), dtype)

    return Gate("multi_head_attention", f"multi_head_attention-N{N}-T{T}-E{E}-H{H}", make,
                lambda impl: self_mha_pass(impl, H), torch_self_mha_pass(H),
                name="multi_head_attention_forward + multi_head_attention_backward (self-attention)",
                hint=mistake("scaled_dot_product_attention", "query_row_loop"))


# not b_k: its exact gradient is 0 (see SPEED_GRADS)
BLOCK_GRADS = [*SPEED_GRADS, "W_1", "b_1", "W_2", "b_2", "gamma_1", "beta_1", "gamma_2", "beta_2"]


def block_pass(H):
    def for_impl(impl):
        def transformer_encoder_block_forward_backward(x, params, dout):
            out, cache = impl.transformer_encoder_block_forward(x, params, H)
            dx, grads = impl.transformer_encoder_block_backward(dout, cache)
            return out, dx, {k: grads[k] for k in BLOCK_GRADS}

        return transformer_encoder_block_forward_backward

    return for_impl


def torch_block_pass(H):
    def forward_backward(x, params, dout):
        E, F_ = x.shape[-1], params["W_1"].shape[1]
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            p = {k: v.detach().requires_grad_() for k, v in params.items()}
            out = functional_call(torch_layer("block", E, H, F_), block_state(p), (x,))
            grads = torch.autograd.grad(out, [x, *(p[k] for k in BLOCK_GRADS)], dout)
        return out.detach(), grads[0], dict(zip(BLOCK_GRADS, grads[1:], strict=True))

    return forward_backward


def block_gate(N, T, E, H, F_):
    def make(rng, dtype):
        return normal(rng, (N, T, E), dtype), kit_params(rng, dtype, E, F_), normal(rng, (N, T, E), dtype)

    return Gate("transformer_encoder_block", f"transformer_encoder_block-N{N}-T{T}-E{E}-H{H}-F{F_}", make,
                block_pass(H), torch_block_pass(H),
                name="transformer_encoder_block_forward + transformer_encoder_block_backward (post-norm, relu)")
