"""Speed gates: learner code vs torch on the CPU, timed side by side in one test.

Absolute times mean nothing on a shared machine; the ratio of two timings taken in
alternation does. Both libraries run on one thread (their thread pools fight on two
cores). A candidate first runs once, untimed, under a time budget, so a Python loop that
would take a minute fails in about a second. After the timing, the candidate's result is
compared with torch's on the same inputs (`RESULT_TOL`), so that fast but wrong code earns
no speed points.

Gate policy
-----------
- Every exercise whose work can be done on whole arrays has a gate (`Gate`, run by
  `run_gate`): a Python loop over samples, rows, channels, classes or elements must fail.
- Shapes: for each axis a loop could run over, one gate shape makes that axis long and
  the others short, so that a loop over it runs thousands of cheap iterations (each a
  NumPy call of a microsecond or more, against torch's single call over the whole array).
  A loop over a short axis (the k*k positions of a kernel, the layers of a network, the
  arrays of a parameter list) is fine and is not gated.
- `max_ratio` is set from measured distributions: the slowest correct style (allocating
  temporaries, float64 intermediates cast back, einsum, np.where or masks, ...) and the
  fastest loop version, each measured repeatedly, with margin both ways; each gate states
  its figures and the machine load beside it. The arrays are small (at most 128 KiB each,
  below glibc's mmap threshold, so that MALLOC_MMAP_THRESHOLD_ set or unset gives the same
  allocator for both sides), which also keeps the gates fast.
- Re-measure with `python tests/kit/testing/calibrate_gates.py` (see its docstring): it
  times the solutions, the correct alternatives of tests/kit/testing/alternatives/ and the
  loop mutants (tests/mutants/, names containing "loop") on every gate.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradeschool.core.implementation import Implementation
from gradeschool.harness.deadline import deadline
from gradeschool.testing.oracle import LearnerFailure, describe_call, describe_value

# How far the timed call's result may be from torch's, relative to the largest magnitude of
# each array of torch's result. Loose on purpose (the correctness tests check precision):
# float32 sums of the gates' ~1e5 terms stay below 1e-5 relative, while skipped work or a
# wrong formula is off by order 1.
RESULT_TOL = {np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-6}


class _OverBudget(Exception):
    pass


@contextlib.contextmanager
def single_thread():
    """NumPy's BLAS and torch both on one thread, restored afterwards."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def time_budget(seconds: float):
    """Raise _OverBudget in the main thread once `seconds` have passed (no-op elsewhere)."""
    return deadline(seconds, exc=_OverBudget)


def _once(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    seconds = getattr(fn, "seconds", None)  # an implementation's own figure (see Implementation.timer)
    return elapsed if seconds is None else seconds


ROUNDS = 7  # rounds of a measurement
MORE_ROUNDS = 40  # the most rounds a candidate just over its limit gets
MORE_SECONDS = 2.0  # ... and the most time they may take
CLEARLY_OVER = 3.0  # a candidate this many times over its limit is not measured further


def measure_ratio(
    candidate: Callable[[], Any], reference: Callable[[], Any], repeats: int = ROUNDS,
    give_up_above: float = float("inf"), limit: float | None = None,
) -> tuple[float, float, float]:
    """(ratio, candidate seconds, reference seconds): the best candidate time over the best
    reference time, from rounds of candidate, reference, reference.

    The reference runs twice a round so that its best time is a warm one: right after a
    long Python loop torch's first call is up to 3x slower (its caches were evicted), which
    would flatter the loop. `repeats` rounds are run, fewer once the ratio is above
    `give_up_above`. With a `limit`, a ratio between the limit and CLEARLY_OVER times it
    gets more rounds (up to MORE_ROUNDS, or MORE_SECONDS): on a loaded machine a whole
    measurement of a correct candidate can be slowed down 4x (measured: 1 run in 5 under a
    load of 6 on 2 cores), while a loop's best time does not come down with more tries."""
    cand, ref = [], []
    start = time.perf_counter()
    for i in range(max(repeats, MORE_ROUNDS if limit else repeats)):
        cand.append(_once(candidate))
        ref.append(_once(reference))
        ref.append(_once(reference))
        ratio = min(cand) / min(ref)
        if i >= 1 and ratio > give_up_above:
            break
        if i + 1 >= repeats and (limit is None or ratio <= limit or ratio > CLEARLY_OVER * limit
                                 or time.perf_counter() - start > MORE_SECONDS):
            break
    c, r = min(cand), min(ref)
    return c / r, c, r


def _tensors(value: Any) -> Any:
    """ndarrays (also inside lists, tuples and dicts) as torch tensors sharing their memory."""
    import torch

    if type(value) is np.ndarray:
        return torch.from_numpy(value)
    if isinstance(value, list | tuple):
        return type(value)(_tensors(v) for v in value)
    if isinstance(value, dict):
        return {k: _tensors(v) for k, v in value.items()}
    return value


def _leaves(value: Any, path: str = "the result") -> list[tuple[str, Any]]:
    """(path, array-like) pairs of a nested result: tensors and arrays, numbers, None."""
    if isinstance(value, list | tuple):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}[{k!r}]")]
    return [(path, value)]


