"""torch references of topic 3 (backprop): softmax, the relative error of gradient_check,
and the speed gates: each pairs the learner's pass with torch's (autograd, the MLP of
`references.mlp_scores`, train_mlp's protocol run by `references.sgd_training`,
torch.nn.init for the initialisers)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from gradeschool.testing.gates import label, normal
from gradeschool.testing.oracle import describe_value
from gradeschool.testing.references import mlp_scores, sgd_training
from gradeschool.testing.speed import Gate


def torch_softmax(t, axis=-1):
    return torch.softmax(t, dim=axis)


def torch_relative_error(a, n, tiny=1e-12):
    """The docstring's formula in torch (float64); 0.0 for empty arrays."""
    if a.numel() == 0:
        return 0.0
    return float(((a - n).abs() / (a.abs() + n.abs()).clamp_min(tiny)).max())


def torch_backward(fn, **fixed):
    """torch's forward and backward of `fn` at x for the upstream gradient dout (autograd)."""

    def backward(dout, x, **kwargs):
        with torch.enable_grad():
            t = x.detach().requires_grad_()
            return torch.autograd.grad(fn(t, **fixed, **kwargs), t, dout)[0]

    return backward


def dense_pass(impl):
    def dense_forward_backward(x, W, b, dout):
        _, cache = impl.dense_forward(x, W, b)
        return impl.dense_backward(dout, cache)

    return dense_forward_backward


def torch_dense_pass(x, W, b, dout):
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in (x, W, b)]
        return torch.autograd.grad(F.linear(leaves[0], leaves[1].T, leaves[2]), leaves, dout)


def mlp_pass(impl):
    def mlp_forward_backward(x, dout, params, activation):
        model = impl.MLP([params[0].shape[0], *(p.shape[0] for p in params[1::2])], activation=activation,
                         params=params, dtype=x.dtype)
        scores = model.forward(x)
        return scores, model.backward(dout), list(model.grads)

    return mlp_forward_backward


def torch_mlp_pass(x, dout, params, activation):
    with torch.enable_grad():
        tp = [p.detach().requires_grad_() for p in params]
        tx = x.detach().requires_grad_()
        scores = mlp_scores(tp, tx, activation)
        grads = torch.autograd.grad(scores, [tx, *tp], dout)
        return scores.detach(), grads[0], list(grads[1:])


def mlp_gate(sizes, n, activation):
    def make(rng, dtype):
        params = [normal(rng, s, dtype, 0.5) for a, b in zip(sizes, sizes[1:], strict=False) for s in ((a, b), (b,))]
        return (normal(rng, (n, sizes[0]), dtype), normal(rng, (n, sizes[-1]), dtype), params, activation), {}

    return Gate("MLP", f"MLP-{n}x{'-'.join(map(str, sizes))}", make, mlp_pass, torch_mlp_pass,
                name="MLP.forward + MLP.backward")


def init_gate(name, torch_init, fans):
    """An initialiser's gate: its draws are random, so the check is of the shape, dtype
    and spread of the weights, not of torch's values."""
    def torch_fn(fan_in, fan_out, rng, dtype):
        return torch_init(torch.empty(fan_out, fan_in, dtype=torch.float32 if dtype == np.float32 else torch.float64))

    def check(got, args):
        fan_in, fan_out = args
        expected = torch_fn(fan_in, fan_out, 0, got.dtype if isinstance(got, np.ndarray) else np.float64).T
        if not isinstance(got, np.ndarray) or got.shape != tuple(expected.shape):
            return f"it returned {describe_value(got)}, expected shape {tuple(expected.shape)}"
        ratio = float(np.std(got)) / float(expected.std())
        return None if 0.9 < ratio < 1.1 else f"the weights' std is {ratio:.3g} times torch's"

    return Gate(name, f"{name}-{label(fans)}", lambda rng, dtype: (fans, {"rng": 0, "dtype": dtype}),
                lambda impl: impl.get(name), torch_fn, check=check)


def train_pass(impl):
    def train(X, y, params, epochs, lr, batch_size):
        model = impl.MLP([params[0].shape[0], params[2].shape[0], params[2].shape[1]], params=params,
                         dtype=X.dtype)
        losses = impl.train_mlp(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=0)
        return list(model.params), losses

    return train


def torch_train(X, y, params, epochs, lr, batch_size):
    return sgd_training([p.numpy() for p in params], X.numpy(), y.numpy(), epochs=epochs, lr=lr,
                            batch_size=batch_size, rng=0, dtype=X.dtype)


def train_gate():
    def make(rng, dtype):
        sizes = [4, 8, 3]
        params = [normal(rng, s, dtype, 0.5) for a, b in zip(sizes, sizes[1:], strict=False) for s in ((a, b), (b,))]
        return (normal(rng, (2048, 4), dtype), rng.integers(0, 3, 2048), params, 2, 0.1, 512), {}

    return Gate("train_mlp", "train_mlp-2048x4-batches-of-512", make, train_pass, torch_train,
                name="train_mlp (2 epochs, batches of 512)")
