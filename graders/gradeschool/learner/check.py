"""The same check in a notebook: `gradeschool.check("softmax", softmax)`.

The function (or functions) defined in a cell replace the learner's file's versions for
this one run; the exercise's tests run in this process and the same table and first
problem as `gradeschool check` are printed. A CheckResult comes back (points, status,
the messages of the tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gradeschool.core.catalogue import Exercise


@dataclass
class CheckResult:
    """The outcome of `gradeschool.check`: status, points and every test's outcome."""

    exercise: str
    status: str
    earned: float
    points: float
    text: str
    tests: list[Any] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def message(self) -> str:
        """The first problem's message ('' when everything passed)."""
        return next((t.message for t in self.tests if t.outcome not in ("passed", "skipped", "not checked")), "")

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        from gradeschool.core.render import fmt_points

        points = f"{fmt_points(self.earned)}/{fmt_points(self.points)}"
        return f"<CheckResult {self.exercise}: {self.status}, {points} points>"


def _functions_for(exercise: Exercise, fn, given: Mapping[str, Any]) -> dict[str, Any]:
    functions = dict(given)
    if isinstance(fn, Mapping):
        functions.update(fn)
    elif fn is not None:
        name = getattr(fn, "__name__", None)
        if name in exercise.functions:
            functions[name] = fn
        elif len(exercise.functions) == 1:
            functions[exercise.functions[0]] = fn
        else:
            raise TypeError(f"{exercise.name} has several parts ({', '.join(exercise.functions)}): "
                            f"pass them by name, e.g. check({exercise.name!r}, "
                            f"{exercise.functions[0]}={exercise.functions[0]}, ...)")
    unknown = [k for k in functions if k not in exercise.functions]
    if unknown:
        raise TypeError(f"{exercise.name} has no part {unknown[0]!r}; its parts: {', '.join(exercise.functions)}")
    return functions


def check(exercise: str, fn: Callable | Mapping[str, Callable] | None = None, /, *,
          quiet: bool = False, speed: bool = True, **functions: Callable) -> CheckResult:
    """Check an exercise with functions defined in a notebook cell.

        gradeschool.check("softmax", softmax)
        gradeschool.check("dense", dense_forward=dense_forward, dense_backward=dense_backward)
        gradeschool.check("dense", {"dense_forward": f, "dense_backward": g})

    Parts you do not pass come from your exercises/ file. Prints the points table and
    the first problem explained (unless quiet) and returns a CheckResult. `speed=False`
    leaves the speed tests out for a quicker look: their points then count as "speed not
    checked", never as earned. The functions follow the same rules as a file: NumPy and
    the standard library only, and none of the calls an exercise forbids."""
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.paths import exercises_dir
    from gradeschool.core.results import by_exercise
    from gradeschool.harness.runner import run_checks
    from gradeschool.learner.names import find_exercise
    from gradeschool.learner.report import render_check
    from gradeschool.learner.runs import loop_args
    from gradeschool.learner.store import ProgressStore

    ex = find_exercise(exercise)
    overrides = {ex.topic: _functions_for(ex, fn, functions)}
    impl = LocalImplementation(exercises_dir(), label="notebook", overrides=overrides)
    results = run_checks([ex.name], impl=impl, extra=loop_args(speed))
    (group,) = by_exercise(results, only=[ex])
    text, _ = render_check(results, ex, ProgressStore().read().hints_seen(ex))
    if not quiet:
        print(text)
    return CheckResult(ex.name, group.status, group.earned, ex.points, text, list(group.tests))
