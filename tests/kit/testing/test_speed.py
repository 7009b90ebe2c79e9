"""The speed gate (gradeschool.testing.speed): after the timing the candidate's result is
compared with torch's, so fast but wrong code earns no speed points; a check function or a
stated reason replaces that comparison where it cannot hold; a loop fails; a measurement
just over the limit is retried, a loop's is not."""

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
