"""Test outcomes per exercise, and the points they earn: the one scoring rule of the kit.

Every test tagged `@pytest.mark.exercise(name, weight=w)` holds `w` shares of its
exercise's points (from the catalogue), except that an exercise's speed tests together
hold SPEED_SHARE (a third) of its public points, whatever their number (their weights
split that third among them). A correctness test earns its share when it passes; a speed
test (marked `bench`) earns its share only when it passes AND every correctness test of
its exercise passes: fast wrong code is worth nothing. A speed test that was not run
(`speed=False`, `--skip-speed`) is "not checked": it keeps its share of the total and
earns nothing, so such a run never shows full marks.

`gradeschool check`, plain pytest's summary, the notebooks' `gradeschool.check`, watch,
the nbgrader cells and `gradeschool grade`'s report all score through `score_tests`.

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
SPEED_SHARE = 1 / 3  # of an exercise's public points, held by its speed tests together

# Outcomes of one test, from best to worst for display.
PASSED, FAILED, NOT_STARTED, ERROR, TIMEOUT, FORBIDDEN, SKIPPED = (
    "passed", "failed", "not started", "error", "timeout", "forbidden import", "skipped",
)
FORBIDDEN_CALL = "forbidden call"
NOT_CHECKED = "not checked"  # a speed test left out of the run (speed=False)
SPEED_NOT_CHECKED = "speed not checked"  # an exercise's status: correct, speed not measured
NO_TESTS = "no tests"

SPEED_AFTER_CORRECTNESS = "fast enough, but a speed test counts only once the exercise's other tests pass"


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
    speed: bool = False  # a speed test (pytest marker `bench`)

    __test__ = False  # not a pytest test class


def is_speed_test(t: TestResult) -> bool:
    """A speed gate: marked `bench`, or (records without the flag) it measured a ratio."""
    return t.speed or t.speed_ratio is not None


@dataclass(frozen=True)
class TestScore:
    """One test's part of its exercise's points, what it earned and, when a passing test
    earns nothing, why."""

    test: TestResult
    share: float
    earned: float
    note: str = ""


def _effective_weights(tests: list[TestResult]) -> list[float]:
    """Each test's weight with the speed tests rescaled to hold SPEED_SHARE of the public
    weight together (however many gate shapes an exercise has), and the hidden tests by the
    same factor as the public total, so that their share (with_hidden_share) is kept."""
    counted = [t for t in tests if t.outcome != SKIPPED]
    correctness = sum(t.weight for t in counted if not t.hidden and not is_speed_test(t))
    speed = sum(t.weight for t in counted if not t.hidden and is_speed_test(t))
    if not (correctness and speed):
        return [t.weight for t in tests]
    k = correctness * SPEED_SHARE / ((1.0 - SPEED_SHARE) * speed)
    hidden_k = (correctness + speed * k) / (correctness + speed)
    return [t.weight * (hidden_k if t.hidden else k if is_speed_test(t) else 1.0) for t in tests]


def score_tests(exercise: Exercise, tests: list[TestResult]) -> list[TestScore]:
    """THE scoring rule (see the module docstring); skipped tests hold no share."""
    weights = _effective_weights(tests)
    total = sum(w for t, w in zip(tests, weights, strict=True) if t.outcome != SKIPPED)
    counted = [t for t in tests if t.outcome != SKIPPED]
    correct = all(t.outcome == PASSED for t in counted if not is_speed_test(t))
    scores = []
    for t, w in zip(tests, weights, strict=True):
        share = exercise.points * w / total if total and t.outcome != SKIPPED else 0.0
        pays = t.outcome == PASSED and (correct or not is_speed_test(t))
        note = SPEED_AFTER_CORRECTNESS if t.outcome == PASSED and not pays else ""
        scores.append(TestScore(t, share, share if pays else 0.0, note))
    return scores


def score(exercise: Exercise, tests: list[TestResult]) -> float:
    """Points earned by `exercise` from its tests' outcomes (rounded to 4 decimals)."""
    return round(sum(s.earned for s in score_tests(exercise, tests)), 4)


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
            return NO_TESTS
        if outcomes == {PASSED}:
            return PASSED
        for worst in (FORBIDDEN, FORBIDDEN_CALL, NOT_STARTED, TIMEOUT, ERROR):
            if worst in outcomes:
                return worst
        if outcomes <= {PASSED, NOT_CHECKED}:
            return SPEED_NOT_CHECKED
        return FAILED

    @property
    def earned(self) -> float:
        return score(self.exercise, self.tests)

    @property
    def first_problem(self) -> TestResult | None:
        """The first test that failed; else the first that passed without paying; else
        the first left unchecked."""
        found = next((t for t in self.counted if t.outcome not in (PASSED, NOT_CHECKED)), None)
        return found or next((t for t in self.counted if t.outcome == NOT_CHECKED), None)


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
