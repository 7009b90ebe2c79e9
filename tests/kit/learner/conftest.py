"""Helpers of the learner-experience tests: an implementation folder that is the
reference solutions with one definition replaced (a learner's partly-right attempt), the
checks of one exercise run on it, and the Hypothesis profile given back after a check
that ran the kit's tests in this process."""

import shutil

import pytest
from kitutils import KIT, module_of

from gradeschool.learner.source import replace_definitions


@pytest.fixture(autouse=True)
def _keep_hypothesis_profile():
    """A check run in this process loads its own Hypothesis profile; give ours back."""
    from hypothesis import settings

    before = settings._current_profile
    yield
    settings.load_profile(before)


@pytest.fixture
def attempt(tmp_path):
    """attempt(topic, {name: code}) -> a folder of topic modules: the solutions, with the
    definitions given replaced (everything else the attempt needs works)."""
    count = 0

    def make(topic: str, code: dict[str, str]):
        nonlocal count
        count += 1
        folder = tmp_path / f"attempt{count}"
        folder.mkdir()
        for f in (KIT / "solutions").glob("*.py"):
            shutil.copy(f, folder / f.name)
        path = folder / module_of(topic)
        path.write_text(replace_definitions(path.read_text(), code))
        return folder

    return make


@pytest.fixture
def check_one():
    """check_one(exercise, impl, speed=False) -> (ExerciseResult, the first problem's
    message): the exercise's checks, run in this process as `gradeschool check` runs them."""
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.core.results import by_exercise
    from gradeschool.harness.runner import run_checks
    from gradeschool.learner.runs import loop_args

    def run(exercise: str, impl, speed: bool = False):
        ex = load_catalogue().exercise(exercise)
        results = run_checks([exercise], impl=str(impl) if not hasattr(impl, "get") else impl,
                             extra=loop_args(speed))
        (group,) = by_exercise(results, only=[ex])
        problem = group.first_problem
        return group, (problem.message if problem else "")

    return run


class WatchProcess:
    """`gradeschool` (watch) on a copy of the kit, without a terminal: keys are lines on
    its stdin, the screen is read from its stdout."""

    def __init__(self, kit, *args: str):
        import os
        import subprocess
        import sys

        env = {**os.environ, "GRADESCHOOL_ROOT": str(kit)}
        self.proc = subprocess.Popen([sys.executable, "-m", "gradeschool", "watch", *args], cwd=kit, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.text = ""

    def read_until(self, *wanted: str, timeout: float = 180) -> str:
        """The output since the last screen that showed everything wanted; fails after
        `timeout` seconds with what was shown."""
        import os
        import select
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            last = self.text.rsplit("\x1b[H", 1)[-1]
            if all(w in last for w in wanted):
                self.text = ""
                return last
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536).decode(errors="replace")
                if not chunk:
                    break
                self.text += chunk
        last = self.text.rsplit("\x1b[H", 1)[-1]
        raise AssertionError(f"watch never showed {wanted}; its last screen:\n{last}")

    def press(self, key: str) -> None:
        self.proc.stdin.write(key.encode() + b"\n")
        self.proc.stdin.flush()

    def quit(self) -> int:
        self.press("q")
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def watch():
    """watch(kit, *args) -> a running WatchProcess (stopped at the end of the test)."""
    started = []

    def start(kit, *args):
        started.append(WatchProcess(kit, *args))
        return started[-1]

    yield start
    for w in started:
        w.kill()
