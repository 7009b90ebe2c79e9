"""Text for people: the per-exercise table and the first problem, explained."""

from __future__ import annotations

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.results import FAILED, NOT_STARTED, PASSED, ExerciseResult, TestResult, by_exercise

MARKS = {PASSED: "✔", NOT_STARTED: "·", FAILED: "✘", "no tests": "?"}


def fmt_points(x: float) -> str:
    """Points as people read them: 3, 2.5, 0.3333 (four significant digits at most)."""
    return f"{x:.4g}"


def status_text(group: ExerciseResult) -> str:
    status = group.status
    if status in (PASSED, NOT_STARTED, "no tests"):
        return status
    bad = sum(1 for t in group.counted if t.outcome != PASSED)
    return f"{status} ({bad} of {len(group.counted)} tests)"


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
    return next((g for g in groups if g.status not in (PASSED, NOT_STARTED, "no tests")), None)


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
    problem = first_problem(groups)
    if problem:
        text += ["", "First problem: " + render_problem(problem)]
    return "\n".join(text)
