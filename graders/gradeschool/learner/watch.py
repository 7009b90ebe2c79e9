"""`gradeschool watch`: the edit → check → read loop.

One long-lived process shows where the learner stands (a progress bar over the whole
curriculum and the exercise they are on) and reruns that exercise's checks each time a
file under exercises/ is saved. torch and the tests are imported once (in a background
thread at start, while the first screen is already up); each rerun calls
`run_checks([exercise])` in this process, which loads the learner's modules afresh.

Keys: h hint · n next exercise · l list · r rerun · q quit. With a terminal, keys act at
once (cbreak mode); otherwise one key per line on stdin."""

from __future__ import annotations

import os
import select
import sys
import threading
import time
import traceback
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.paths import exercises_dir, kit_root
from gradeschool.learner.progress import (
    DONE,
    FAILING,
    MARKS,
    NOT_CHECKED,
    NOT_STARTED,
    Progress,
    fmt_points,
    learner_status,
    render_overview,
    render_topics,
    standings,
)

CLEAR = "\x1b[H\x1b[2J\x1b[3J"
KEYS = "h hint · n next exercise · l list · r rerun · q quit"


def _warm_up() -> None:
    """Import the slow parts (torch, pytest, hypothesis) before the first check needs them."""
    try:
        import hypothesis  # noqa: F401
        import pytest  # noqa: F401
        import torch  # noqa: F401

        from gradeschool.harness import runner  # noqa: F401
    except Exception:  # the check itself will report it
        pass


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under `root` (caches left out)."""
    found = {}
    for p in root.rglob("*"):
        if "__pycache__" in p.parts or not p.is_file():
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        found[str(p)] = (st.st_mtime_ns, st.st_size)
    return found


def _points(x: float) -> str:
    return f"{fmt_points(x)} point{'' if x == 1 else 's'}"


class Keys:
    """Single key presses from a terminal (cbreak mode), or lines from a pipe."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.saved = None
        self.open = True
        try:
            self.fd = self.stream.fileno()
            self.tty = os.isatty(self.fd)
        except (AttributeError, OSError, ValueError):
            self.fd, self.tty, self.open = None, False, False

    def __enter__(self):
        if self.tty:
            try:
                import termios
                import tty

                self.saved = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)
            except (ImportError, OSError):
                self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def read(self, timeout: float) -> str:
        """Keys pressed within `timeout` seconds ('' if none)."""
        if not self.open:
            time.sleep(timeout)
            return ""
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
        except (OSError, ValueError):  # e.g. Windows: no select on a console
            self.open = False
            return ""
        if not ready:
            return ""
        if self.tty:
            return os.read(self.fd, 64).decode(errors="ignore")
        line = self.stream.readline()
        if not line:
            self.open = False
        return line.strip()[:1]


