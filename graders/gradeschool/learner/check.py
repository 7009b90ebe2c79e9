"""The same check in a notebook: `gradeschool.check("softmax", softmax)`.

The function (or functions) defined in a cell replace the learner's file's versions for
this one run; the exercise's tests run in this process and the same table and first
problem as `gradeschool check` are printed. A CheckResult comes back (points, status,
the messages of the tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gradeschool.core.catalogue import Exercise, load_catalogue


def loop_args(speed: bool = True) -> list[str]:
    """Extra pytest arguments of the learner loop's runs (`speed=False` leaves out the
    speed tests, for a quicker first look): gradeschool.harness.presets.learner."""
    from gradeschool.harness.presets import learner

    return list(learner(speed).args)


def render_check(results, exercise: Exercise, hints_shown: int = 0) -> str:
    """`gradeschool check`'s table and first problem for one exercise, then the
    catalogue hints the learner has reached (at least the first one) when it fails."""
    from gradeschool.core.render import render_summary
    from gradeschool.core.results import NOT_STARTED, PASSED, by_exercise

    text = render_summary(results, only=[exercise])
    (group,) = by_exercise(results, only=[exercise])
    if group.status == NOT_STARTED and group.first_problem is not None:
        text += f"\n\n{exercise.name}: not started — {group.first_problem.message}"
    if group.status not in (PASSED, NOT_STARTED, "no tests") and exercise.hints:
        shown = max(1, min(hints_shown, len(exercise.hints)))
        hints = "\n".join(
            f"  hint {i + 1} of {len(exercise.hints)}: {h}" for i, h in enumerate(exercise.hints[:shown]))
        more = f"  more hints: gradeschool hint {exercise.name}"
        text = text.replace(more, hints + "\n" + more) if more in text else text + "\n" + hints
    return text


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
        return next((t.message for t in self.tests if t.outcome not in ("passed", "skipped")), "")

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"<CheckResult {self.exercise}: {self.status}, {self.earned:.4g}/{self.points:.4g} points>"


def _exercise_for(name: str) -> Exercise:
    catalogue = load_catalogue()
    try:
        return catalogue.exercise(name)
    except KeyError:
        owner = catalogue.owner_of(name)
        if owner is None:
            raise KeyError(f"no exercise {name!r} in the catalogue; exercises: "
                           f"{', '.join(e.name for e in catalogue.exercises())}") from None
        return owner


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
    leaves the speed tests out (their points too) for a quicker look."""
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.paths import exercises_dir
    from gradeschool.core.results import by_exercise
    from gradeschool.harness.runner import run_checks
    from gradeschool.learner.progress import Progress

    ex = _exercise_for(exercise)
    overrides = {ex.topic: _functions_for(ex, fn, functions)}
    impl = LocalImplementation(exercises_dir(), label="notebook", overrides=overrides)
    results = run_checks([ex.name], impl=impl, extra=loop_args(speed))
    (group,) = by_exercise(results, only=[ex])
    text = render_check(results, ex, Progress().hints.get(ex.name, 0))
    if not quiet:
        print(text)
    return CheckResult(ex.name, group.status, group.earned, ex.points, text, list(group.tests))
