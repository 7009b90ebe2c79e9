"""Running an exercise's checks for the learner loop, and recording what they found.

`gradeschool check`, `list --check`, `solution` and `watch` all check through
`check_and_record`: the checks of the learner's own files are saved in the progress
store (with fingerprints of the code taken before the run), so every command sees the
same progress. Checks of other code (`--impl solutions`, a notebook's functions) are not
recorded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gradeschool.core.catalogue import Exercise
from gradeschool.core.paths import exercises_dir


def loop_args(speed: bool = True) -> list[str]:
    """Extra pytest arguments of the learner loop's runs (`speed=False` leaves the speed
    tests out: they then count as not checked): gradeschool.harness.presets.learner."""
    from gradeschool.harness.presets import learner

    return list(learner(speed).args)


def is_learners(impl) -> bool:
    """Whether `impl` is the learner's exercises/ folder."""
    if impl == "exercises":
        return True
    if isinstance(impl, str | Path):
        try:
            return Path(impl).resolve() == exercises_dir().resolve()
        except OSError:
            return False
    return False


def check_and_record(exercises: Sequence[Exercise], impl="exercises", extra: Sequence[str] | None = None,
                     echo: bool = False):
    """(test results, ExerciseResults) of the exercises' checks; recorded in the progress
    store when `impl` is the learner's exercises/."""
    from gradeschool.core.results import by_exercise
    from gradeschool.harness.runner import run_checks
    from gradeschool.learner.source import fingerprints
    from gradeschool.learner.store import ProgressStore

    exercises = list(exercises)
    mine = is_learners(impl)
    prints = fingerprints(exercises=exercises) if mine else None
    results = run_checks([e.name for e in exercises], impl=impl,
                         extra=loop_args() if extra is None else extra, echo=echo)
    groups = by_exercise(results, only=exercises)
    if mine:
        ProgressStore().record(groups, prints)
    return results, groups
