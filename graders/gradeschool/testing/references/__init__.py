"""torch references the tests compare with: networks and training loops written with torch
(autograd, torch.optim, F.*), float64 unless the inputs say otherwise, and torch's own
functions where a rule torch leaves open needs stating (a fully masked attention row).
They hold no NumPy answer to an exercise.

Shared ones here (the MLP and its SGD training, attention); a topic's own beside them, in
`gradeschool.testing.references.<topic>` (one module per topic, as the strategies), with
the error scales of their tolerances in `gradeschool.testing.tolerances.<topic>`."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "softmax": lambda t: torch.softmax(t, dim=-1), None: lambda t: t}


def mlp_scores(params, x, activation="relu"):
    """Scores of an MLP with params [W1, b1, W2, b2, ...] (W of shape (in, out)): the
    hidden activation after every layer but the last, raw scores at the output."""
    layers = len(params) // 2
    a = x
    for layer in range(layers):
        a = F.linear(a, params[2 * layer].T, params[2 * layer + 1])
        if layer < layers - 1:
            a = ACTIVATIONS[activation](a)
    return a


def mlp_penalty(params, l1=0.0, l2=0.0):
    """l1 * sum|W| + (l2 / 2) * sum W**2 over the weights params[0::2] (not the biases)."""
    return sum(l1 * W.abs().sum() + 0.5 * l2 * (W * W).sum() for W in params[0::2])


def leaves(arrays, device="cpu", dtype=torch.float64):
    """Tensors that require grad, made from copies of the arrays."""
    return [torch.tensor(np.asarray(a), dtype=dtype, device=device).requires_grad_() for a in arrays]


def sgd_training(params, X, y, *, epochs, lr, batch_size, rng, activation="relu", l1=0.0, l2=0.0,
                 shuffle=True, dtype=torch.float64):
    """train_mlp's documented protocol run by torch: one rng.permutation(N) per epoch
    (rng = np.random.default_rng(rng)), batches in that order, F.cross_entropy + the
    penalty, torch.optim.SGD. Returns (the parameters after training, the mean batch loss
    of every epoch)."""
    with torch.enable_grad():  # a speed gate times references under torch.no_grad()
        return _sgd_training(params, X, y, epochs, lr, batch_size, rng, activation, l1, l2, shuffle, dtype)


def _sgd_training(params, X, y, epochs, lr, batch_size, rng, activation, l1, l2, shuffle, dtype):
    tp = leaves(params, dtype=dtype)
    X, y = torch.tensor(np.asarray(X), dtype=dtype), torch.tensor(np.asarray(y), dtype=torch.int64)
    optimizer = torch.optim.SGD(tp, lr=lr)
    rng = np.random.default_rng(rng)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        epoch = torch.zeros((), dtype=torch.float64)
        batches = range(0, len(X), batch_size)
        for start in batches:
            idx = torch.from_numpy(order[start:start + batch_size])
            loss = F.cross_entropy(mlp_scores(tp, X[idx], activation), y[idx]) + mlp_penalty(tp, l1, l2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch += loss.detach()
        history.append(float(epoch) / len(batches))
    return [p.detach() for p in tp], history


def epoch_losses(optimizer, batch_loss, n, *, epochs, batch_size, seed):
    """A fit method's documented protocol with a torch optimizer: one rng.permutation(n) per
    epoch (rng = np.random.default_rng(seed)), batches in that order, each a step of
    `optimizer` on batch_loss(indices of the batch). Returns the mean batch loss of every
    epoch."""
    rng, history = np.random.default_rng(seed), []
    for _ in range(epochs):
        order, losses = rng.permutation(n), []
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = batch_loss(batch)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(np.mean(losses))
    return history


def sdpa_reference(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """F.scaled_dot_product_attention with the kit's rule for a query that may attend to
    no key (weights 0, output 0, no gradient: torch 2.13 does the same, older versions give
    NaN): such a row gets an all-open mask for torch, and its output is multiplied by 0."""
    if attn_mask is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=scale)
    if attn_mask.dim() == 1:  # (S,): torch 2.13 trips on some 1-D masks; (1, S) is the same mask
        attn_mask = attn_mask[None]
    opened = attn_mask if attn_mask.dtype == torch.bool else attn_mask > -math.inf
    dead = ~opened.any(dim=-1, keepdim=True)
    safe = torch.where(dead, torch.ones_like(attn_mask) if attn_mask.dtype == torch.bool
                       else torch.zeros_like(attn_mask), attn_mask)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=safe, scale=scale)
    return out * (~dead).to(out.dtype)
