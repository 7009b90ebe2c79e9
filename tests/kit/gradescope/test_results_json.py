"""Gradescope's results.json as `grade` writes it (gradeschool.grading.outputs.gradescope):
one row per exercise (and one for its hidden tests), maxima that add up exactly to the
catalogue's points, each test's share in the row's output."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.results import TestResult
from gradeschool.grading import outputs

pytestmark = pytest.mark.kit

CATALOGUE = load_catalogue()
TOTAL = sum(int(e.points) for e in CATALOGUE.exercises())  # whole points per exercise (229 for 8 topics)


def full_report(passing, hidden=lambda e, i: False, tests_per_exercise: int = 3) -> dict:
    """A report of the whole catalogue, `tests_per_exercise` tests of weight 1 each (thirds
    of points that do not round to four decimals), `passing(exercise, i)` says which pass."""
    results = [TestResult(f"tests/topics/test_{e.topic}.py::test_{e.name}_{i}", e.name, e.topic, 1.0,
                          "passed" if passing(e, i) else "failed", message="" if passing(e, i) else "wrong",
                          hidden=hidden(e, i))
               for e in CATALOGUE.exercises() for i in range(tests_per_exercise)]
    return outputs.build_report(results, CATALOGUE.exercises(), "someone")


def test_one_row_per_exercise_whose_maxima_add_up_exactly():
    results = outputs.gradescope(full_report(lambda e, i: True))
    rows = results["tests"]
    assert len(rows) == len(CATALOGUE.exercises()), "one row per exercise, not one per test"
    assert sum(Fraction(r["max_score"]) for r in rows) == sum(Fraction(e.points) for e in CATALOGUE.exercises()) \
        == TOTAL
    assert sum(r["max_score"] for r in rows) == float(TOTAL)
    assert results["score"] == float(TOTAL) and all(r["score"] == r["max_score"] for r in rows)


def test_each_rows_output_lists_its_tests_whose_shares_add_up_to_the_row():
    results = outputs.gradescope(full_report(lambda e, i: i != 1))
    for row, e in zip(results["tests"], CATALOGUE.exercises(), strict=True):
        assert row["name"].endswith(e.name) and row["status"] == "failed"
        shares = re.findall(r"(passed|failed)\s+(\S+)\s+([\d.]+)/([\d.]+)", row["output"])
        assert len(shares) == 3, row["output"]
        assert sum(Fraction(m) for *_, m in shares) == Fraction(row["max_score"]).limit_denominator(10**4) == e.points
        assert sum(Fraction(p) for *_, p, _ in shares) == Fraction(row["score"]).limit_denominator(10**4)
        assert "wrong" in row["output"], "the failure's message is in the row's output"
        assert row["score"] == pytest.approx(e.points * 2 / 3, abs=1e-4)


def test_hidden_tests_get_a_row_of_their_own_shown_after_publishing():
    results = outputs.gradescope(full_report(lambda e, i: True, hidden=lambda e, i: i == 2))
    rows = results["tests"]
    assert len(rows) == 2 * len(CATALOGUE.exercises())
    hidden = [r for r in rows if r["visibility"] == "after_published"]
    assert len(hidden) == len(CATALOGUE.exercises()) and all("hidden" in r["name"] for r in hidden)
    assert sum(Fraction(r["max_score"]).limit_denominator(10**4) for r in rows) == TOTAL
