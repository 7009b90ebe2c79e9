"""The speed gate (gradeschool.testing.speed): after the timing the candidate's result is
compared with torch's, so fast but wrong code earns no speed points; a check function or a
stated reason replaces that comparison where it cannot hold; a loop fails; a measurement
just over the limit is retried, a loop's is not; a measurement that the judge's CPU
accounting fails is repeated once, and fails when that one does too."""

import time
import types

import numpy as np
import pytest
import torch

from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import solutions_dir
from gradeschool.testing.oracle import LearnerFailure
from gradeschool.testing.speed import Gate, assert_speed, measure_ratio, result_mismatch, run_gate

pytestmark = pytest.mark.kit
IMPL = LocalImplementation(solutions_dir(), label="solutions")
BENCH = types.SimpleNamespace(extra_info={}, disabled=True)
X = np.random.default_rng(0).standard_normal((512, 16))


def test_a_fast_but_wrong_candidate_fails_the_result_check():
    with pytest.raises(LearnerFailure, match="fast enough .* but its result is wrong"):
        assert_speed(BENCH, IMPL, lambda x: np.zeros_like(x), torch.relu, X, max_ratio=50)


def test_a_right_candidate_passes_and_its_ratio_is_recorded():
    ratio = assert_speed(BENCH, IMPL, lambda x: np.maximum(x, 0), torch.relu, X, max_ratio=50)
    assert BENCH.extra_info["ratio"] == ratio


def test_the_result_check_compares_nested_results():
    assert result_mismatch((np.ones(2), [np.zeros(3)]), (torch.ones(2), [torch.zeros(3)])) is None
    assert "returned 1 value" in result_mismatch(np.ones(2), (torch.ones(2), torch.ones(2)))
    assert "shape" in result_mismatch(np.ones(3), torch.ones(2))
    assert result_mismatch(np.float32(1.0005), torch.tensor(1.0, dtype=torch.float32)) is None
    assert result_mismatch(np.float64(1.0005), torch.tensor(1.0, dtype=torch.float64)) is not None


def test_a_check_function_or_a_reason_replaces_the_comparison():
    """A random result (dropout's mask) cannot equal torch's: `check` judges it instead."""
    def random_sign(x):
        return x * np.random.default_rng().choice([-1.0, 1.0], x.shape)

    assert_speed(BENCH, IMPL, random_sign, torch.relu, X, max_ratio=50,
                 check=lambda got, args: None if np.allclose(np.abs(got), np.abs(X)) else "not +-x")
    with pytest.raises(LearnerFailure, match="not 2x"):
        assert_speed(BENCH, IMPL, random_sign, torch.relu, X, max_ratio=50,
                     check=lambda got: "not 2x")
    assert_speed(BENCH, IMPL, random_sign, torch.relu, X, max_ratio=50, unchecked_because="the kit's own test")


def test_a_loop_fails_the_gate():
    def row_loop(x):
        return np.stack([np.maximum(row, 0) for row in x])

    with pytest.raises(LearnerFailure, match="slower than torch|too slow"):
        assert_speed(BENCH, IMPL, row_loop, torch.relu, X, max_ratio=5)


def test_a_measurement_just_over_the_limit_gets_more_rounds():
    """The candidate is slow for its first 7 calls only (a busy neighbour), then fast. The
    sleeps are long enough that a loaded machine's timer slack (a millisecond or two) keeps
    the slow phase between the limit and CLEARLY_OVER times it."""
    calls = []

    def candidate():
        calls.append(1)
        time.sleep(0.02 if len(calls) <= 7 else 0.005)

    ratio, _, _ = measure_ratio(candidate, lambda: time.sleep(0.005), limit=2.0)
    assert ratio < 2.0 and len(calls) > 7
    calls.clear()
    ratio, _, _ = measure_ratio(lambda: time.sleep(0.02), lambda: time.sleep(0.001), limit=2.0,
                                give_up_above=6.0)
    assert ratio > 6.0, "a candidate far over the limit is not measured further"


def test_a_gate_runs_its_arguments_and_options():
    gate = Gate("relu", "relu-512x16", lambda rng, dtype: (rng.standard_normal((512, 16)).astype(dtype),),
                lambda impl: impl.relu, torch.relu, 50)
    assert run_gate(BENCH, IMPL, gate, np.float32) > 0


class Accounted:
    """An isolated implementation's timer as the gate sees it (grading/timing.py), for a
    right relu timed against `spinning_relu` (1 ms of CPU): each measurement's verdict comes
    from `verdicts` in turn: "ok" (figures of 1 ms), "floor" (the whole measurement's CPU
    per run is 1000x that: the figure is floored), "refused" (work moved out of the runs),
    or "spike" (figures of 100 ms: over the limit of 50x, under CLEARLY_OVER times it, as
    when a stray spike of set-up CPU inflates a measurement's figures)."""

    def __init__(self, verdicts):
        self.verdicts, self.timers = list(verdicts), []

    def timer(self, fn, args, kwargs, **options):
        verdict = self.verdicts[len(self.timers)]

        class Timer:
            cpu_figures = True
            floor, refused, seconds = None, False, None

            def __call__(self):
                fn(*args, **kwargs)
                self.seconds = 0.1 if verdict == "spike" else 0.001

            def check(self):
                self.floor = 1.0 if verdict == "floor" else None
                self.refused = verdict == "refused"
                return "work was moved out of the runs" if self.refused else None

        self.timers.append(Timer())
        return self.timers[-1]


def spinning_relu(x):
    """torch.relu after 1 ms of this thread's CPU: a reference time the test knows."""
    began = time.thread_time()
    while time.thread_time() - began < 1e-3:
        pass
    return torch.relu(x)


@pytest.mark.parametrize("verdicts, passes", [
    (["floor", "ok"], True), (["refused", "ok"], True), (["spike", "ok"], True),
    (["floor", "floor"], False), (["refused", "refused"], False), (["floor", "refused"], False),
    (["spike", "spike"], False),
])
def test_a_measurement_failed_by_the_cpu_accounting_is_repeated_once(verdicts, passes):
    """A stray CPU spike on a loaded machine (CI: a right relu floored at 48x torch, limit
    40x) costs one more measurement, not the points; moved work, charged every time, fails."""
    impl = Accounted(verdicts)
    run = lambda: assert_speed(BENCH, impl, lambda x: np.maximum(x, 0), spinning_relu, X, max_ratio=50)  # noqa: E731
    if passes:
        assert run() < 50
    else:
        with pytest.raises(LearnerFailure, match="slower than torch|moved out"):
            run()
    assert len(impl.timers) == 2


def test_a_measurement_the_accounting_passes_is_not_repeated():
    impl = Accounted(["ok", "floor"])
    assert_speed(BENCH, impl, lambda x: np.maximum(x, 0), spinning_relu, X, max_ratio=50)
    assert len(impl.timers) == 1
