"""Grade cells: the locked cell that scores one exercise in a notebook, and the `grade`
it calls inside the kernel.

A grade cell runs the exercise's kit tests (property tests against PyTorch, speed tests)
on the notebook's own functions, prints the table and first problem, and ends with the
score, which nbgrader reads as partial credit. Its `### BEGIN HIDDEN TESTS` region, which
students never see, switches the instructor's run to the hidden tests too and to the
course seed.

Failing closed. nbgrader gives full credit to a grade cell that ends without output and
without an error. The cell therefore checks, with nothing but Python syntax and a float
literal (no name a student's cell could rebind, no gradeschool attribute it could patch),
that what `grade` returned is a real float, and raises otherwise: a kernel in which
`grade` was patched to return nothing scores 0. What remains possible in the student's
own kernel: patching `grade` to return a high float, or patching IPython's output
machinery (the display hook, `showtraceback`), still fools nbgrader's own autograde; no
code in the student's process can prevent that. `gradeschool nbgrader autograde` regrades
every submitted notebook in the isolated grader and writes those scores into the
gradebook, flagging every cell whose kernel score differs: its scores are the grades."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import textwrap
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.render import points_phrase
from gradeschool.harness.presets import TEST_TIMEOUT_S

GRADE_MARK = "# gradeschool grade cell"


def grade_cell_source(exercise: Exercise, seed: int, test_timeout: float = TEST_TIMEOUT_S) -> str:
    """The locked cell that scores one exercise; it ends with the numeric score, or raises."""
    functions = ", ".join(f"`{f}`" for f in exercise.functions)
    return textwrap.dedent(f"""\
        {GRADE_MARK}: {exercise.name} ({points_phrase(exercise.points)})
        # Runs the kit's tests of {exercise.name} (property tests against PyTorch, speed
        # tests) on your {functions}, prints what differs. The number below is your score.
        from gradeschool.build.notebooks.cells import grade
        tests = dict(hidden=False)
        ### BEGIN HIDDEN TESTS
        tests = dict(hidden=True, course_seed={seed})
        ### END HIDDEN TESTS
        score = grade({exercise.name!r}, globals(), timeout={test_timeout:g}, **tests)
        # a score is a float; anything else (nothing at all) is no score: this cell fails
        if (0.0).__class__.__class__(score) is not (0.0).__class__:
            raise TypeError(f"the grader returned {{score!r}}, not a score")
        score""")


def _run_quietly(fn):
    """Run fn() with stdout and stderr (the file descriptors too) captured; returns
    (result, captured text). Keeps torch's warnings out of the cell's stderr, which
    nbgrader would count as a failure."""
    with tempfile.TemporaryFile(mode="w+b") as sink, io.StringIO() as text:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                result = fn()
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
        sink.seek(0)
        return result, text.getvalue() + sink.read().decode("utf-8", "replace")


def _referenced_globals(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_globals(const)
    return names


def _top(module: str | None) -> str:
    return (module or "").split(".")[0]


def forbidden_in_notebook(namespace: Mapping[str, Any], functions: Mapping[str, Any]) -> str | None:
    """What makes the notebook's code use more than NumPy and the standard library, as
    the grader's scan of the converted notebook would find it: a module imported into the
    notebook, an import inside a function, or a function's use of a forbidden object."""
    import inspect

    from gradeschool.core.scan import _is_allowed, find_forbidden_imports

    siblings = frozenset(load_catalogue().module_names())

    def allowed(module: str | None) -> bool:
        # the notebook may import gradeschool for its own `gradeschool.check` calls: the
        # grader leaves those statements out
        return module in (None, "", "__main__", "builtins") or _top(module) == "gradeschool" \
            or _is_allowed(module, siblings)

    for name, value in namespace.items():
        if isinstance(value, types.ModuleType) and not allowed(value.__name__):
            return f"the notebook imports {value.__name__!r} (as `{name}`)"
    for fn_name, fn in functions.items():
        try:
            problems = find_forbidden_imports(textwrap.dedent(inspect.getsource(fn)), siblings)
        except (OSError, TypeError, SyntaxError):
            problems = []
        if problems:
            return f"`{fn_name}` {problems[0]}"
        code = getattr(fn, "__code__", None)
        for used in sorted(_referenced_globals(code)) if code is not None else ():
            value = namespace.get(used)
            module = getattr(value, "__module__", None) if value is not None else None
            if value is not None and not isinstance(value, types.ModuleType) and not allowed(module):
                return f"`{fn_name}` uses `{used}` from {module!r}"
    return None


