"""Text for people: points, the per-exercise table and the first problem, explained.

`fmt_points` is the kit's one way to write a number of points (tables, watch, the
notebooks, nbgrader cells, grading reports and the leaderboard all call it)."""

from __future__ import annotations

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.results import (
    FAILED,
    NO_TESTS,
    NOT_CHECKED,
    NOT_STARTED,
    PASSED,
    SPEED_NOT_CHECKED,
    ExerciseResult,
    TestResult,
    by_exercise,
    score_tests,
)

MARKS = {PASSED: "✔", NOT_STARTED: "·", FAILED: "✘", NO_TESTS: "?", SPEED_NOT_CHECKED: "~"}


def fmt_points(x: float) -> str:
    """`3`, `0.6667`, `149`: at most four significant digits, no trailing zeros."""
    return f"{float(x):.4g}"


def points_phrase(x: float) -> str:
    """`1 point`, `2.5 points`."""
    return f"{fmt_points(x)} point{'' if float(x) == 1 else 's'}"


def status_text(group: ExerciseResult) -> str:
    status = group.status
    if status in (PASSED, NOT_STARTED, NO_TESTS):
        return status
    if status == SPEED_NOT_CHECKED:
        return f"{SPEED_NOT_CHECKED} (correct; speed tests left out)"
    run = [t for t in group.counted if t.outcome != NOT_CHECKED]
    bad = sum(1 for t in run if t.outcome != PASSED)
    unpaid = sum(1 for s in score_tests(group.exercise, group.tests) if s.note)
    text = f"{status} ({bad} of {len(run)} tests)"
    return text + (f"; {unpaid} speed test{'s' if unpaid > 1 else ''} unpaid until correct" if unpaid else "")


def render_table(groups: list[ExerciseResult]) -> str:
    """One block per topic: mark, exercise, points earned / points, status."""
    catalogue = load_catalogue()
    lines: list[str] = []
    width = max((len(g.exercise.name) for g in groups), default=10) + 2
    for topic in catalogue.topics:
        mine = [g for g in groups if g.exercise.topic == topic.name]
        if not mine:
            continue
        earned = sum(g.earned for g in mine)
        total = sum(g.exercise.points for g in mine)
        lines.append(f"{topic.name} — {topic.title}   {fmt_points(earned)}/{fmt_points(total)} points")
        for g in mine:
            mark = MARKS.get(g.status, "✘")
            points = f"{fmt_points(g.earned)}/{fmt_points(g.exercise.points)}"
            lines.append(f"  {mark} {g.exercise.name:<{width}} {points:>9}  {status_text(g)}")
    return "\n".join(lines)


def render_problem(group: ExerciseResult) -> str:
    """The first failing test of an exercise, with its message and where to get hints."""
    test = group.first_problem
    if test is None:
        return ""
    name = test.nodeid.split("::")[-1]
    body = "\n".join("  " + line if line else "" for line in test.message.splitlines())
    return (
        f"{group.exercise.name}: {test.outcome} — {name}\n{body}\n"
        f"  more hints: gradeschool hint {group.exercise.name}"
    )


def first_problem(groups: list[ExerciseResult]) -> ExerciseResult | None:
    """The first exercise (catalogue order) that was attempted and does not pass."""
    return next((g for g in groups if g.status not in (PASSED, NOT_STARTED, NO_TESTS, SPEED_NOT_CHECKED)), None)


def render_summary(results: list[TestResult], only=None) -> str:
    """Table, total and first problem; `only` lists the exercises to show (default: those
    with results)."""
    names = {r.exercise for r in results}
    catalogue = load_catalogue()
    chosen = only if only is not None else [e for e in catalogue.exercises() if e.name in names]
    groups = by_exercise(results, only=chosen)
    earned = sum(g.earned for g in groups)
    total = sum(g.exercise.points for g in groups)
    text = [render_table(groups), f"total {fmt_points(earned)}/{fmt_points(total)} points"]
    if any(g.status == SPEED_NOT_CHECKED for g in groups):
        text.append("~ speed not checked: the speed tests were left out (--skip-speed, speed=False), their points too")
    problem = first_problem(groups)
    if problem:
        text += ["", "First problem: " + render_problem(problem)]
    return "\n".join(text)
