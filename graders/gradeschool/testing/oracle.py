"""The torch oracle: run a learner's NumPy function and its torch counterpart on the same
inputs, then compare values and gradients with messages a learner can act on.

Every argument, positional or keyword (arrays inside lists and dicts included), is copied
before the learner's call (`gradeschool.testing.snapshots`); the reference is computed in
float64 from those copies on the chosen device, and an input changed in place fails with
its name. Gradients are checked as vector-Jacobian products with a random upstream
gradient, never only through `sum().backward()`.

The tolerance rule (one rule for every check; `tolerance` below)
------------------------------------------------------------------
A correct implementation differs from the float64 reference by its own rounding only. Each
floating-point operation is exact to eps (the dtype's machine epsilon: 2.2e-16 in float64,
1.2e-7 in float32); a sum of n terms accumulates about sqrt(n) eps; and an input that a
correct implementation only knows, or only uses, to a relative eps moves the result by as
much as the function magnifies it (its condition number). So an element passes when

    |got - expected| <= k * (scale + rscale * |expected|),    k = TOL_FACTOR * eps * sqrt(terms)

- `scale` (absolute part): the size of the numbers a correct implementation adds or
  cancels to get the element (|x| * |W| + |b| for x @ W + b; max|x| for log_softmax,
  which is x - logsumexp(x): logsumexp is known to eps * max|x|).
- `rscale` (relative part): how much the function magnifies a relative error of its
  inputs into a relative error of the element, 1 for element-wise functions. softmax(x) =
  exp(x - logsumexp(x)) turns the absolute error eps * max|x| of x - logsumexp(x) into a
  relative error eps * max|x| of every probability: scale = 1 (probabilities are at most
  1), rscale = max|x|. Both forms of softmax, exp(x - max) / sum and exp(x - logsumexp),
  are inside it; a wrong formula (an axis, a missing term) is off by far more.
- `terms`: the number of terms summed into one element.
TOL_FACTOR = 16 covers the constants of these bounds (a few roundings per operation). A
tolerance is never loosened to let a result pass: a test that needs more says which
bound it adds, and why, beside the call."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradeschool.testing import hints, snapshots

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


@contextlib.contextmanager
def _learner_call(call: str):
    """Around a call of learner code: a floating-point warning it raises fails the check,
    and an error it raises carries the call (its inputs) as a note for the learner."""
    from gradeschool.testing.fpwarnings import fail_on_fp_warnings

    try:
        with fail_on_fp_warnings(call):
            yield
    except LearnerFailure:
        raise
    except Exception as exc:
        if not isinstance(exc, NotImplementedError):
            from gradeschool.harness.outcomes import CALL_NOTE

            exc.add_note(f"{CALL_NOTE}{call}")
        raise


def _fail(call: str, problem: str, hint: str | None, lines: Sequence[str] = ()) -> None:
    text = [f"{call}", f"  {problem}", *[f"  {line}" for line in lines]]
    if hint:
        text.append(f"  hint: {hint}")
    raise LearnerFailure("\n".join(text))


def expect(ok: bool, call: str, problem: str, hint: str | None = None, lines: Sequence[str] = ()) -> None:
    """Fail with a learner-facing message (the call, the problem, a hint) unless `ok`: for
    tests that check something no comparison covers (a type, a count, a property)."""
    if not ok:
        _fail(call, problem, hint, lines)


def expect_tuple(result: Any, n: int, call: str, names: Sequence[str]) -> tuple:
    """`result`, when it is a tuple of `n` values (named `names` in the message); else a failure."""
    expect(isinstance(result, tuple) and len(result) == n, call,
           f"should return a tuple of {n} ({', '.join(names)}), returned {describe_value(result)}",
           f"Return the {n} values as one tuple, in this order: {', '.join(names)}.")
    return result


# ---------------------------------------------------------------- tolerances and comparing
def tolerance(dtype, scale: float = 1.0, terms: int = 1, rscale: float = 1.0) -> tuple[float, float]:
    """(rtol, atol) of the module's rule for a result of `dtype`: atol = k * scale and
    rtol = k * rscale with k = TOL_FACTOR * eps * sqrt(terms) (scale and rscale at least 1)."""
    eps = float(np.finfo(dtype).eps)
    k = TOL_FACTOR * eps * math.sqrt(max(terms, 1))
    return k * max(float(rscale), 1.0), k * max(float(scale), 1.0)


def _as_numpy_result(value: Any, what: str, call: str) -> np.ndarray:
    """Accept exactly np.ndarray or a NumPy scalar; anything else (lists, Python floats,
    objects that pretend to be arrays) is a failure, diagnosed by its type."""
    if type(value) is np.ndarray:
        return value
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return np.asarray(value)
    _fail(call, f"{what} is a {type(value).__module__}.{type(value).__qualname__}, expected a numpy.ndarray",
          hints.type_hint(value))
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
    rscale: float = 1.0,
    rtol: float | None = None,
    atol: float | None = None,
    hint: str | None = None,
) -> None:
    """Assert that `got` (a learner's NumPy result) matches `expected` (torch or NumPy),
    in type, shape, dtype, nan/inf pattern and value, with a learner-facing message.

    The hint follows gradeschool.testing.hints.select: a generic diagnosis of the type,
    dtype, shape or a non-finite value comes first; `hint` (a test's, usually
    `mistake(exercise, key)`) is for the mistake a value mismatch points to.

    The tolerance is the module's rule (`scale` defaults to max|expected|) unless `rtol`
    and `atol` are given."""
    exp = expected.detach().cpu().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    g = _as_numpy_result(got, what, call)
    if dtype is not None and g.dtype != np.dtype(dtype):
        _fail(call, f"{what} has dtype {g.dtype}, expected {np.dtype(dtype)}", hints.dtype_hint(g.dtype, dtype))
    if g.shape != exp.shape:
        _fail(call, f"{what} has shape {g.shape}, expected {exp.shape}", hints.shape_hint(g.shape, exp.shape))
    g64, e64 = g.astype(np.float64), exp.astype(np.float64)
    if scale is None:
        finite = np.abs(e64[np.isfinite(e64)])
        scale = float(finite.max()) if finite.size else 1.0
    r, a = tolerance(g.dtype if np.issubdtype(g.dtype, np.floating) else np.float64, scale, terms, rscale)
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
    _fail(
        call,
        f"{what} differs from the reference at {n_bad} of {g.size} elements",
        hints.value_hint(g64, e64, hint),
        [
            f"largest difference at {where}: expected {exp_v:.8g}, got {got_v:.8g}",
            f"tolerance: |got - expected| <= {atol:.2g} + {rtol:.2g} * |expected| ({g.dtype})",
        ],
    )


# ---------------------------------------------------------------- running torch
def to_torch(value: Any, device: str, requires_grad: bool = False):
    """ndarray -> float64 (or int64/bool) tensor on `device`, also inside lists and tuples
    of arrays; other values pass through."""
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
    """The keyword arguments for torch: `torch_kwargs` when given, else the learner's
    (snapshots) with arrays turned into tensors (class weights, pos_weight, ...)."""
    if torch_kwargs is not None:
        return torch_kwargs
    return {k: to_torch(v, device) for k, v in kwargs.items()}


def check_untouched(call: str, args: Sequence[Any], kwargs: dict[str, Any], before: tuple[list, dict],
                    argnames: Sequence[str] | None = None) -> None:
    """Fail, naming the input, if an argument (or an array inside one) differs from its
    snapshot `before` (`snapshots.take(args, kwargs)` before the call)."""
    name = snapshots.changed_argument(args, kwargs, before, argnames)
    if name is not None:
        _fail(call, f"modified its input `{name}` in place", hints.MODIFIED_INPUT)


def _input_dtype(values: Sequence[Any]):
    """The dtype of the first float array among `values`: the dtype results must keep."""
    return next((a.dtype for a in values if type(a) is np.ndarray and a.dtype.kind == "f"), None)


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
    rscale: float = 1.0,
    hint: str | None = None,
) -> np.ndarray:
    """Call `fn(*args, **kwargs)` and `torch_fn` on the same values (float64 tensors made
    from snapshots taken before the call) and compare: type, dtype (the input's), shape,
    values. Returns the learner's result."""
    kwargs = kwargs or {}
    name = name or getattr(fn, "__name__", "function")
    call = describe_call(name, args, kwargs, argnames)
    before = snapshots.take(args, kwargs)
    with _learner_call(call):
        got = fn(*args, **kwargs)
    check_untouched(call, args, kwargs, before, argnames)
    import torch

    with torch.no_grad():
        ref = torch_fn(*(to_torch(a, device) for a in before[0]), **_torch_kwargs(before[1], torch_kwargs, device))
    compare(got, ref, call=call, dtype=_input_dtype(args), scale=scale, terms=terms, rscale=rscale, hint=hint)
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
    before = snapshots.take(args, kwargs)
    with _learner_call(call):
        result = fn(*args, **kwargs)
    loss, dpred = _unpack_pair(result, call, "loss", "dpred")
    check_untouched(call, args, kwargs, before, argnames)
    p = to_torch(before[0][0], device, requires_grad=True)
    ref = torch_fn(p, *(to_torch(o, device) for o in before[0][1:]), **_torch_kwargs(before[1], torch_kwargs, device))
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
    rscale: float = 1.0,
    hint: str | None = None,
) -> None:
    """A layer pair: `forward(*args) -> (out, cache)` and `backward(dout, cache)` returning
    the gradients w.r.t. the arguments listed in `grad_wrt` (one array, or a tuple in that
    order). Values and every gradient are compared with torch autograd's vector-Jacobian
    product for the same random upstream gradient `dout`. No input may change, in the
    forward pass or in the backward pass (through the cache)."""
    import torch

    kwargs = kwargs or {}
    fname = name or getattr(forward, "__name__", "forward")
    bname = getattr(backward, "__name__", "backward")
    call = describe_call(fname, args, kwargs, argnames)
    before = snapshots.take(args, kwargs)
    with _learner_call(call):
        result = forward(*args, **kwargs)
    out, cache = _unpack_pair(result, call, "out", "cache")
    check_untouched(call, args, kwargs, before, argnames)
    targs = [to_torch(a, device, requires_grad=i in grad_wrt) for i, a in enumerate(before[0])]
    ref = torch_fn(*targs, **_torch_kwargs(before[1], torch_kwargs, device))
    dtype = _input_dtype(args)
    tol = dict(dtype=dtype, scale=scale, terms=terms, rscale=rscale, hint=hint)
    compare(out, ref, call=call, what="the output", **tol)
    dout = _upstream(tuple(ref.shape), dtype, seed)
    before_dout = snapshots.take([dout], {})
    bcall = f"{bname}(dout: {describe_value(dout)}, cache) after {call}"
    with _learner_call(bcall):
        grads = backward(dout, cache)
    check_untouched(bcall, [dout], {}, before_dout, ["dout"])
    check_untouched(f"{bcall}\n  (through the cache)", args, kwargs, before, argnames)
    if len(grad_wrt) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    if not isinstance(grads, tuple) or len(grads) != len(grad_wrt):
        _fail(bcall, f"should return {len(grad_wrt)} gradient(s), returned {describe_value(grads)}",
              "Return one gradient per input that has one, as a tuple in the order the docstring gives.")
    refs = torch.autograd.grad(ref, [targs[i] for i in grad_wrt], to_torch(before_dout[0][0], device))
    for i, g, r in zip(grad_wrt, grads, refs, strict=True):
        label = argnames[i] if argnames and i < len(argnames) else f"argument {i + 1}"
        compare(g, r, call=bcall, what=f"the gradient w.r.t. {label}", **tol)
