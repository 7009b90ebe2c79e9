"""Where the learner stands: every exercise's status from the progress store and a cheap
static look at the files (no test runs), and the text `list` and `watch` show."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.paths import exercises_dir
from gradeschool.core.render import fmt_points
from gradeschool.learner.source import fingerprints
from gradeschool.learner.store import Progress, ProgressStore

# Statuses shown to the learner (`list`, `watch`), from the checks' statuses.
DONE, FAILING, NOT_STARTED, NOT_CHECKED = "done", "failing", "not started", "not checked"
MARKS = {DONE: "✔", FAILING: "✘", NOT_STARTED: "·", NOT_CHECKED: "?"}
LEGEND = "✔ done  ✘ failing  · not started  ? not checked"


def learner_status(check_status: str) -> str:
    """done / not started / failing, from an ExerciseResult.status."""
    if check_status == "passed":
        return DONE
    if check_status == "not started":
        return NOT_STARTED
    return FAILING


def standing(progress: Progress, exercise: Exercise, static: str, code: str) -> tuple[str, float]:
    """(learner status, points earned) from the static state of the file (`static`:
    Implementation.state(...).status), the fingerprint of its code now and the last
    saved check, if it was made on that code."""
    if static == "not started":
        return NOT_STARTED, 0.0
    if static != "ready":
        return FAILING, 0.0
    saved = progress.checked.get(exercise.name)
    if saved is None or saved.fingerprint != code:
        return NOT_CHECKED, 0.0
    return learner_status(saved.status), saved.earned


def static_states(root: Path | None = None) -> dict[str, str]:
    """Implementation.state(...).status of every exercise, without running any test."""
    from gradeschool.core.local import LocalImplementation

    impl = LocalImplementation(root or exercises_dir(), label="exercises")
    return {e.name: impl.state(e).status for e in load_catalogue().exercises()}


@dataclass
class Standing:
    exercise: Exercise
    status: str      # done / failing / not started / not checked
    earned: float
    detail: str = ""  # the check's own status where it says more (error, forbidden import)


def standings(progress: Progress | None = None, root: Path | None = None) -> list[Standing]:
    """Every exercise in catalogue order with its status, from saved progress and a cheap
    static look at the files (no test runs)."""
    progress = progress if progress is not None else ProgressStore().read()
    static = static_states(root)
    prints = fingerprints(root)
    out = []
    for e in load_catalogue().exercises():
        status, earned = standing(progress, e, static[e.name], prints[e.name])
        saved = progress.checked.get(e.name)
        detail = static[e.name] if static[e.name] not in ("ready", "not started") else (
            saved.status if status == FAILING and saved and saved.status != "failed" else "")
        out.append(Standing(e, status, earned, detail))
    return out


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def render_overview(rows: list[Standing], width: int = 30) -> str:
    """`Progress [####------]  3/24 exercises done · 5/40 points`."""
    done = sum(1 for r in rows if r.status == DONE)
    earned = sum(r.earned for r in rows)
    total = sum(r.exercise.points for r in rows)
    return (f"Progress {progress_bar(done, len(rows), width)}  {done}/{len(rows)} exercises done"
            f" · {fmt_points(earned)}/{fmt_points(total)} points")


def render_list(rows: list[Standing], current: str | None = None) -> str:
    """Every exercise grouped by topic: mark, name, points, status."""
    catalogue = load_catalogue()
    width = max((len(r.exercise.name) for r in rows), default=10) + 2
    lines: list[str] = []
    for topic in catalogue.topics:
        mine = [r for r in rows if r.exercise.topic == topic.name]
        if not mine:
            continue
        earned = sum(r.earned for r in mine)
        lines.append(f"{topic.name} — {topic.title}   {fmt_points(earned)}/{fmt_points(topic.points)} points")
        for r in mine:
            here = "▶" if r.exercise.name == current else " "
            points = f"{fmt_points(r.earned)}/{fmt_points(r.exercise.points)}"
            status = r.status + (f" ({r.detail})" if r.detail and r.detail != r.status else "")
            lines.append(f"{here} {MARKS[r.status]} {r.exercise.name:<{width}} {points:>9}  {status}")
    return "\n".join(lines)


def render_topics(rows: list[Standing], current: str | None = None) -> str:
    """A compact list for small screens: one line per topic with a mark per exercise,
    and the exercises of the current exercise's topic in full."""
    catalogue = load_catalogue()
    here = next((r.exercise.topic for r in rows if r.exercise.name == current), None)
    width = max((len(t.name) for t in catalogue.topics), default=6)
    lines = []
    for topic in catalogue.topics:
        mine = [r for r in rows if r.exercise.topic == topic.name]
        if not mine:
            continue
        if topic.name == here:
            lines.append(render_list(mine, current))
            continue
        marks = "".join(MARKS[r.status] for r in mine)
        earned = sum(r.earned for r in mine)
        lines.append(f"{topic.name:<{width}}  {marks:<16} {fmt_points(earned)}/{fmt_points(topic.points)} points")
    return "\n".join(lines)
