"""`gradeschool watch`: the edit → check → read loop, as rustlings has it.

One long-lived process shows where the learner stands (a progress bar over the whole
curriculum and the exercise they are on) and, each time a file under exercises/ is saved,
reruns the checks of every exercise whose code changed, the current one first. torch and
the tests are imported once (in a background thread at start, while the first screen is
already up); each rerun calls `run_checks` in this process, which loads the learner's
modules afresh. Every check is recorded in the progress store.

Keys: h hint · n next exercise · l list (j/k or arrows and Enter go to an exercise) ·
r rerun · q quit. With a terminal, keys act at once (cbreak mode); otherwise one key per
line on stdin, and a line with an exercise's name goes to it.

The job is split: events.py (keys, saved files), state.py (what watch knows), screen.py
(what it draws); this module is the loop that ties them."""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path

from gradeschool.core.catalogue import Exercise
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import exercises_dir
from gradeschool.core.render import fmt_points
from gradeschool.learner.overview import FAILING, MARKS, learner_status
from gradeschool.learner.store import ProgressStore
from gradeschool.learner.watch.events import Keys, snapshot
from gradeschool.learner.watch.screen import CLEAR, KEYS, screen
from gradeschool.learner.watch.state import Checked, WatchState, start_exercise

__all__ = ["Watcher", "Keys", "snapshot"]


def _warm_up() -> None:
    """Import the slow parts (torch, pytest, hypothesis) before the first check needs them."""
    try:
        import hypothesis  # noqa: F401
        import pytest  # noqa: F401
        import torch  # noqa: F401

        from gradeschool.harness import runner  # noqa: F401
    except Exception:  # the check itself will report it
        pass


class Watcher:
    """The watch loop: checks on saves, acts on keys, draws the screen."""

    def __init__(self, start: Exercise | None = None, interval: float = 0.3, out=None, keys: Keys | None = None,
                 root: Path | None = None):
        self.root = root or exercises_dir()
        store = ProgressStore()
        self.state = WatchState(self.root, start_exercise(store, self.root, start), store)
        store.set_current(self.state.exercise.name)
        self.interval = interval
        self.out = out or sys.stdout
        self.keys = keys or Keys()

    # ------------------------------------------------------------ checking
    def check(self) -> None:
        """Recheck the current exercise and every other one whose code changed: a cheap
        static look first (not started, forbidden import, broken file), tests for those
        whose code is there."""
        from gradeschool.learner.runs import check_and_record

        st = self.state
        started = time.monotonic()
        chosen = st.to_check()
        impl = LocalImplementation(self.root, label="exercises")
        states = {e.name: impl.state(e) for e in chosen}
        ready = [e for e in chosen if states[e.name].status == "ready"]
        here = states[st.exercise.name]
        if here.status != "ready":
            st.last = Checked(st.exercise.name, None, learner_status(here.status), 0.0, here.message or here.status)
        st.others = []
        if ready:
            self.show(f"checking {', '.join(e.name for e in ready)} ...")
            try:
                _, groups = check_and_record(ready)
            except Exception:
                st.last = Checked(st.exercise.name, None, FAILING, 0.0, "could not be checked:\n\n"
                                  + "".join(traceback.format_exc(limit=-3)))
                groups = []
            for g in groups:
                status = learner_status(g.status)
                if g.exercise.name == st.exercise.name:
                    st.last = Checked(g.exercise.name, [t for t in g.tests], status, g.earned,
                                      "" if g.status == "passed" else g.status)
                    self._count_hints_shown(g)
                else:
                    st.others.append(f"  {MARKS[status]} {g.exercise.name}: {status} "
                                     f"({fmt_points(g.earned)}/{fmt_points(g.exercise.points)} points)")
        if st.others:
            st.others.append("  (l lists every exercise: go to one with Enter)")
        st.checked_at = f"checked at {time.strftime('%H:%M:%S')} in {time.monotonic() - started:.1f} s"
        self.show()

    def _count_hints_shown(self, group) -> None:
        """A failing check shows the first catalogue hint: seen, so `h` shows the next."""
        from gradeschool.learner.report import render_check

        st = self.state
        _, shown = render_check(st.last.results, group.exercise, st.store.read().hints_seen(group.exercise))
        st.store.saw_hints(group.exercise, shown)

    def show(self, busy: str = "") -> None:
        self.out.write(CLEAR + screen(self.state, busy) + "\n")
        self.out.flush()

    # ------------------------------------------------------------ keys
    def press(self, key: str) -> bool:
        """Act on one key (or word); False to quit."""
        st = self.state
        st.note = ""
        if key in ("q", "\x04", "\x1b"):
            return False
        if st.view == "list":
            if key in ("j", "down", "k", "up"):
                st.move(1 if key in ("j", "down") else -1)
            elif key in ("enter", "g", " "):
                self._go(st.selected)
                return True
            else:
                st.view = "exercise"
        elif len(key) > 1 and key not in ("enter", "up", "down"):
            self._go_named(key)
            return True
        elif key == "h":
            if st.exercise.hints:
                st.store.next_hint(st.exercise)
            else:
                st.note = f"{st.exercise.name} has no hints"
        elif key == "n":
            self._go(st.next_unfinished())
            return True
        elif key == "l":
            st.open_list()
        elif key == "r":
            self.check()
            return True
        elif key.strip() and key != "enter":
            st.note = f"unknown key {key!r}: {KEYS}"
        self.show()
        return True

    def _go(self, exercise: Exercise) -> None:
        self.state.go_to(exercise)
        self.check()

    def _go_named(self, name: str) -> None:
        from gradeschool.learner.names import find_exercise

        try:
            self._go(find_exercise(name))
        except KeyError as err:
            self.state.note = err.args[0]
            self.show()

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
                        self.state.view = "exercise"
                        self.check()
        except KeyboardInterrupt:
            pass
        self.out.write("\n")
        self.out.flush()
        if warm.is_alive():  # still importing torch: leave without waiting for it
            os._exit(0)
        return 0