def grade(exercise: str, namespace: Mapping[str, Any], hidden: bool = False,
          course_seed: int | None = None, timeout: float = TEST_TIMEOUT_S, echo: bool = True) -> float:
    """Score `exercise` on the functions found in `namespace` (a notebook's globals()):
    the points of core/results.score_tests, the one scoring rule. `hidden=True` (the
    instructor's run) adds the hidden tests, with `course_seed`; `timeout` is the kit's
    per-test limit. Output of the run (pytest's, torch's warnings) is kept off the cell's
    stderr; the table and first problem are printed."""
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.paths import exercises_dir
    from gradeschool.core.render import render_summary
    from gradeschool.core.results import by_exercise
    from gradeschool.core.scan import find_stubs
    from gradeschool.harness import presets
    from gradeschool.harness.runner import run_checks

    catalogue = load_catalogue()
    ex = catalogue.exercise(exercise)
    missing = [f for f in ex.functions if f not in namespace]
    if missing:
        print(f"{exercise}: not defined in this notebook: {', '.join(missing)} (run its cell first)")
        return 0.0
    functions = {f: namespace[f] for f in ex.functions}
    stubbed = [f for f, obj in functions.items() if _is_stub(obj, find_stubs)]
    if stubbed:
        print(f"{exercise}: not started ({', '.join(stubbed)} still raises NotImplementedError)")
        return 0.0
    forbidden = forbidden_in_notebook(namespace, functions)
    if forbidden:
        print(f"{exercise}: forbidden import: {forbidden}. Exercises may import NumPy and the Python "
              "standard library only: the tests compare your code with torch, so torch must not do the work.")
        return 0.0
    # Every catalogue function the notebook defines (its own and those provided from earlier
    # topics) replaces the stub, so a test that also calls another exercise's function, say
    # backprop's test calling dense_forward, gets the notebook's version.
    overrides: dict[str, dict[str, Any]] = {}
    for other in catalogue.exercises():
        for f in other.functions:
            if f in namespace and callable(namespace[f]):
                overrides.setdefault(other.topic, {})[f] = namespace[f]
    impl = LocalImplementation(exercises_dir(), label="notebook", overrides=overrides)
    preset = presets.grade_cell(hidden=hidden, course_seed=course_seed, test_timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="gradeschool-nb-") as tmp:
        old_cwd = os.getcwd()
        old_store = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(tmp) / ".hypothesis")
        os.chdir(tmp)
        try:
            results, _noise = _run_quietly(lambda: run_checks([exercise], impl=impl, preset=preset))
        finally:
            os.chdir(old_cwd)
            if old_store is None:
                os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
            else:
                os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = old_store
    group = by_exercise(results, only=[ex])[0]
    if echo:
        print(render_summary(without_hidden_details(results), only=[ex]))
    return float(group.earned)


HIDDEN_NOTE = "a hidden test: what it checks is not shown"


def without_hidden_details(results: list) -> list:
    """The results as feedback may show them: a hidden test counts in the table and the
    points, but neither its name nor its message appears (nbgrader's feedback shows the
    cell's output)."""
    from dataclasses import replace

    return [replace(r, nodeid="hidden test", message=HIDDEN_NOTE) if r.hidden else r for r in results]


def _is_stub(obj: Any, find_stubs) -> bool:
    import inspect

    try:
        source = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return False
    try:
        return bool(find_stubs(source))
    except SyntaxError:
        return False
