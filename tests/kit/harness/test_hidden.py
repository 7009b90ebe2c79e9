"""Hidden tests: every topic has them (tests/hidden/test_<topic>_hidden.py, by convention, so
a new topic is held to it too), the grader and the instructor's runs collect them and a
student's `check` never does, they weigh HIDDEN_SHARE of an exercise, their property runs
follow the course seed, and Gradescope shows them only after publishing."""

import ast
import json
import os

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import hidden_test_file, solutions_dir
from gradeschool.core.results import HIDDEN_SHARE, PASSED, TestResult, by_exercise, with_hidden_share
from gradeschool.grading.outputs import build_report, gradescope
from gradeschool.harness import presets
from gradeschool.harness.runner import pytest_args, run_checks

pytestmark = pytest.mark.kit
CATALOGUE = load_catalogue()
TOPICS = [t for t in CATALOGUE.topics if (solutions_dir() / t.module).is_file()]


def _decorator_names(node: ast.FunctionDef) -> set[str]:
    names = set()
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def _marked_exercises(tree: ast.Module) -> set[str]:
    return {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "exercise"
            and n.args and isinstance(n.args[0], ast.Constant)}


@pytest.mark.parametrize("topic", TOPICS, ids=[t.name for t in TOPICS])
def test_every_topic_has_hidden_tests(topic):
    """A hidden file per topic, wholly hidden, with a course-seeded property run (a
    Hypothesis test) and fixed edge cases, for exercises of that topic."""
    path = hidden_test_file(topic.name)
    assert path.is_file(), f"topic {topic.name} has no hidden tests: write {path.relative_to(path.parents[2])}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    marks = [ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Assign)
             and any(getattr(t, "id", None) == "pytestmark" for t in n.targets)]
    assert marks == ["pytest.mark.hidden"], f"{path.name}: needs `pytestmark = pytest.mark.hidden`"
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert any("given" in _decorator_names(t) for t in tests), f"{path.name}: no course-seeded property test"
    assert any("given" not in _decorator_names(t) for t in tests), f"{path.name}: no edge-case test"
    covered = _marked_exercises(tree)
    mine = {e.name for e in topic.exercises}
    assert covered and covered <= mine, f"{path.name}: exercises {covered - mine} are not of topic {topic.name}"


def test_check_never_collects_hidden_tests_and_the_grader_does(tmp_path):
    exercises = [CATALOGUE.exercise("softmax")]
    learner = pytest_args(exercises, "exercises", tmp_path / "r.json", presets.learner().args)
    judge = pytest_args(exercises, "exercises", tmp_path / "r.json", preset=presets.judge(5))
    hidden = str(hidden_test_file("neuron"))
    assert hidden not in learner and "not hidden" in learner
    assert hidden in judge and "--course-seed=5" in judge and not any(a.startswith("--timeout") for a in judge)
    student, instructor = presets.grade_cell(hidden=False, course_seed=5), presets.grade_cell(True, 5)
    assert not student.hidden and student.course_seed is None and "not hidden" in student.args
    assert instructor.hidden and instructor.course_seed == 5


def result(name: str, weight: float, outcome: str, hidden: bool = False, exercise: str = "softmax") -> TestResult:
    return TestResult(f"t::{name}", exercise, "neuron", weight, outcome, hidden=hidden)


def test_hidden_tests_weigh_their_share_of_an_exercise():
    softmax = CATALOGUE.exercise("softmax")
    public_only = [result("a", 2, PASSED), result("b", 1, PASSED)]
    with_hidden = public_only + [result("h1", 1, "failed", True), result("h2", 3, "failed", True)]
    shared = with_hidden_share(with_hidden)
    assert sum(r.weight for r in shared if r.hidden) == pytest.approx(HIDDEN_SHARE * sum(r.weight for r in shared))
    (group,) = by_exercise(shared, only=[softmax])
    assert group.earned == pytest.approx((1 - HIDDEN_SHARE) * softmax.points)
    assert with_hidden_share(shared) == shared, "applying the rule twice changes nothing"
    assert with_hidden_share(public_only) == public_only, "no hidden test, no change"
    report = build_report(shared, [softmax], "x")
    visibility = {t["name"]: t["visibility"] for t in gradescope(report)["tests"]}
    assert visibility == {"neuron · softmax": "visible", "neuron · softmax (hidden tests)": "after_published"}


def recorded_inputs(preset, marks: str) -> list[str]:
    """The softmax inputs the selected tests draw, against the solutions, in order."""
    seen: list[str] = []
    reference = LocalImplementation(solutions_dir(), label="solutions").softmax

    def softmax(x, axis=-1):
        seen.append(f"{x.dtype}{x.shape}{x.tobytes().hex()[:64]}:{axis}")
        return reference(x, axis=axis)

    impl = LocalImplementation(solutions_dir(), label="recording", overrides={"neuron": {"softmax": softmax}})
    results = run_checks(["softmax"], impl=impl, preset=preset, extra=["-m", marks, "-k", "not speed"])
    assert results and all(r.outcome in (PASSED, "skipped") for r in results), results
    return seen


@pytest.mark.slow
def test_the_course_seed_moves_the_hidden_examples_only():
    hidden = {seed: recorded_inputs(presets.judge(seed), "hidden") for seed in (1, 2)}
    assert hidden[1] and hidden[1] != hidden[2], "another course seed, other hidden examples"
    assert recorded_inputs(presets.judge(1), "hidden") == hidden[1], "one course seed, one set of examples"
    assert recorded_inputs(presets.judge(1), "not hidden") == recorded_inputs(presets.judge(2), "not hidden"), \
        "the public tests' examples do not depend on the course seed"


@pytest.mark.slow
def test_the_grader_runs_the_hidden_tests(tmp_path, monkeypatch):
    """`gradeschool grade` collects the hidden tests, reports them as hidden and records
    the course seed it used."""
    from gradeschool.grading.supervise import grade_one

    monkeypatch.setenv(presets.COURSE_SEED_ENV, "7")
    report = grade_one(solutions_dir(), tmp_path / "out", ["relu"], label="solutions")
    (relu,) = report["exercises"]
    hidden = [t for t in relu["tests"] if t["hidden"]]
    assert hidden and all(t["status"] == PASSED for t in relu["tests"]), \
        [(t["name"], t["message"][:400]) for t in relu["tests"] if t["status"] != PASSED]
    assert sum(t["max_points"] for t in hidden) == pytest.approx(HIDDEN_SHARE * relu["max_points"], abs=1e-3)
    assert report["course_seed"] == 7
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {t["visibility"] for t in results["tests"] if "hidden" in t["name"]} == {"after_published"}
    assert os.environ[presets.COURSE_SEED_ENV] == "7"
