"""torch references of topic 5 (regularization): F.batch_norm with the kit's options, and
the speed gates: each pairs the learner's pass with torch's (F.dropout, F.batch_norm,
F.layer_norm); dropout's gate checks the timed result's statistics instead, as a random
mask cannot equal torch's."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from gradeschool.testing.gates import label, normal
from gradeschool.testing.oracle import describe_value
from gradeschool.testing.speed import Gate
from gradeschool.testing.tolerances.regularization import kept_fraction_bound


def torch_batchnorm(train, momentum, eps):
    def batch_norm(x, gamma, beta, running_mean, running_var):
        return F.batch_norm(x, running_mean.clone(), running_var.clone(), gamma, beta,
                            training=train, momentum=momentum, eps=eps)

    return batch_norm


def dropout_pass(impl):
    def dropout_forward_backward(x, dout, p):
        out, cache = impl.dropout_forward(x, p=p, train=True, seed=0)
        return out, impl.dropout_backward(dout, cache)

    return dropout_forward_backward


def torch_dropout_pass(x, dout, p):
    with torch.enable_grad():
        t = x.detach().requires_grad_()
        out = F.dropout(t, p=p, training=True)
        return out.detach(), torch.autograd.grad(out, t, dout)[0]


def dropout_check(got, args):
    """A random mask cannot equal torch's: the timed call's result must be dropout of x
    (kept elements scaled by 1 / (1 - p), about 1 - p of them kept) and its backward
    must send dout through the same mask."""
    x, dout, p = args
    if not (isinstance(got, tuple) and len(got) == 2 and all(isinstance(a, np.ndarray) for a in got)):
        return f"it returned {describe_value(got)}, expected (out, dx)"
    out, dx = (a.astype(np.float64) for a in got)
    kept, scale = out != 0, 1 / (1 - p)
    if abs(kept.mean() - (1 - p)) > kept_fraction_bound(x.size, p) or not np.allclose(out[kept], x[kept] * scale):
        return "out is not x with a random mask of keep rate 1 - p, scaled by 1 / (1 - p)"
    if not np.allclose(dx, np.where(kept, dout * scale, 0.0)):
        return "dx does not go through the mask of out, scaled by 1 / (1 - p)"
    return None


def batchnorm_pass(impl):
    def batchnorm_forward_backward(x, gamma, beta, running_mean, running_var, dout, train):
        out, cache, rm, rv = impl.batchnorm_forward(x, gamma, beta, running_mean, running_var, train=train)
        return out, rm, rv, *impl.batchnorm_backward(dout, cache)

    return batchnorm_forward_backward


def torch_batchnorm_pass(x, gamma, beta, running_mean, running_var, dout, train):
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in (x, gamma, beta)]
        rm, rv = running_mean.clone(), running_var.clone()
        out = F.batch_norm(leaves[0], rm, rv, leaves[1], leaves[2], training=train)
        return out.detach(), rm, rv, *torch.autograd.grad(out, leaves, dout)


def batchnorm_gate(shape, train):
    def make(rng, dtype):
        c = shape[1]
        return (normal(rng, shape, dtype), *(normal(rng, c, dtype) for _ in range(3)),
                rng.uniform(0.5, 2.0, c).astype(dtype), normal(rng, shape, dtype), train), {}

    return Gate("batchnorm", f"batchnorm-{'train' if train else 'eval'}-{label(shape)}", make, batchnorm_pass,
                torch_batchnorm_pass, name="batchnorm_forward + batchnorm_backward")


def layernorm_pass(impl):
    def layernorm_forward_backward(x, gamma, beta, dout):
        out, cache = impl.layernorm_forward(x, gamma, beta)
        return out, *impl.layernorm_backward(dout, cache)

    return layernorm_forward_backward


def torch_layernorm_pass(x, gamma, beta, dout):
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in (x, gamma, beta)]
        out = F.layer_norm(leaves[0], tuple(gamma.shape), leaves[1], leaves[2])
        return out.detach(), *torch.autograd.grad(out, leaves, dout)


def layernorm_gate(shape, k):
    def make(rng, dtype):
        return (normal(rng, shape, dtype), normal(rng, shape[-k:], dtype), normal(rng, shape[-k:], dtype),
                normal(rng, shape, dtype)), {}

    return Gate("layernorm", f"layernorm-{label(shape)}-last{k}", make, layernorm_pass, torch_layernorm_pass,
                name="layernorm_forward + layernorm_backward")