class Watcher:
    """The watch loop's state: the exercise it is on, what the screen shows."""

    def __init__(self, start: Exercise | None = None, interval: float = 0.3, out=None, keys: Keys | None = None):
        self.catalogue = load_catalogue()
        self.progress = Progress()
        self.interval = interval
        self.out = out or sys.stdout
        self.keys = keys or Keys()
        self.root = exercises_dir()
        self.view = "exercise"
        self.body = ""
        self.note = ""
        self.checked_at = ""
        self.exercise = start or self._first_unfinished()
        self._remember()

    # ------------------------------------------------------------ choosing exercises
    def _first_unfinished(self) -> Exercise:
        if self.progress.current:
            try:
                return self.catalogue.exercise(self.progress.current)
            except KeyError:
                pass
        rows = standings(self.progress)
        return next((r.exercise for r in rows if r.status != DONE), rows[0].exercise)

    def _next_unfinished(self) -> Exercise:
        rows = standings(self.progress)
        names = [r.exercise.name for r in rows]
        i = names.index(self.exercise.name)
        order = rows[i + 1:] + rows[:i]
        return next((r.exercise for r in order if r.status != DONE), rows[(i + 1) % len(rows)].exercise)

    def _remember(self) -> None:
        self.progress.current = self.exercise.name
        self.progress.save()

    # ------------------------------------------------------------ checking
    def check(self) -> None:
        """Rerun the current exercise: a cheap static look first (not started, forbidden
        import, broken file), the tests only when the code is there."""
        from gradeschool.core.local import LocalImplementation

        ex = self.exercise
        state = LocalImplementation(self.root, label="exercises").state(ex)
        start = time.monotonic()
        if state.status != "ready":
            status = learner_status(state.status)
            self.body = self._headline(status, 0.0, state.message or state.status)
            if status == NOT_STARTED:
                module = self.catalogue.topic(ex.topic).module
                self.body += (f"\n\nOpen exercises/{module}, write {self._parts()} (the docstring explains it) "
                              "and save: the checks run again.")
        else:
            self.show(f"checking {ex.name} ...")
            try:
                self.body = self._run_tests(ex)
            except Exception:
                self.body = (f"{MARKS[FAILING]} {ex.name}: could not be checked\n\n"
                             + "".join(traceback.format_exc(limit=-3)))
        self.checked_at = f"checked at {time.strftime('%H:%M:%S')} in {time.monotonic() - start:.1f} s"
        self.show()

    def _run_tests(self, ex: Exercise) -> str:
        from gradeschool.core.results import by_exercise
        from gradeschool.harness.runner import run_checks
        from gradeschool.learner.check import loop_args, render_check

        results = run_checks([ex.name], extra=loop_args())
        (group,) = by_exercise(results, only=[ex])
        self.progress.record([group])
        status = learner_status(group.status)
        text = self._headline(status, group.earned, "" if status == DONE else group.status)
        text += "\n\n" + render_check(results, ex, self.progress.hints.get(ex.name, 0))
        if status == DONE:
            following = self._next_unfinished()
            if following.name != ex.name:
                text += f"\n\nWell done! Press n for the next exercise: {following.name}."
            else:
                text += "\n\nWell done: that was the last exercise left!"
        return text

    def _parts(self) -> str:
        return ", ".join(f"`{f}`" for f in self.exercise.functions)

    def _headline(self, status: str, earned: float, detail: str) -> str:
        ex = self.exercise
        line = f"{MARKS[status]} {ex.name}: {status}  ({fmt_points(earned)}/{fmt_points(ex.points)} points)"
        return line + (f" — {detail}" if detail and detail != status else "")

    # ------------------------------------------------------------ the screen
    def screen(self, busy: str = "") -> str:
        rows = standings(self.progress)
        ex = self.exercise
        topic = self.catalogue.topic(ex.topic)
        where = exercises_dir() / topic.module
        shown = where.relative_to(kit_root()) if where.is_relative_to(kit_root()) else where
        head = [
            "gradeschool watch — saving a file in exercises/ reruns the checks",
            render_overview(rows),
            "",
        ]
        if self.view == "list":
            body = (render_topics(rows, current=ex.name) + "\n\n✔ done  ✘ failing  · not started  ? not checked"
                    "   (`gradeschool list` lists all; any key: back)")
        else:
            body = "\n".join([
                f"Exercise: {ex.name} — {topic.name}: {topic.title} · {_points(ex.points)} · {shown}",
                f"  {ex.summary}",
                "",
                busy or self.body,
            ])
            if self.view == "hints":
                shown_hints = self.progress.hints.get(ex.name, 0)
                body += "\n\n" + "\n".join(
                    f"hint {i} of {len(ex.hints)}: {h}" for i, h in enumerate(ex.hints[:shown_hints], 1))
                if shown_hints >= len(ex.hints):
                    body += "\n(that was the last hint)"
        foot = ["", self.note, f"{KEYS}    {self.checked_at}".rstrip()]
        return "\n".join(head) + "\n" + body + "\n" + "\n".join(x for x in foot if x is not None)

    def show(self, busy: str = "") -> None:
        self.out.write(CLEAR + self.screen(busy) + "\n")
        self.out.flush()

    # ------------------------------------------------------------ keys
    def press(self, key: str) -> bool:
        """Act on one key; False to quit."""
        self.note = ""
        if self.view == "list" and key != "q":
            self.view = "exercise"
            self.show()
            return True
        if key in ("q", "\x04", "\x1b"):
            return False
        if key == "h":
            if self.exercise.hints:
                self.progress.next_hint(self.exercise)
                self.view = "hints"
            else:
                self.note = f"{self.exercise.name} has no hints"
            self.show()
        elif key == "n":
            self.exercise = self._next_unfinished()
            self.view = "exercise"
            self._remember()
            self.check()
        elif key == "l":
            self.view = "list"
            self.show()
        elif key == "r":
            self.check()
        elif key.strip():
            self.note = f"unknown key {key!r}: {KEYS}"
            self.show()
        return True

    def run(self) -> int:
        warm = threading.Thread(target=_warm_up, name="gradeschool-warm-up", daemon=True)
        warm.start()
        seen = snapshot(self.root)
        try:
            with self.keys:
                self.check()
                while True:
                    pressed = self.keys.read(self.interval)
                    if any(not self.press(k) for k in pressed):
                        break
                    now = snapshot(self.root)
                    if now != seen:
                        time.sleep(0.05)  # let the editor finish writing
                        seen = snapshot(self.root)
                        self.view = "exercise" if self.view == "list" else self.view
                        self.check()
        except KeyboardInterrupt:
            pass
        self.out.write("\n")
        self.out.flush()
        if warm.is_alive():  # still importing torch: leave without waiting for it
            os._exit(0)
        return 0


__all__ = ["Watcher", "Keys", "snapshot", "DONE", "FAILING", "NOT_CHECKED", "NOT_STARTED"]
