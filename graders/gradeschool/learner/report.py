"""What the learner loop shows after a check of one exercise: `gradeschool check`'s table
and first problem, then the catalogue hints the learner has reached, then where the
pictures of a capstone are.

A failure whose message carries a hint of its own (a generic diagnosis or the test's
mistake hint, see gradeschool.testing.hints) shows that one; the exercise's first
catalogue hint is added only to a failure without one, and counts as seen, so that the
next `h` in watch (or `gradeschool hint`) shows a new one."""

from __future__ import annotations

from gradeschool.core.catalogue import Exercise


def render_check(results, exercise: Exercise, hints_seen: int = 0) -> tuple[str, int]:
    """(text, how many catalogue hints it shows) for the check of one exercise."""
    from gradeschool.core.render import render_summary
    from gradeschool.core.results import NO_TESTS, NOT_STARTED, PASSED, SPEED_NOT_CHECKED, by_exercise

    text = render_summary(results, only=[exercise])
    (group,) = by_exercise(results, only=[exercise])
    if group.status == NOT_STARTED and group.first_problem is not None:
        text += f"\n\n{exercise.name}: not started — {group.first_problem.message}"
    shown = min(hints_seen, len(exercise.hints))
    failing = group.status not in (PASSED, NOT_STARTED, NO_TESTS, SPEED_NOT_CHECKED)
    if failing and exercise.hints:
        has_own = group.first_problem is not None and "\n  hint: " in "\n" + group.first_problem.message
        shown = max(shown, 0 if has_own else 1)
    if failing and shown:
        hints = "\n".join(f"  hint {i + 1} of {len(exercise.hints)}: {h}" for i, h in enumerate(exercise.hints[:shown]))
        more = f"  more hints: gradeschool hint {exercise.name}"
        text = text.replace(more, hints + "\n" + more) if more in text else text + "\n" + hints
    note = pictures_note([group])
    return text + (f"\n\n{note}" if note else ""), shown


def pictures_note(groups) -> str:
    """Where the pictures of the capstones among `groups` are (or how to draw them)."""
    from gradeschool.pictures import note_for

    return note_for([g.exercise.name for g in groups if g.status == "passed"])
