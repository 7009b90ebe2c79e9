"""The one place that says how each kind of run collects and runs the exercise tests:
which pytest arguments, which time limits, whether the hidden tests take part, and the
course's seed.

- `learner(speed)`: `gradeschool check`, `watch`, `list --check`, `gradeschool.check` in a
  notebook. Public tests only (what a student's copy holds).
- `grade_cell(hidden, course_seed, test_timeout)`: a notebook's grade cell. The student's
  run is the public tests; the instructor's (nbgrader autograde, hidden region restored)
  adds the hidden tests and the course seed.
- `judge(course_seed)`: `gradeschool grade` / `grade-all`: every test, hidden ones too,
  learner code in an isolated worker.

Time limits: the kit's own per-test deadline (`--test-timeout`, a BaseException that
Hypothesis does not retry) is the only one; pytest-timeout's `--timeout` is never used,
because its alarm fails the test as an ordinary failure and Hypothesis then reruns the
hanging example. After one test of an exercise times out, the plugin fails the rest of
that exercise at once, so a hanging answer costs one per-test limit."""

from __future__ import annotations

import os
from dataclasses import dataclass

TEST_TIMEOUT_S = 60.0   # seconds one exercise test may run in this process (check, cells)
CELL_TIMEOUT_S = 900    # nbgrader's limit for a whole grade cell
COURSE_SEED_ENV = "GRADESCHOOL_COURSE_SEED"  # how `grade --course-seed` reaches the judge
DEFAULT_COURSE_SEED = 0

# pytest's unraisable-exception plugin runs gc.collect() five times per session: over a
# second with torch loaded, for nothing a learner reads.
QUIET = ("-p", "no:unraisableexception")
NO_RANDOM_ORDER = ("-p", "no:randomly")


@dataclass(frozen=True)
class Preset:
    """How one kind of run collects and runs the exercise tests.

    `args` are extra pytest arguments; `hidden` adds tests/hidden/test_<topic>.py to the
    collected files; `course_seed` seeds the hidden property runs (None: the plugin's
    default); `test_timeout` is the kit's per-test deadline."""

    name: str
    args: tuple[str, ...] = ()
    hidden: bool = False
    test_timeout: float = TEST_TIMEOUT_S
    course_seed: int | None = None

    def pytest_args(self) -> list[str]:
        args = [f"--test-timeout={self.test_timeout:g}", *self.args]
        if self.course_seed is not None:
            args.append(f"--course-seed={self.course_seed}")
        return args


PLAIN = Preset("plain")  # the tests as pytest collects them, with the kit's deadline


def learner(speed: bool = True) -> Preset:
    """The learner loop: public tests; `speed=False` leaves out the speed tests, which then
    count as not checked (their share shown, not earned)."""
    return Preset("learner", (*QUIET, "-m", "not hidden", *(() if speed else ("--skip-speed",))))


def grade_cell(hidden: bool = False, course_seed: int | None = None,
               test_timeout: float = TEST_TIMEOUT_S) -> Preset:
    """A notebook grade cell: public tests for the student; the instructor's run (the
    cell's hidden region) adds the hidden tests and the course seed."""
    args = ("--color=no", *NO_RANDOM_ORDER, *QUIET, *(() if hidden else ("-m", "not hidden")))
    return Preset("grade cell", args, hidden=hidden, test_timeout=test_timeout,
                  course_seed=course_seed if hidden else None)


def course_seed_from_env() -> int | None:
    """The course seed `gradeschool grade --course-seed` hands to its judge processes."""
    value = os.environ.get(COURSE_SEED_ENV, "").strip()
    return int(value) if value else None


def judge(course_seed: int | None = None) -> Preset:
    """`gradeschool grade`: every test, hidden ones too, derandomized public examples and
    the course seed for the hidden property runs (default: $GRADESCHOOL_COURSE_SEED, else 0)."""
    if course_seed is None:
        course_seed = course_seed_from_env()
    args = (*NO_RANDOM_ORDER, *QUIET, "--benchmark-disable", "--continue-on-collection-errors",
            "-W", "ignore::DeprecationWarning")
    return Preset("judge", args, hidden=True,
                  course_seed=DEFAULT_COURSE_SEED if course_seed is None else course_seed)
