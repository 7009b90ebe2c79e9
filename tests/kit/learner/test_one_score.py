"""Problem 2 of issue 14: one score. The same partly-right softmax gets the same points
from `gradeschool check`, plain pytest's summary, the notebook check and `gradeschool
grade` (its public tests; hidden tests add their own 20%); a speed test pays only once
the exercise's correctness tests pass; a run without the speed tests says "speed not
checked" and never shows full marks."""

import math
import re
import subprocess
import sys

import numpy as np
import pytest
from kitutils import CATALOGUE, KIT

import gradeschool
from gradeschool.cli import main as cli
from gradeschool.core.results import HIDDEN_SHARE, NOT_CHECKED, PASSED, TestResult, is_speed_test, score, score_tests

pytestmark = pytest.mark.kit
SOFTMAX = CATALOGUE.exercise("softmax")

UNSTABLE = '''def softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)
'''
AS_LIST = '''def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).tolist()
'''
ELEMENT_LOOP = '''def softmax(x, axis=-1):
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx]
        top = row.max()
        e = np.array([np.exp(v - top) for v in row], dtype=x.dtype)
        out[idx] = e / e.sum()
    return np.moveaxis(out, -1, axis)
'''  # correct, and far too slow on every speed test's data (a loop of NumPy scalar operations)


def correctness_share(results) -> float:
    """The points of softmax's correctness tests under the scoring rule."""
    mine = [r for r in results if r.exercise == "softmax"]
    return sum(s.share for s in score_tests(SOFTMAX, mine) if not is_speed_test(s.test))


def public_points(exercise: dict) -> float:
    """What grade's report gives for the public tests alone: their points, scaled back from
    the (1 - HIDDEN_SHARE) they share when hidden tests take part (a linear rescaling)."""
    tests = exercise["tests"]
    public = sum(t["points"] for t in tests if not t.get("hidden"))
    return public / (1 - HIDDEN_SHARE) if any(t.get("hidden") for t in tests) else public


def points_in(text: str) -> float:
    found = re.search(r"softmax\s+([\d.]+)/3\b", text)
    assert found, text
    return float(found.group(1))


def from_a_cell(code: str):
    namespace = {"np": np, "math": math}
    exec(compile(code, "<notebook cell>", "exec"), namespace)
    return namespace["softmax"]


@pytest.mark.slow
@pytest.mark.parametrize("code, correct", [(UNSTABLE, False), (AS_LIST, False), (ELEMENT_LOOP, True)],
                         ids=["unstable", "tolist", "element-loop"])
def test_the_same_code_gets_the_same_points_everywhere(attempt, check_one, capsys, tmp_path, code, correct):
    from gradeschool.grading.supervise import grade_one

    folder = attempt("neuron", {"softmax": code})
    group, _ = check_one("softmax", folder, speed=True)
    expected = round(correctness_share(group.tests), 4) if correct else group.earned
    assert expected < SOFTMAX.points

    capsys.readouterr()
    cli(["check", "softmax", "--impl", str(folder)])
    from_check = points_in(capsys.readouterr().out)

    pytest_run = subprocess.run([sys.executable, "-m", "pytest", "tests/topics/test_neuron.py", "-m", "softmax",
                                 "--impl", str(folder), "-p", "no:randomly"], cwd=KIT, capture_output=True,
                                text=True, timeout=600)
    from_pytest = points_in(pytest_run.stdout)

    from_notebook = gradeschool.check("softmax", from_a_cell(code), quiet=True).earned

    report = grade_one(folder, tmp_path / "graded", ["softmax"])
    from_grade = public_points(next(e for e in report["exercises"] if e["name"] == "softmax"))

    seen = {"check": from_check, "pytest": from_pytest, "notebook": from_notebook, "grade": from_grade}
    assert all(v == pytest.approx(expected, abs=1e-3) for v in seen.values()), (expected, seen)
    assert pytest_run.returncode == 1, "an exercise that does not pass fails the run"


def test_without_speed_tests_a_correct_exercise_is_never_full_marks(attempt, check_one):
    folder = attempt("neuron", {"softmax": ELEMENT_LOOP})
    group, message = check_one("softmax", folder, speed=False)
    assert group.status == "speed not checked" and group.earned < SOFTMAX.points
    assert group.earned == pytest.approx(correctness_share(group.tests))
    assert "speed not checked" in message
    result = gradeschool.check("softmax", from_a_cell(ELEMENT_LOOP), speed=False, quiet=True)
    assert (result.status, result.earned) == (group.status, group.earned)
    assert "~ softmax" in result.text and "speed not checked" in result.text and "✔" not in result.text


def _result(outcome, speed=False, weight=1.0):
    return TestResult(nodeid=f"t::{outcome}{speed}{weight}", exercise="softmax", topic="neuron", weight=weight,
                      outcome=outcome, speed=speed)


@pytest.mark.parametrize("tests, expected", [
    ([_result(PASSED), _result(PASSED, speed=True)], 3.0),
    ([_result("failed"), _result(PASSED, speed=True, weight=2)], 0.0),           # fast but wrong
    ([_result(PASSED, weight=2), _result("failed", speed=True)], 2.0),           # right but slow: a third lost
    ([_result(PASSED), _result(NOT_CHECKED, speed=True, weight=2)], 2.0),        # speed left out: its third
    ([_result(PASSED), _result("skipped", speed=True)], 3.0),                   # no CUDA: no share
])
def test_the_scoring_rule(tests, expected):
    assert score(SOFTMAX, tests) == pytest.approx(expected)
    unpaid = [s for s in score_tests(SOFTMAX, tests) if s.test.outcome == PASSED and not s.earned]
    assert all("counts only once" in s.note for s in unpaid)


def test_one_point_formatter_for_the_whole_package():
    """Points are written by core/render.fmt_points only (issue 14: there were six)."""
    import ast

    from gradeschool.core.paths import PACKAGE_DIR
    from gradeschool.core.render import fmt_points
    from gradeschool.leaderboard import render

    own = [f"{p.relative_to(PACKAGE_DIR)}: {n.name}" for p in PACKAGE_DIR.rglob("*.py")
           for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.FunctionDef)
           and re.fullmatch(r"_?fmt(_points)?|_?format_points|_points|points_phrase", n.name)]
    assert sorted(own) == ["core/render.py: fmt_points", "core/render.py: points_phrase"], own
    assert render.fmt_points is fmt_points
    assert [fmt_points(x) for x in (3, 3.0, 0.6666667, 149, 2.5)] == ["3", "3", "0.6667", "149", "2.5"]