def _as_array(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def result_mismatch(got: Any, expected: Any) -> str | None:
    """Why `got` (the learner's result) is not `expected` (torch's, same structure), or None
    when every array matches within RESULT_TOL."""
    mine, theirs = _leaves(got), _leaves(expected)
    if len(mine) != len(theirs):
        return f"it returned {len(mine)} value(s) where torch returns {len(theirs)}"
    for (path, g), (_, e) in zip(mine, theirs, strict=True):
        ga, ea = _as_array(g), _as_array(e)
        if ea is None:
            continue
        if ga is None or ga.shape != ea.shape:
            return f"{path} is {describe_value(g)}, torch's has shape {ea.shape}"
        dtype = getattr(g, "dtype", np.dtype(np.float64))
        size = float(np.abs(ea[np.isfinite(ea)]).max(initial=0.0))
        atol = RESULT_TOL.get(np.dtype(dtype), RESULT_TOL[np.dtype(np.float64)]) * (size or 1.0)
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(ga - ea) <= atol) & ~(ga == ea)
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
            return (f"{path}{list(i) if i else ''} is {float(ga[i]):.6g}, torch's is {float(ea[i]):.6g} "
                    f"(tolerance {atol:.2g}; {int(bad.sum())} of {bad.size} elements differ)")
    return None


def assert_speed(
    benchmark: Any,
    impl: Implementation,
    fn: Callable,
    torch_fn: Callable,
    *args: Any,
    max_ratio: float,
    name: str | None = None,
    kwargs: dict[str, Any] | None = None,
    torch_kwargs: dict[str, Any] | None = None,
    hint: str = "Is there a Python loop? Work on whole arrays (axis=..., keepdims=True).",
    repeats: int = ROUNDS,
    check: Callable[..., str | None] | None = None,
    unchecked_because: str | None = None,
) -> float:
    """Fail unless `fn(*args)` runs within `max_ratio` times `torch_fn` on the same data
    (torch tensors of the same dtype, CPU, one thread) and returns torch's result (the same
    structure of arrays, within RESULT_TOL). `fn` is learner code from `impl` (or a closure
    over such calls); `impl.timer` runs it where the learner's code lives.

    The result check: by default `result_mismatch(fn's result, torch_fn's result)`;
    `check(result, args)` replaces it where torch's result cannot be equal (random dropout
    masks: it returns what is wrong with the result of a call on `args`, or None); a
    `check(result)` without `args` checks only this call's result (an isolated
    implementation then cannot compare its timed runs, which have arguments of their own);
    `unchecked_because="why"` skips it, and must say why.
    Returns the measured ratio and records it in `benchmark.extra_info['ratio']`."""
    import torch

    kwargs = kwargs or {}
    tkw = torch_kwargs if torch_kwargs is not None else {k: _tensors(v) for k, v in kwargs.items()}
    name = name or getattr(fn, "__name__", "function")
    call = describe_call(name, args, kwargs)
    targs = [_tensors(a) for a in args]

    def expected(run_args, run_kwargs):  # torch's result for a timed run's inputs (Implementation.timer)
        rkw = torch_kwargs if torch_kwargs is not None else {k: _tensors(v) for k, v in run_kwargs.items()}
        with torch.no_grad():
            return torch_fn(*[_tensors(a) for a in run_args], **rkw)

    # an isolated implementation times runs on perturbed copies of the arguments and checks
    # them afterwards: against torch on the same copies, or with `check` on them
    keep = tuple(kwargs) if torch_kwargs is not None else ()  # torch's own kwargs are not perturbed
    with_args = check is not None and _takes_args(check)
    if unchecked_because is not None or (check is not None and not with_args):
        options: dict[str, Any] = {"keep": keep}  # the timed runs are committed to, not compared
    elif check is not None:
        options = {"expected": lambda run_args, run_kwargs: run_args, "mismatch": check, "keep": keep}
    else:
        options = {"expected": expected, "keep": keep}

    def reference():
        with torch.no_grad():
            return torch_fn(*targs, **tkw)

    def reference_cpu():  # torch's CPU time (this thread), where the candidate's figures are CPU time
        began = time.thread_time()
        result = reference()
        reference_cpu.seconds = time.thread_time() - began
        return result

    def measure(last: bool):
        """(ratio, candidate seconds, torch seconds, the timer, whether the judge's CPU
        accounting decided: the figure is the measurement's floor, or a CPU figure up to
        CLEARLY_OVER times over the limit, or its runs were refused as work moved out,
        which fails at once when this is the `last` try)."""
        candidate = impl.timer(fn, tuple(args), dict(kwargs), **options)
        reference()
        ref_time = min(_once(reference) for _ in range(3))
        budget = max(0.25, 3 * max_ratio * ref_time)
        try:
            with time_budget(budget):
                _once(candidate)  # a warm-up (caches, allocations): only the budget judges it
        except _OverBudget:
            raise LearnerFailure(
                f"{call}\n  is too slow: its first call took more than {budget:.2g} s, over "
                f"{budget / ref_time:.0f}x torch's {ref_time:.2g} s (limit {max_ratio:g}x)\n  hint: {hint}"
            ) from None
        compared = reference_cpu if getattr(candidate, "cpu_figures", False) else reference
        ratio, cand_time, ref_time = measure_ratio(candidate, compared, repeats, CLEARLY_OVER * max_ratio,
                                                   limit=max_ratio)
        untrusted = getattr(candidate, "check", lambda: None)()
        if untrusted and (last or not getattr(candidate, "refused", False)):
            raise LearnerFailure(f"{call}\n  earns no speed points: {untrusted}")
        floor = getattr(candidate, "floor", None)  # an isolated measurement's least figure
        floored = floor is not None and floor > cand_time
        if floored:
            cand_time, ratio = floor, floor / ref_time
        near = getattr(candidate, "cpu_figures", False) and max_ratio < ratio <= CLEARLY_OVER * max_ratio
        return ratio, cand_time, ref_time, candidate, bool(untrusted) or (floored and ratio > max_ratio) or near

    with single_thread():
        # A measurement failed by the judge's CPU accounting (its floor, runs refused as
        # work moved out, or a figure just over the limit: a figure is the CPU per run so
        # far, set-ups included) is repeated once: a stray spike of CPU lands on one
        # measurement, not on two, while moved work is charged again each time.
        ratio, cand_time, ref_time, candidate, accounted = measure(last=False)
        if accounted:
            ratio, cand_time, ref_time, candidate, _ = measure(last=True)
        benchmark.extra_info.update({"ratio": ratio, "torch_seconds": ref_time, "max_ratio": max_ratio})
        if ratio <= max_ratio and getattr(benchmark, "disabled", False) is False:
            benchmark.pedantic(candidate, rounds=3, iterations=1)
    if ratio > max_ratio:
        raise LearnerFailure(
            f"{call}\n  is {ratio:.1f}x slower than torch ({cand_time * 1e3:.3g} ms vs "
            f"{ref_time * 1e3:.3g} ms, one thread each; limit {max_ratio:g}x)\n  hint: {hint}"
        )
    if unchecked_because is None:
        got = fn(*args, **kwargs)
        wrong = (check(got, args) if with_args else check(got)) if check is not None else \
            result_mismatch(got, reference())
        if wrong:
            raise LearnerFailure(
                f"{call}\n  is fast enough ({ratio:.1f}x torch), but its result is wrong: {wrong}\n"
                "  hint: the speed test checks the result of the call it timed; make the correctness "
                "tests pass first.")
    return ratio


