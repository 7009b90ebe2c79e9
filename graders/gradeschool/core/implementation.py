"""The Implementation protocol: how tests and the harness reach learner code.

`exercises/`, `solutions/`, a student's submission, a notebook's functions or a mutant (a
solution with one function replaced) are all implementations. Tests reach learner code
only through one (the `impl` fixture), so the grader can swap in an isolated worker
(`gradeschool.grading.isolated.IsolatedImplementation`) for the in-process loader
(`gradeschool.core.local.LocalImplementation`) without touching a test. Both satisfy
`Implementation` below; tests/kit/grading/test_isolated.py checks that both do.

An exercise is testable when its `state` is "ready"; otherwise the state says why not
("not started", "forbidden import", "error", "timeout") in words for the learner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from gradeschool.core.catalogue import Exercise


class ImplementationError(Exception):
    """A topic module cannot be used: missing, forbidden import, or it fails to import."""

    status = "error"


class MissingModule(ImplementationError):
    status = "not started"


class ForbiddenImport(ImplementationError):
    status = "forbidden import"


class ImportFailed(ImplementationError):
    status = "error"


@dataclass(frozen=True)
class ExerciseState:
    """Whether an exercise can be tested: 'ready', 'not started', 'forbidden import', 'error'."""

    status: str
    message: str = ""


@runtime_checkable
class Implementation(Protocol):
    """Learner code as the tests see it.

    - `get(name)` (also `impl.name`): the function or class of the catalogue named `name`,
      from whichever topic module holds it.
    - `state(exercise)`: whether the exercise's functions are there and past the stub.
    - `timer(fn, args, kwargs, **options)`: a zero-argument callable that runs
      `fn(*args, **kwargs)` once per call, for a speed measurement; `fn` is learner code
      from `get` or a test's closure over such calls. In-process that is the call itself;
      an isolated implementation runs it where the learner's code lives, without the data
      transfers, on fresh inputs per run (gradeschool.grading.timing). Options (keywords;
      an implementation ignores those it does not need): `expected(args, kwargs)`, the
      reference result for a run's (perturbed) arguments; `mismatch(got, want)`, what is
      wrong or None; `keep`, positions or names of arguments not to perturb. The callable
      may carry `seconds` (after each call: the figure of that run, to be used instead of
      the caller's clock, None for the caller's clock), `check()` (after the
      measurement: None, or why the timed runs cannot be credited) and, after `check()`,
      `floor` (None, or the least per-call figure the measurement supports); with
      `cpu_figures` true its figures are CPU time, and torch is timed in CPU time too.
    - `scratch_folder(tmp_path)`: a folder learner code can write files to (a test's own
      `tmp_path` in-process; a fresh folder in the worker's private /tmp in isolation), and
      `list_folder(folder)`: the names of the files in it, sorted.
    - `root` (the folder of topic modules) and `label` (for messages and reports)."""

    root: Path
    label: str

    def get(self, name: str) -> Any: ...

    def state(self, exercise: Exercise) -> ExerciseState: ...

    def timer(self, fn: Callable[..., Any], args: tuple, kwargs: dict, **options: Any) -> Callable[[], Any]: ...

    def scratch_folder(self, tmp_path: Path) -> str: ...

    def list_folder(self, folder: str) -> list[str]: ...
