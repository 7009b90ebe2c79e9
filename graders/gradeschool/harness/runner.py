"""Run the kit's exercise tests in this process and return their outcomes.

`gradeschool check`, the learner loop and the notebooks all call `run_checks`; the grader
runs the same tests with learner code in an isolated worker."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gradeschool.core import results as R
from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.paths import hidden_test_file, topic_test_file, topic_tests_dir
from gradeschool.harness import presets


def pytest_args(exercises: Sequence[Exercise], impl: str, results_json: Path,
                extra: Sequence[str] = (), preset: presets.Preset = presets.PLAIN) -> list[str]:
    """The test files of the exercises' topics (public ones; hidden ones too when the
    preset asks), the selection, and the preset's arguments and limits."""
    topics = dict.fromkeys(e.topic for e in exercises)
    files = [topic_test_file(t) for t in topics]
    if preset.hidden:
        files += [hidden_test_file(t) for t in topics]
    paths = [str(f) for f in files if f.exists()] or [str(topic_tests_dir())]
    args = [*paths, "--impl", str(impl), "--results-json", str(results_json),
            "-q", "--no-summary", "-p", "no:cacheprovider", "--device", "cpu",
            *preset.pytest_args()]
    for e in exercises:
        args += ["--exercise", e.name]
    return args + list(extra)


class _Provider:
    """Hands a ready-made Implementation (a notebook's functions, an isolated worker's
    proxy) to the kit's pytest plugin in place of --impl."""

    def __init__(self, implementation):
        self.implementation = implementation

    def pytest_gradeschool_implementation(self, config):
        return self.implementation


def run_checks(selectors: Sequence[str] = (), impl="exercises", extra: Sequence[str] = (),
               echo: bool = False, preset: presets.Preset = presets.PLAIN) -> list[R.TestResult]:
    """Run the tests of the selected topics/exercises (all when empty) against `impl`:
    `exercises`, `solutions`, a folder, or an Implementation object; `preset`
    (gradeschool.harness.presets) says which tests and limits."""
    import pytest

    exercises = load_catalogue().resolve(list(selectors))
    with tempfile.TemporaryDirectory(prefix="gradeschool-") as tmp:
        out = Path(tmp) / "results.json"
        given = isinstance(impl, str | Path)
        args = pytest_args(exercises, impl if given else "exercises", out, extra, preset)
        plugins = [] if given else [_Provider(impl)]
        sink = contextlib.nullcontext() if echo else contextlib.redirect_stdout(io.StringIO())
        with sink:
            code = pytest.main(args, plugins=plugins)
        if code == pytest.ExitCode.INTERRUPTED:
            return _interrupted(R.load(out) if out.exists() else [], exercises)
        if not out.exists():
            raise RuntimeError(f"the test run did not finish (pytest exit code {code})")
        return R.load(out)


def _interrupted(results: list[R.TestResult], exercises: Sequence[Exercise]) -> list[R.TestResult]:
    """An interrupted run (Ctrl-C, or nbgrader interrupting a cell out of time): each
    selected exercise that got no outcome at all is a timeout, never "no tests"."""
    seen = {r.exercise for r in results}
    return results + [R.TestResult(f"interrupted::{e.name}", e.name, e.topic, 1.0, R.TIMEOUT,
                                   "interrupted before its tests finished (an endless loop, or far too slow?)")
                      for e in exercises if e.name not in seen]

