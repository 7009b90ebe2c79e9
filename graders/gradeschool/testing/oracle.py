"""The torch oracle: run a learner's NumPy function and its torch counterpart on the same
inputs, then compare values and gradients with messages a learner can act on.

The reference is computed in float64 (from the very same input values) on the chosen
device; a learner's float64 result must match to a few ulps, a float32 result to a
tolerance that scales with float32's epsilon, the size of the numbers involved and the
number of terms summed. Gradients are checked as vector-Jacobian products with a random
upstream gradient, never only through `sum().backward()`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

TOL_FACTOR = 16.0


class LearnerFailure(AssertionError):
    """A check failed; str() is the message shown to the learner."""


# ---------------------------------------------------------------- describing calls
def describe_value(value: Any) -> str:
    if type(value) is np.ndarray:
        text = f"{value.dtype} {tuple(value.shape)}"
        if value.size and np.issubdtype(value.dtype, np.floating):
            finite = value[np.isfinite(value)]
            if finite.size:
                text += f" in [{finite.min():.3g}, {finite.max():.3g}]"
        return text
    if isinstance(value, list | tuple) and value and all(type(v) is np.ndarray for v in value):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    return repr(value)


def describe_call(name: str, args: Sequence[Any], kwargs: dict[str, Any], argnames=None) -> str:
    parts = []
    for i, a in enumerate(args):
        label = argnames[i] if argnames and i < len(argnames) else None
        parts.append(f"{label}: {describe_value(a)}" if label else describe_value(a))
    parts += [f"{k}={describe_value(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _fail(call: str, problem: str, hint: str | None, lines: Sequence[str] = ()) -> None:
    text = [f"{call}", f"  {problem}", *[f"  {line}" for line in lines]]
    if hint:
        text.append(f"  hint: {hint}")
    raise LearnerFailure("\n".join(text))


# ---------------------------------------------------------------- tolerances and comparing
def tolerance(dtype, scale: float = 1.0, terms: int = 1) -> tuple[float, float]:
    """(rtol, atol) for a result of `dtype` built from numbers of size `scale` and sums of
    `terms` terms: a few ulps in float64, a few float32 ulps in float32."""
    eps = float(np.finfo(dtype).eps)
    grow = math.sqrt(max(terms, 1))
    return TOL_FACTOR * eps * grow, TOL_FACTOR * eps * grow * max(float(scale), 1.0)


def _as_numpy_result(value: Any, what: str, call: str, hint: str | None) -> np.ndarray:
    """Accept exactly np.ndarray or a NumPy scalar; anything else (lists, Python floats,
    objects that pretend to be arrays) is a failure."""
    if type(value) is np.ndarray:
        return value
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return np.asarray(value)
    _fail(
        call,
        f"{what} is a {type(value).__module__}.{type(value).__qualname__}, expected a numpy.ndarray",
        hint or "Return NumPy arrays (and NumPy scalars for scalar results) of the input's dtype.",
    )
    raise AssertionError  # unreachable


def compare(
    got: Any,
    expected: Any,
    *,
    call: str,
    what: str = "the result",
    dtype=None,
    scale: float | None = None,
    terms: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    hint: str | None = None,
) -> None:
    """Assert that `got` (a learner's NumPy result) matches `expected` (torch or NumPy),
    in type, shape, dtype, nan/inf pattern and value, with a learner-facing message."""
    exp = expected.detach().cpu().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    g = _as_numpy_result(got, what, call, hint)
    if dtype is not None and g.dtype != np.dtype(dtype):
        _fail(call, f"{what} has dtype {g.dtype}, expected {np.dtype(dtype)}", hint
              or "Keep the input's dtype: a float64 constant or np.array(..) default can upcast float32.")
    if g.shape != exp.shape:
        _fail(call, f"{what} has shape {g.shape}, expected {exp.shape}", hint
              or "Check the axis you reduce over and keepdims.")
    g64, e64 = g.astype(np.float64), exp.astype(np.float64)
    if scale is None:
        finite = np.abs(e64[np.isfinite(e64)])
        scale = float(finite.max()) if finite.size else 1.0
    r, a = tolerance(g.dtype if np.issubdtype(g.dtype, np.floating) else np.float64, scale, terms)
    rtol = r if rtol is None else rtol
    atol = a if atol is None else atol
    with np.errstate(invalid="ignore", over="ignore"):
        bad_nan = np.isnan(g64) != np.isnan(e64)
        same_inf = np.isinf(g64) & np.isinf(e64) & (g64 == e64)
        diff = np.where(np.isfinite(g64) & np.isfinite(e64), np.abs(g64 - e64), np.inf)
        diff = np.where(same_inf | (np.isnan(g64) & np.isnan(e64)), 0.0, diff)
        excess = diff - (atol + rtol * np.abs(np.where(np.isfinite(e64), e64, 0.0)))
    if g.size == 0 or (not bad_nan.any() and (excess <= 0).all()):
        return
    idx = np.unravel_index(int(np.argmax(np.where(bad_nan, np.inf, excess))), g.shape)
    where = f"index {tuple(int(i) for i in idx)}" if g.ndim else "the value"
    n_bad = int(((excess > 0) | bad_nan).sum())
    got_v, exp_v = g64[idx], e64[idx]
    auto_hint = None
    if not np.isfinite(got_v) and np.isfinite(exp_v):
        auto_hint = "got a non-finite value where torch's is finite: something overflowed " \
                    "(exp of a large number?) or divided by zero."
    _fail(
        call,
        f"{what} differs from the reference at {n_bad} of {g.size} elements",
        hint or auto_hint,
        [
            f"largest difference at {where}: expected {exp_v:.8g}, got {got_v:.8g}",
            f"tolerance: |got - expected| <= {atol:.2g} + {rtol:.2g} * |expected| ({g.dtype})",
        ],
    )


# ---------------------------------------------------------------- running torch
def to_torch(value: Any, device: str, requires_grad: bool = False):
    """ndarray -> float64 (or int64/bool) tensor on `device`; other values pass through."""
    import torch

    if type(value) is np.ndarray:
        if np.issubdtype(value.dtype, np.floating):
            t = torch.tensor(value.astype(np.float64), device=device)
            return t.requires_grad_(requires_grad)
        if value.dtype == np.bool_:
            return torch.tensor(value, device=device)
        return torch.tensor(value.astype(np.int64), device=device)
    if isinstance(value, list | tuple) and value and all(type(v) is np.ndarray for v in value):
        return type(value)(to_torch(v, device, requires_grad) for v in value)
    return value


def _torch_kwargs(kwargs: dict[str, Any], torch_kwargs: dict[str, Any] | None, device: str) -> dict[str, Any]:
    """The keyword arguments for torch: `torch_kwargs` when given, else the learner's with
    arrays turned into tensors (class weights, pos_weight, ...)."""
    if torch_kwargs is not None:
        return torch_kwargs
    return {k: to_torch(v, device) for k, v in kwargs.items()}


def _snapshot(args: Sequence[Any]) -> list[Any]:
    return [a.copy() if type(a) is np.ndarray else None for a in args]


def _check_untouched(call: str, args: Sequence[Any], before: list[Any], argnames) -> None:
    for i, (a, b) in enumerate(zip(args, before, strict=True)):
        if b is not None and not np.array_equal(a, b, equal_nan=True):
            name = argnames[i] if argnames and i < len(argnames) else f"argument {i + 1}"
            _fail(call, f"modified its input `{name}` in place", "Work on a copy "
                  "(np.maximum(x, 0) returns a new array; x[x < 0] = 0 overwrites x).")


def check_forward(
    fn: Callable,
    torch_fn: Callable,
    *args: Any,
    name: str | None = None,
    argnames: Sequence[str] | None = None,
    kwargs: dict[str, Any] | None = None,
    torch_kwargs: dict[str, Any] | None = None,
    device: str = "cpu",
    scale: float | None = None,
    terms: int = 1,
    hint: str | None = None,
) -> np.ndarray:
    """Call `fn(*args, **kwargs)` and `torch_fn` on the same values (float64 tensors) and
    compare: type, dtype (the input's), shape, values. Returns the learner's result."""
    kwargs = kwargs or {}
    name = name or getattr(fn, "__name__", "function")
    call = describe_call(name, args, kwargs, argnames)
    before = _snapshot(args)
    got = fn(*args, **kwargs)
    _check_untouched(call, args, before, argnames)
    import torch

    with torch.no_grad():
        ref = torch_fn(*(to_torch(a, device) for a in args), **_torch_kwargs(kwargs, torch_kwargs, device))
    dtype = next((a.dtype for a in args if type(a) is np.ndarray and a.dtype.kind == "f"), None)
    compare(got, ref, call=call, dtype=dtype, scale=scale, terms=terms, hint=hint)
    return got


def _upstream(shape: tuple[int, ...], dtype, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _unpack_pair(result: Any, call: str, first: str, second: str) -> tuple[Any, Any]:
    if not (isinstance(result, tuple) and len(result) == 2):
        _fail(call, f"should return a pair ({first}, {second}), returned {describe_value(result)}",
              f"End with `return {first}, {second}`.")
    return result


def check_loss(
    fn: Callable,
    torch_fn: Callable,
    pred: np.ndarray,
    *others: Any,
    name: str | None = None,
    argnames: Sequence[str] = ("pred", "target"),
    kwargs: dict[str, Any] | None = None,
    torch_kwargs: dict[str, Any] | None = None,
    device: str = "cpu",
    scale: float | None = None,
    terms: int = 1,
    hint: str | None = None,
    grad_hint: str | None = None,
) -> None:
    """A loss returns `(loss, dpred)`. The loss must match `torch_fn(pred, *others)`;
    `dpred` must match the gradient of the returned loss w.r.t. `pred` (for reduction
    'none', of each element's loss: the vector-Jacobian product with ones)."""
    import torch

    kwargs = kwargs or {}
    name = name or getattr(fn, "__name__", "loss")
    args = (pred, *others)
    call = describe_call(name, args, kwargs, argnames)
    before = _snapshot(args)
    loss, dpred = _unpack_pair(fn(*args, **kwargs), call, "loss", "dpred")
    _check_untouched(call, args, before, argnames)
    p = to_torch(pred, device, requires_grad=True)
    ref = torch_fn(p, *(to_torch(o, device) for o in others), **_torch_kwargs(kwargs, torch_kwargs, device))
    (dref,) = torch.autograd.grad(ref, p, torch.ones_like(ref), allow_unused=True)
    dref = torch.zeros_like(p) if dref is None else dref
    compare(loss, ref, call=call, what="the loss", dtype=pred.dtype, scale=scale, terms=terms, hint=hint)
    compare(dpred, dref, call=call, what="the gradient dpred", dtype=pred.dtype, scale=scale,
            terms=terms, hint=grad_hint)


def check_layer(
    forward: Callable,
    backward: Callable,
    torch_fn: Callable,
    *args: Any,
    grad_wrt: Sequence[int],
    name: str | None = None,
    argnames: Sequence[str] | None = None,
    kwargs: dict[str, Any] | None = None,
    torch_kwargs: dict[str, Any] | None = None,
    device: str = "cpu",
    seed: int = 0,
    scale: float | None = None,
    terms: int = 1,
    hint: str | None = None,
) -> None:
    """A layer pair: `forward(*args) -> (out, cache)` and `backward(dout, cache)` returning
    the gradients w.r.t. the arguments listed in `grad_wrt` (one array, or a tuple in that
    order). Values and every gradient are compared with torch autograd's vector-Jacobian
    product for the same random upstream gradient `dout`."""
    import torch

    kwargs = kwargs or {}
    fname = name or getattr(forward, "__name__", "forward")
    bname = getattr(backward, "__name__", "backward")
    call = describe_call(fname, args, kwargs, argnames)
    before = _snapshot(args)
    out, cache = _unpack_pair(forward(*args, **kwargs), call, "out", "cache")
    targs = [to_torch(a, device, requires_grad=i in grad_wrt) for i, a in enumerate(args)]
    ref = torch_fn(*targs, **_torch_kwargs(kwargs, torch_kwargs, device))
    dtype = next(a.dtype for a in args if type(a) is np.ndarray and a.dtype.kind == "f")
    compare(out, ref, call=call, what="the output", dtype=dtype, scale=scale, terms=terms, hint=hint)
    dout = _upstream(tuple(ref.shape), dtype, seed)
    before_dout = dout.copy()
    grads = backward(dout, cache)
    bcall = f"{bname}(dout: {describe_value(dout)}, cache) after {call}"
    _check_untouched(bcall, [dout], [before_dout], ["dout"])
    _check_untouched(call, args, before, argnames)
    if len(grad_wrt) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    if not isinstance(grads, tuple) or len(grads) != len(grad_wrt):
        _fail(bcall, f"should return {len(grad_wrt)} gradient(s), returned {describe_value(grads)}", hint)
    refs = torch.autograd.grad(ref, [targs[i] for i in grad_wrt], to_torch(dout, device))
    for i, g, r in zip(grad_wrt, grads, refs, strict=True):
        label = argnames[i] if argnames and i < len(argnames) else f"argument {i + 1}"
        compare(g, r, call=bcall, what=f"the gradient w.r.t. {label}", dtype=dtype,
                scale=scale, terms=terms, hint=hint)
