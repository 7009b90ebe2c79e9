"""Test outcomes per exercise, and the points they earn.

Every test tagged `@pytest.mark.exercise(name, weight=w)` contributes `w` to its exercise;
an exercise earns `points * passed weight / total weight` from the catalogue's points.

Hidden tests (marked `hidden`, in tests/hidden/; run by the grader and the instructor's
nbgrader run, never by a student's `check`) weigh HIDDEN_SHARE of their exercise's points
whenever they take part: `with_hidden_share` rescales their weights so, whatever their
number, and the public tests share the rest by their own weights. An exercise without
hidden tests is scored on its public tests alone."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue

HIDDEN_SHARE = 0.2  # of an exercise's points, when hidden tests of it take part

# Outcomes of one test, from best to worst for display.
PASSED, FAILED, NOT_STARTED, ERROR, TIMEOUT, FORBIDDEN, SKIPPED = (
    "passed", "failed", "not started", "error", "timeout", "forbidden import", "skipped",
)


@dataclass
class TestResult:
    nodeid: str
    exercise: str
    topic: str
    weight: float
    outcome: str
    message: str = ""
    duration: float = 0.0
    hidden: bool = False
    speed_ratio: float | None = None

    __test__ = False  # not a pytest test class


@dataclass
class ExerciseResult:
    exercise: Exercise
    tests: list[TestResult] = field(default_factory=list)

    @property
    def counted(self) -> list[TestResult]:
        return [t for t in self.tests if t.outcome != SKIPPED]

    @property
    def status(self) -> str:
        outcomes = {t.outcome for t in self.counted}
        if not outcomes:
            return "no tests"
        if outcomes == {PASSED}:
            return PASSED
        for worst in (FORBIDDEN, NOT_STARTED, TIMEOUT, ERROR):
            if worst in outcomes:
                return worst
        return FAILED

    @property
    def earned(self) -> float:
        total = sum(t.weight for t in self.counted)
        if not total:
            return 0.0
        passed = sum(t.weight for t in self.counted if t.outcome == PASSED)
        return round(self.exercise.points * passed / total, 4)

    @property
    def first_problem(self) -> TestResult | None:
        return next((t for t in self.counted if t.outcome != PASSED), None)


def by_exercise(results: list[TestResult], catalogue: Catalogue | None = None,
                only: list[Exercise] | None = None) -> list[ExerciseResult]:
    """Group test results by exercise, in catalogue order (exercises without tests too)."""
    catalogue = catalogue or load_catalogue()
    chosen = only if only is not None else catalogue.exercises()
    groups = {e.name: ExerciseResult(e) for e in chosen}
    for r in results:
        if r.exercise in groups:
            groups[r.exercise].tests.append(r)
    return list(groups.values())


def with_hidden_share(results: list[TestResult], share: float = HIDDEN_SHARE) -> list[TestResult]:
    """The results with the weights of hidden tests rescaled so that, in each exercise that
    has counted public and hidden tests, the hidden ones weigh `share` of the total."""
    public: dict[str, float] = {}
    hidden: dict[str, float] = {}
    for r in results:
        if r.outcome != SKIPPED:
            bucket = hidden if r.hidden else public
            bucket[r.exercise] = bucket.get(r.exercise, 0.0) + r.weight
    out = []
    for r in results:
        if r.hidden and public.get(r.exercise) and hidden.get(r.exercise):
            scale = public[r.exercise] * share / (1.0 - share) / hidden[r.exercise]
            r = replace(r, weight=r.weight * scale)
        out.append(r)
    return out


def save(results: list[TestResult], path: Path) -> None:
    path.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")


def load(path: Path) -> list[TestResult]:
    return [TestResult(**r) for r in json.loads(path.read_text(encoding="utf-8"))]
