"""The learner's progress: one file, `.gradeschool/progress.json`, that every command
updates (`check`, `list --check`, `hint`, `watch`, `reset`, `solution`).

- `exercises`: the last check of each exercise on the learner's files (status, points,
  and a fingerprint of the code it was checked on, so an edit since shows "not checked");
- `hints`: how many of an exercise's catalogue hints the learner has seen;
- `current`: the exercise `watch` is on.

Every change is a read-modify-write under an exclusive lock on `progress.json.lock`,
written to a temporary file and moved over the old one (`os.replace`): two commands at
once (watch in one terminal, `gradeschool hint` in another) never lose each other's
updates, and a reader never sees half a file. Nothing is cached between changes: a
long-running `watch` reads the file afresh each time it needs it."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradeschool.core.catalogue import Exercise
from gradeschool.learner.source import fingerprint, state_dir


@dataclass
class Saved:
    """The last check of one exercise."""

    status: str          # the check's status: passed, failed, not started, error, ...
    earned: float
    points: float
    fingerprint: str
    checked_at: float


@dataclass
class Progress:
    """What progress.json holds (a snapshot: change it through ProgressStore.edit)."""

    checked: dict[str, Saved] = field(default_factory=dict)
    hints: dict[str, int] = field(default_factory=dict)
    current: str | None = None

    @classmethod
    def from_json(cls, data: dict) -> Progress:
        checked = {}
        for name, d in (data.get("exercises") or {}).items():
            try:
                checked[name] = Saved(**d)
            except TypeError:
                continue
        hints = {}
        for name, n in (data.get("hints") or {}).items():
            with contextlib.suppress(TypeError, ValueError):
                hints[name] = int(n)
        current = data.get("current")
        return cls(checked, hints, current if isinstance(current, str) else None)

    def to_json(self) -> dict:
        return {"exercises": {k: asdict(v) for k, v in self.checked.items()},
                "hints": self.hints, "current": self.current}

    def hints_seen(self, exercise: Exercise) -> int:
        return min(self.hints.get(exercise.name, 0), len(exercise.hints))


_THREAD_LOCK = threading.Lock()  # flock is per open file: threads of one process need this too


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if need be), held for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK, open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ProgressStore:
    """progress.json, read fresh on every call and changed only under its lock."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else state_dir() / "progress.json"
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def read(self) -> Progress:
        try:
            return Progress.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, AttributeError):
            return Progress()

    @contextlib.contextmanager
    def edit(self) -> Iterator[Progress]:
        """Read, let the block change the Progress, write it back atomically; all under
        the lock, so that concurrent edits apply one after the other."""
        with _locked(self.lock_path):
            progress = self.read()
            yield progress
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(progress.to_json(), indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)

    # ------------------------------------------------------------ the changes commands make
    def record(self, groups, prints: dict[str, str] | None = None, root: Path | None = None) -> None:
        """Save the outcome of checks (ExerciseResults) of the learner's files; `prints`
        are the fingerprints of the code that was checked (taken before the run)."""
        now = time.time()
        with self.edit() as progress:
            for g in groups:
                if g.status == "no tests":
                    continue
                code = (prints or {}).get(g.exercise.name) or fingerprint(g.exercise, root)
                progress.checked[g.exercise.name] = Saved(g.status, g.earned, g.exercise.points, code, now)

    def forget(self, exercise: Exercise) -> None:
        """The exercise's code was replaced (`reset`): its last check no longer applies."""
        with self.edit() as progress:
            progress.checked.pop(exercise.name, None)

    def next_hint(self, exercise: Exercise) -> int:
        """Reveal one more hint; returns how many are shown now (at most all of them)."""
        with self.edit() as progress:
            shown = min(progress.hints.get(exercise.name, 0) + 1, len(exercise.hints))
            progress.hints[exercise.name] = shown
        return shown

    def saw_hints(self, exercise: Exercise, shown: int) -> None:
        """The learner has seen the first `shown` hints (a failing check displayed them)."""
        with self.edit() as progress:
            if shown > progress.hints.get(exercise.name, 0):
                progress.hints[exercise.name] = min(shown, len(exercise.hints))

    def set_current(self, name: str) -> None:
        with self.edit() as progress:
            progress.current = name
