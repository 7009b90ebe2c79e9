"""Tolerances of topic 8 (attention): the float32 error scales of attention (sdpa_scale),
multi-head attention (mha_scale) and the encoder block, where bounds built from the size
of each sum compound into something far too loose: there the scale is measured by
perturbing torch's float64 pass (sensitivities) and floored by the layer norms' terms
(layer_norm_floors); and how far Adam may move a parameter whose exact gradient is 0 on
rounding noise alone (adam_b_k_noise)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from gradeschool.testing.oracle import to_torch, tolerance
from gradeschool.testing.references.attention import block_state, encoder_layer, mha_state

DOUT = 5.0  # bound on |dout|: the upstream gradients here are standard normal


def f64(a):
    return np.asarray(a, dtype=np.float64)


def finite_abs_max(*arrays):
    """The largest finite |value| of the float arrays given (0 for none)."""
    found = [np.abs(f64(a)[np.isfinite(f64(a))]).max(initial=0.0) for a in arrays
             if a is not None and np.asarray(a).dtype.kind == "f"]
    return float(max(found, default=0.0))


def sdpa_scale(q, k, v, attn_mask=None, scale=None):
    """(scale, terms) of the float32 tolerance of attention (see oracle.tolerance).

    A score is a sum of E products, rounded to eps * M with M the bound below of |score|
    (and of the float mask added to it); softmax turns an error d in the scores into a
    relative error d of the weights, so out = weights @ v is off by about eps * M * |v|.
    The gradients multiply that by |dout| (|dP| <= DOUT * |v| * E_v) and by the scaled
    |q|, |k| they are multiplied with. Terms: the longest sums (E, E_v, L or S)."""
    E, Ev, L, S = q.shape[-1], v.shape[-1], q.shape[-2], k.shape[-2]
    factor = 1 / math.sqrt(E) if scale is None else scale
    M = float((np.abs(f64(q)) @ np.swapaxes(np.abs(f64(k)), -1, -2)).max(initial=0.0)) * factor
    M = max(1.0, M + finite_abs_max(attn_mask))
    vmax = max(1.0, finite_abs_max(v))
    qk = max(1.0, finite_abs_max(q, k))
    return M * vmax * DOUT * max(1.0, factor * qk * Ev), max(E, Ev, L, S)


def abs_bound(x, W, b):
    """Elementwise bound of |x @ W + b| (and, times eps, of its rounding)."""
    return np.abs(f64(x)) @ np.abs(f64(W)) + np.abs(f64(b))


def mha_scale(query, key, value, p, H, *masks):
    """(scale, terms) of the float32 tolerance of multi-head attention: the attention's
    (sdpa_scale) on bounds of the projected Q, K, V of each head, times the gains of the
    projections around it (largest absolute row and column sums of the weights) and the
    size of the inputs (for the weight gradients). Terms: the longest sums (features,
    keys, and the N * L rows that a weight gradient adds up)."""
    N, L, E = query.shape
    S, d = key.shape[1], E // H
    Q, K, V = abs_bound(query, p["W_q"], p["b_q"]), abs_bound(key, p["W_k"], p["b_k"]), \
        abs_bound(value, p["W_v"], p["b_v"])
    Qh, Kh = Q.reshape(N, L, H, d).transpose(0, 2, 1, 3), K.reshape(N, S, H, d).transpose(0, 2, 1, 3)
    M = max(1.0, float((Qh @ np.swapaxes(Kh, -1, -2)).max(initial=0.0)) / math.sqrt(d) + finite_abs_max(*masks))
    gain = max([1.0] + [float(np.abs(f64(p[w])).sum(axis=a).max(initial=0.0)) for w in ("W_q", "W_k", "W_v", "W_o")
                        for a in (0, 1)])
    big = max(1.0, float(Q.max(initial=0)), float(K.max(initial=0)), float(V.max(initial=0)),
              finite_abs_max(query, key, value))
    return M * big * gain * DOUT * max(1.0, big * gain / math.sqrt(d)), max(E, key.shape[2], value.shape[2], S, N * S,
                                                                              N * L)


def sensitivities(run, tensors, floors=(0.0, 0.0), u=1e-7, draws=2):
    """{result name: scale} for float32 tolerances of a deep composition (the encoder block),
    where bounds built from the sizes of each sum compound into something far too loose.

    `run(tensors)` maps float64 tensors to a dict of float64 results. Every finite entry of
    every tensor is moved at random by up to a relative u, as rounding to float32 moves it
    (by a relative eps); the scale of a result is the largest change seen over `draws`
    tries, divided by u: the size of the numbers that such a rounding stirs up in that
    result, with every amplification on the way (a layer norm of a row of small variance,
    a saturated softmax) included. A result is never given less than its own size, nor
    than `floors` (forward, backward: sizes of terms, see layer_norm_floors), and a gradient
    never less than the largest gradient: a sum that cancels to (almost) nothing, as the
    gradient of b_k (softmax ignores q . b_k, the same for every key), still rounds at the
    size of its terms, which perturbing cannot see."""
    base = run(tensors)
    gen = torch.Generator().manual_seed(0)
    scales = {k: finite_abs_max(v.numpy()) for k, v in base.items()}
    for _ in range(draws):
        moved = {}
        for k, t in tensors.items():
            if t.dtype != torch.float64:
                moved[k] = t
                continue
            noise = (2 * torch.rand(t.shape, generator=gen, dtype=torch.float64) - 1) * u * t.abs()
            moved[k] = torch.where(torch.isfinite(t), t + noise, t)
        for k, v in run(moved).items():
            change = (v - base[k]).abs().numpy()
            scales[k] = max(scales[k], float(change[np.isfinite(change)].max(initial=0.0)) / u)
    largest_gradient = max(v for k, v in scales.items() if k != "out")
    return {k: max(v, floors[0]) if k == "out" else max(v, largest_gradient, floors[1]) for k, v in scales.items()}


def block_results(layer, dout, names):
    """run(tensors) for `sensitivities`: torch's encoder layer on tensors["x"] with the kit's
    parameters (and masks) from `tensors`, its output and every gradient for `dout`."""

    def run(tensors):
        x = tensors["x"].detach().requires_grad_()
        params = {k: tensors[k].detach().requires_grad_() for k in names}
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = functional_call(layer, block_state(params), (x,),
                                  dict(src_mask=tensors.get("src_mask"),
                                       src_key_padding_mask=tensors.get("src_key_padding_mask")))
            grads = torch.autograd.grad(out, [x, *params.values()], dout)
        return {"out": out.detach(), "dx": grads[0], **dict(zip(names, grads[1:], strict=True))}

    return run


def _rows(W):
    """Largest absolute row sum of W: how much a gradient d @ W.T can grow (backward)."""
    return max(1.0, float(np.abs(f64(W)).sum(axis=1).max(initial=0.0)))


def layer_norm_floors(case, dout):
    """(forward, backward) sizes of the terms summed inside the block's layer norms, from
    torch's float64 pass through the block's parts. Forward: x - mean rounds at max|input|,
    divided by the smallest std (times |gamma|). Backward: dxhat - mean(dxhat) - xhat *
    mean(dxhat * xhat) rounds at the size of its terms, |upstream| * |gamma| / std; it may
    cancel to almost nothing (a row of nearly equal values), and the layers before it carry
    that rounding on: the next layer norm magnifies it again, the feed-forward network and
    attention by their gains (absolute row sums of the weights, and for attention's scores
    2 max|V| max|K or Q| / sqrt(d)), and a weight's gradient by the size of its input.
    Perturbing the inputs cannot see these: a row of one feature, or of equal values,
    normalises to exactly 0 whatever its input."""
    x, p, H, eps = case["x"], case["params"], case["num_heads"], case["eps"]
    t = {k: torch.tensor(f64(v)) for k, v in p.items()}
    masks = {k: to_torch(case[k], "cpu") for k in ("src_mask", "src_key_padding_mask")}
    N, T, E = x.shape
    d = E // H
    attention = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    act = F.relu if case["activation"] == "relu" else F.gelu
    ins, outs, attn_in, hidden = [], [], [], []

    def sa(z):
        attn_in.append(z)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return functional_call(attention, mha_state(t, E), (z, z, z),
                                   dict(key_padding_mask=masks["src_key_padding_mask"],
                                        attn_mask=masks["src_mask"], need_weights=False))[0]

    def norm(i, z):
        ins.append(z)
        outs.append(F.layer_norm(z, (E,), t[f"gamma_{i}"], t[f"beta_{i}"], eps))
        outs[-1].retain_grad()
        return outs[-1]

    def ff(z):
        hidden.append(z @ t["W_1"] + t["b_1"])
        return act(hidden[-1]) @ t["W_2"] + t["b_2"]

    tx = torch.tensor(f64(x), requires_grad=True)
    with torch.enable_grad():
        if case["norm_first"]:
            h = tx + sa(norm(1, tx))
            out = h + ff(norm(2, h))
        else:
            h = norm(1, tx + sa(tx))
            out = norm(2, h + ff(h))
        out.backward(torch.tensor(f64(dout)))
    gains, ups = [], []
    for i, (z, y) in enumerate(zip(ins, outs, strict=True), start=1):
        z = z.detach().numpy()
        gains.append(max(1.0, finite_abs_max(p[f"gamma_{i}"])) / float(np.sqrt(z.var(axis=-1).min() + eps)))
        ups.append(finite_abs_max(y.grad.numpy()))
    forward = max(g * finite_abs_max(z.detach().numpy()) for g, z in zip(gains, ins, strict=True))
    z = attn_in[0].detach().numpy()
    Q, K, V = (abs_bound(z, p[f"W_{n}"], p[f"b_{n}"]).max(initial=0.0) for n in "qkv")
    g_att = _rows(p["W_o"]) * (_rows(p["W_v"]) + 2 * V * (_rows(p["W_q"]) * K + _rows(p["W_k"]) * Q) / math.sqrt(d))
    g_ff = 1.13 * _rows(p["W_1"]) * _rows(p["W_2"])
    D = finite_abs_max(dout)
    if case["norm_first"]:
        t2 = gains[1] * max(ups[1], D * g_ff)  # layernorm_2's backward, fed by ff's
        u = D + t2  # dh = dout + that
        t1 = gains[0] * max(ups[0], u * g_att)  # layernorm_1's, fed by attention's
        carried = max(u, t1) * (1 + g_att)
    else:
        t2 = gains[1] * D
        u = t2 * (1 + g_ff)  # dh = dh2 + ff's backward of it
        t1 = gains[0] * max(ups[0], u)
        carried = max(u, t1) * (1 + g_att)
    size = max([1.0, finite_abs_max(x)] + [finite_abs_max(a.detach().numpy()) for a in outs + hidden])
    return forward, carried * size


def block_scales(case, dout):
    """{result name: scale} of an encoder-block case for the upstream gradient `dout`:
    `sensitivities` of torch's float64 pass, floored by `layer_norm_floors`."""
    x, p, H = case["x"], case["params"], case["num_heads"]
    masks = {k: to_torch(case[k], "cpu") for k in ("src_mask", "src_key_padding_mask") if case[k] is not None}
    return sensitivities(block_results(encoder_layer(x.shape[-1], H, p["W_1"].shape[1], case["activation"],
                                                     case["norm_first"], case["eps"]), to_torch(dout, "cpu"), list(p)),
                         {"x": to_torch(x, "cpu"), **{k: to_torch(a, "cpu") for k, a in p.items()}, **masks},
                         layer_norm_floors(case, dout))


def adam_b_k_noise(steps, lr):
    """How far Adam may move b_k on rounding noise alone (an absolute tolerance of the
    trained b_k, float64, the capstone's terms and scale of 64).

    b_k's gradient is 0 in exact arithmetic (softmax ignores q . b_k, the same for every
    key of a row): what is left is rounding noise up to the gradient tolerance g_tol, which
    Adam divides by its eps (1e-8): each of the `steps` updates moves b_k by up to
    lr * min(1, g_tol / eps), in the learner's run and in torch's."""
    return 2 * steps * lr * min(1.0, tolerance(np.float64, 64, 64)[1] / 1e-8)
