"""What `watch` knows between two screens: the exercise it is on, the last check of it,
the fingerprints of every exercise's code at the last check (to rerun exactly the
exercises whose code changed), the list cursor, and a note for the next screen.

Progress (statuses, hint steps, the current exercise) is not held here: it lives in the
progress store and is read afresh, so that `gradeschool hint` or `check` in another
terminal is seen, and never overwritten."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.learner.overview import DONE, standings
from gradeschool.learner.source import fingerprints
from gradeschool.learner.store import ProgressStore


@dataclass
class Checked:
    """The outcome of the last check of the current exercise."""

    exercise: str
    results: list | None = None   # test results; None when the static look said it all
    status: str = ""              # learner status: done, failing, not started
    earned: float = 0.0
    detail: str = ""              # not started because..., forbidden import, ...


@dataclass
class WatchState:
    root: Path
    exercise: Exercise
    store: ProgressStore = field(default_factory=ProgressStore)
    view: str = "exercise"        # or "list"
    cursor: int = 0               # the list's selected exercise (index in the catalogue)
    last: Checked | None = None
    others: list[str] = field(default_factory=list)  # one line per other exercise just checked
    prints: dict[str, str] = field(default_factory=dict)
    note: str = ""
    checked_at: str = ""

    @property
    def exercises(self) -> list[Exercise]:
        return load_catalogue().exercises()

    # ------------------------------------------------------------ where to go
    def go_to(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.view = "exercise"
        self.last = None
        self.store.set_current(exercise.name)

    def next_unfinished(self) -> Exercise:
        rows = standings(self.store.read(), self.root)
        names = [r.exercise.name for r in rows]
        i = names.index(self.exercise.name)
        order = rows[i + 1:] + rows[:i]
        return next((r.exercise for r in order if r.status != DONE), rows[(i + 1) % len(rows)].exercise)

    def open_list(self) -> None:
        self.view = "list"
        self.cursor = [e.name for e in self.exercises].index(self.exercise.name)

    def move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(self.exercises)

    @property
    def selected(self) -> Exercise:
        return self.exercises[self.cursor]

    # ------------------------------------------------------------ what to check
    def to_check(self) -> list[Exercise]:
        """The current exercise first, then every other exercise whose code changed since
        the last check (a save that changed none of them reruns the current one)."""
        now = fingerprints(self.root)
        changed = [e for e in self.exercises if self.prints and now.get(e.name) != self.prints.get(e.name)]
        self.prints = now
        return [self.exercise] + [e for e in changed if e.name != self.exercise.name]


def start_exercise(store: ProgressStore, root: Path, start: Exercise | None = None) -> Exercise:
    """Where watch starts: the exercise asked for, else the one it was on, else the first
    one not done."""
    if start is not None:
        return start
    progress = store.read()
    if progress.current:
        try:
            return load_catalogue().exercise(progress.current)
        except KeyError:
            pass
    rows = standings(progress, root)
    return next((r.exercise for r in rows if r.status != DONE), rows[0].exercise)