def _takes_args(check: Callable) -> bool:
    """Whether `check` takes the call's arguments after its result."""
    try:
        params = inspect.signature(check).parameters.values()
    except (TypeError, ValueError):
        return False
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 2 \
        or any(p.kind == p.VAR_POSITIONAL for p in params)


@dataclass(frozen=True)
class Gate:
    """One speed gate of an exercise: `fn(impl)` (the learner's call, or a closure over
    several) against `torch_fn` on the arrays `make(rng, dtype)` returns (a tuple of
    positional arguments, or (args, kwargs)), with the measured limit `max_ratio` (set per
    exercise by `limited`)."""

    exercise: str
    label: str
    make: Callable[[np.random.Generator, Any], Any]
    fn: Callable[[Implementation], Callable]
    torch_fn: Callable
    max_ratio: float = 0.0
    name: str | None = None
    hint: str | None = None
    torch_kwargs: dict[str, Any] | None = None
    check: Callable[[Any, tuple], str | None] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def arguments(self, dtype) -> tuple[tuple, dict]:
        made = self.make(np.random.default_rng(0), dtype)
        if isinstance(made, tuple) and len(made) == 2 and isinstance(made[1], dict) and isinstance(made[0], tuple):
            return made
        return tuple(made), {}


def limited(gates, limits: dict[str, float]) -> list[Gate]:
    """The gates with max_ratio = limits[their exercise] (a KeyError for a gate without one)."""
    return [replace(g, max_ratio=limits[g.exercise]) for g in gates]


def run_gate(benchmark: Any, impl: Implementation, gate: Gate, dtype) -> float:
    """assert_speed for one gate and dtype."""
    args, kwargs = gate.arguments(dtype)
    extra = {"hint": gate.hint} if gate.hint else {}
    return assert_speed(benchmark, impl, gate.fn(impl), gate.torch_fn, *args, max_ratio=gate.max_ratio,
                        name=gate.name or gate.exercise, kwargs=kwargs, torch_kwargs=gate.torch_kwargs,
                        check=gate.check, **extra, **gate.options)


def gate_params(gates, dtypes=(np.float32, np.float64)):
    """pytest params (gate, dtype), each tagged with its exercise's marker."""
    import pytest

    return [pytest.param(g, d, marks=pytest.mark.exercise(g.exercise), id=f"{g.label}-{np.dtype(d).name}")
            for g in gates for d in dtypes]
