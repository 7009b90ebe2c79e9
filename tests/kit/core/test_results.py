"""The one scoring rule (core/results.score_tests): speed tests hold a fixed share of an
exercise's public points however many gate shapes it has, hidden tests keep theirs, and
fast wrong code earns nothing."""

from __future__ import annotations

import pytest

from gradeschool.core import results as R
from gradeschool.core.catalogue import load_catalogue

pytestmark = pytest.mark.kit
SOFTMAX = load_catalogue().exercise("softmax")


def results_of(correct: int, speed: int, hidden: int = 0, slow: bool = False, wrong: bool = False):
    made = [R.TestResult(f"t::c{i}", "softmax", "neuron", 1.0, R.FAILED if wrong and i == 0 else R.PASSED)
            for i in range(correct)]
    made += [R.TestResult(f"t::s{i}", "softmax", "neuron", 1.0, R.FAILED if slow else R.PASSED, speed=True)
             for i in range(speed)]
    made += [R.TestResult(f"h::h{i}", "softmax", "neuron", 1.0, R.PASSED, hidden=True) for i in range(hidden)]
    return R.with_hidden_share(made)


@pytest.mark.parametrize("correct, speed", [(1, 8), (4, 4), (9, 1)])
def test_speed_tests_hold_a_third_of_the_public_points_whatever_their_number(correct, speed):
    slow = R.score(SOFTMAX, results_of(correct, speed, slow=True))
    assert slow == pytest.approx(round(SOFTMAX.points * (1 - R.SPEED_SHARE), 4), abs=1e-4)
    assert R.score(SOFTMAX, results_of(correct, speed)) == SOFTMAX.points


@pytest.mark.parametrize("hidden", [1, 5])
def test_hidden_tests_keep_their_share_beside_speed_tests(hidden):
    scores = R.score_tests(SOFTMAX, results_of(2, 8, hidden))
    hidden_share = sum(s.share for s in scores if s.test.hidden)
    speed_share = sum(s.share for s in scores if s.test.speed)
    assert hidden_share == pytest.approx(SOFTMAX.points * R.HIDDEN_SHARE)
    assert speed_share == pytest.approx(SOFTMAX.points * (1 - R.HIDDEN_SHARE) * R.SPEED_SHARE)


def test_fast_wrong_code_earns_no_speed_points():
    scores = R.score_tests(SOFTMAX, results_of(3, 8, wrong=True))
    assert all(s.earned == 0 for s in scores if s.test.speed)
