"""The optimizer oracle: a learner's optimizer and torch.optim's, side by side.

`check_trajectory` builds both optimizers (torch with foreach=False, in float64) on the
same starting parameters and feeds both the same sequence of gradients; every parameter is
compared after every step, and the optimizer state at the end. The gradients come from a
`Problem`: random, or a real loss (the Rosenbrock valley, a small tanh MLP) evaluated with
torch autograd along torch's trajectory. Feeding both sides the same gradients keeps the
comparison well conditioned: a float32 learner only adds its own rounding, which grows
with the number of steps (the tolerance of step t passes `terms=t`)."""

from __future__ import annotations

import numpy as np
import torch

from gradeschool.testing.oracle import LearnerFailure, compare, describe_call, describe_value, to_torch, tolerance

STEPS = 24


def rosenbrock(p):
    """Sum of Rosenbrock functions (1 - x)**2 + 100 (y - x**2)**2 over the rows (x, y) of p."""
    x, y = p[:, 0], p[:, 1]
    return ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum()


def mlp_loss(params, x, y):
    """Mean squared error of a one-hidden-layer tanh network, x @ W1 + b1 -> tanh -> @ W2 + b2."""
    W1, b1, W2, b2 = params
    return ((torch.tanh(x @ W1 + b1) @ W2 + b2 - y) ** 2).mean()


class Problem:
    """Starting parameters and a gradient source: `grads(ref)` gives the next gradients
    (arrays of the test's dtype) at torch's current parameters `ref`."""

    def __init__(self, kind, dtype, params, seed, device, data=None, scale=1.0):
        self.kind, self.dtype, self.params, self.device = kind, dtype, params, device
        self.rng = np.random.default_rng(seed)
        self.data, self.scale = data, scale

    def grads(self, ref):
        if self.kind == "random":
            return [np.asarray(self.rng.standard_normal(p.shape) * self.scale, dtype=self.dtype) for p in self.params]
        leaves = [r.detach().clone().requires_grad_(True) for r in ref]
        loss = rosenbrock(leaves[0]) if self.kind == "rosenbrock" else mlp_loss(leaves, *self.data)
        return [np.asarray(g.cpu().numpy(), dtype=self.dtype) for g in torch.autograd.grad(loss, leaves)]

    def __repr__(self):
        return f"{self.kind} gradients"


def _conditioning(torch_state) -> float:
    """How much centered RMSprop's sqrt(v - a**2) magnifies rounding: a relative error e in
    v or a**2 (torch updates a with lerp, the notes with alpha * a + (1 - alpha) * g: both
    right, a few ulps apart) is a relative error e (v + a**2) / (v - a**2) in the root, and
    so in the state built from it (ROOT_DERIVED). 1 for every other optimizer."""
    v, a = torch_state.get("square_avg"), torch_state.get("grad_avg")
    if v is None or a is None:
        return 1.0
    v, a2 = v.double(), a.double() ** 2
    gap = (v - a2).abs().clamp_min(torch.finfo(torch.float64).tiny)
    return max(1.0, float(((v + a2) / gap).max()))


ROOT_DERIVED = {"momentum_buffer"}  # RMSprop's sum of g / root; its square_avg and grad_avg come before the root


def _first_bad_step(got, expected, dtype):
    """Index of the first step whose parameter is out of tolerance (None if none is):
    step t (from 1) gets the tolerance of a result built in t rounds (terms=t)."""
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        rtol, atol = tolerance(dtype, float(np.abs(e).max(initial=0)), k + 1)
        with np.errstate(invalid="ignore", over="ignore"):
            g = g.astype(np.float64)
            ok = (np.abs(g - e) <= atol + rtol * np.abs(e)) | (g == e) | (np.isnan(g) & np.isnan(e))
        if not ok.all():
            return k
    return None


def check_trajectory(cls, torch_cls, problem, kwargs, steps=STEPS, lr_change=0.5):
    """Run the learner's optimizer and torch's for `steps` steps on the same gradients;
    compare every parameter after every step, and the state at the end. Halfway, opt.lr
    is multiplied by `lr_change` on both sides, as a schedule does between epochs (the
    optimizer must read self.lr at every step)."""
    start = problem.params
    params = [p.copy() for p in start]
    opt = cls(params, **kwargs)
    ref = [to_torch(p, problem.device) for p in start]
    torch_opt = torch_cls(ref, foreach=False, **kwargs)
    made = describe_call(getattr(cls, "__name__", "optimizer"), [start], kwargs, ["params"])
    if lr_change != 1:
        made += f" (opt.lr times {lr_change:g} after step {steps // 2}, as a schedule does)"
    got, expected, passed, seen = [[] for _ in params], [[] for _ in params], [], []
    condition = 1.0  # the largest magnification of rounding in the state, over the steps
    for step in range(steps):
        if step == steps // 2 and lr_change != 1:
            for group in torch_opt.param_groups:
                group["lr"] *= lr_change
            opt.lr = torch_opt.param_groups[0]["lr"]
        grads = problem.grads(ref)
        passed.append(grads)
        seen.append([g.copy() for g in grads])
        for r, g in zip(ref, grads, strict=True):
            r.grad = to_torch(g, problem.device)
        opt.step(grads)
        torch_opt.step()
        condition = max([condition, *(_conditioning(torch_opt.state[r]) for r in ref)])
        for i, (p, r) in enumerate(zip(params, ref, strict=True)):
            got[i].append(p.copy())
            expected[i].append(r.detach().cpu().numpy().copy())
    for t, (grads, copies) in enumerate(zip(passed, seen, strict=True), 1):
        for i, (g, c) in enumerate(zip(grads, copies, strict=True)):
            if not np.array_equal(g, c):
                raise LearnerFailure(f"opt = {made}\n  the grads[{i}] given to opt.step at step {t} were changed "
                                     f"(by step {t} or a later one)\n  hint: the gradients belong to the caller: "
                                     "keep copies (np.array(g, copy=True)) in your state, never the arrays themselves.")
    for i in range(len(params)):
        k = _first_bad_step(got[i], expected[i], problem.dtype)
        if k is None:
            continue
        stuck = np.array_equal(got[i][k], start[i]) and not np.array_equal(expected[i][k], start[i])
        compare(got[i][k], expected[i][k], what=f"parameter {i}", dtype=problem.dtype, terms=k + 1,
                call=f"opt = {made}\n  opt.step(grads: {describe_value(seen[k])}) at step {k + 1} of {steps} "
                     f"({problem!r})",
                hint="the parameter did not change: update the caller's array in place (`param -= ...`), "
                     "not a new local array (`param = param - ...`)." if stuck else None)
    for i, r in enumerate(ref):
        theirs = torch_opt.state[r]
        after = f"opt = {made}\n  after {steps} steps ({problem!r})"
        for key, value in opt.state[i].items():
            expected_value = theirs.get(key)
            if expected_value is None or value is None:
                continue
            if key == "step":
                compare(np.asarray(value), np.asarray(float(expected_value)), call=after,
                        what=f"opt.state[{i}]['step'] (the number of steps)", rtol=0, atol=0)
            else:
                scale = float(torch.as_tensor(expected_value).double().abs().max().clamp_min(1.0))
                magnified = condition if key in ROOT_DERIVED else 1.0
                rtol, atol = (magnified * t for t in tolerance(problem.dtype, scale, steps))
                compare(value, expected_value, call=after, what=f"opt.state[{i}][{key!r}]",
                        dtype=problem.dtype, rtol=rtol, atol=atol)
