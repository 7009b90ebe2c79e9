"""Speed gates: learner code vs torch on the CPU, timed side by side in one test.

Absolute times mean nothing on a shared machine; the ratio of two timings taken in
alternation does. Both libraries run on one thread (their thread pools fight on two
cores). A candidate first runs once, untimed, under a time budget, so a Python loop that would take
a minute fails in about a second."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from gradeschool.core.implementation import Implementation
from gradeschool.harness.deadline import deadline
from gradeschool.testing.oracle import LearnerFailure, describe_call


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
    return time.perf_counter() - start


def measure_ratio(
    candidate: Callable[[], Any], reference: Callable[[], Any], repeats: int = 7,
    give_up_above: float = float("inf"),
) -> tuple[float, float, float]:
    """(ratio, candidate seconds, reference seconds): best of up to `repeats` alternating
    runs; stops early once the best ratio so far is above `give_up_above`."""
    cand, ref = [], []
    for i in range(repeats):
        cand.append(_once(candidate))
        ref.append(_once(reference))
        if i >= 1 and min(cand) / min(ref) > give_up_above:
            break
    c, r = min(cand), min(ref)
    return c / r, c, r


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
    repeats: int = 7,
) -> float:
    """Fail unless `fn(*args)` runs within `max_ratio` times `torch_fn` on the same data
    (torch tensors of the same dtype, CPU, one thread). `fn` is learner code from `impl`
    (or a closure over such calls); `impl.timer` runs it where the learner's code lives.
    Returns the measured ratio and records it in `benchmark.extra_info['ratio']`."""
    import torch

    kwargs = kwargs or {}
    tkw = torch_kwargs if torch_kwargs is not None else kwargs
    name = name or getattr(fn, "__name__", "function")
    call = describe_call(name, args, kwargs)
    targs = [torch.from_numpy(a) if type(a) is np.ndarray else a for a in args]

    candidate = impl.timer(fn, tuple(args), dict(kwargs))

    def reference():
        with torch.no_grad():
            return torch_fn(*targs, **tkw)

    with single_thread():
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
        ratio, cand_time, ref_time = measure_ratio(candidate, reference, repeats, 1.5 * max_ratio)
        benchmark.extra_info.update({"ratio": ratio, "torch_seconds": ref_time, "max_ratio": max_ratio})
        if ratio <= max_ratio and getattr(benchmark, "disabled", False) is False:
            benchmark.pedantic(candidate, rounds=3, iterations=1)
    if ratio > max_ratio:
        raise LearnerFailure(
            f"{call}\n  is {ratio:.1f}x slower than torch ({cand_time * 1e3:.3g} ms vs "
            f"{ref_time * 1e3:.3g} ms, one thread each; limit {max_ratio:g}x)\n  hint: {hint}"
        )
    return ratio
