"""What a plain pytest run tells a learner (registered by the kit's plugin, harness/plugin.py).

- The run ends with `gradeschool check`'s table: one line per exercise, scored by the one
  scoring rule (core/results.py), then which exercises are not done yet.
- It fails (exit 1) while a selected exercise is not started or does not pass: "0 failed"
  is not "done" when ten exercises are still stubs.
- Tests of an exercise not started yet are counted as "not started", not listed one by
  one as skips; pytest-benchmark's table shows only with --benchmark-enable (the speed
  tests measure their ratios themselves).
- `--skip-speed` leaves the speed tests out and records them as not checked.
- `result_of`: the record (core/results.TestResult) of one exercise test's outcome."""

from __future__ import annotations

import pytest

from gradeschool.core import results as R
from gradeschool.core.catalogue import load_catalogue

NOT_CHECKED_MESSAGE = "speed not checked (left out of this run)"


def quiet_benchmarks(config: pytest.Config) -> None:
    """Disable pytest-benchmark's own timing and table unless asked for (called from the
    plugin's pytest_configure, before pytest-benchmark reads the option)."""
    if hasattr(config.option, "benchmark_disable") and not (
            config.getoption("benchmark_enable", False) or config.getoption("benchmark_only", False)):
        config.option.benchmark_disable = True


def result_of(item: pytest.Item, outcome: str, message: str, duration: float = 0.0,
              ratio: float | None = None) -> R.TestResult:
    """The record of one exercise test's outcome (what tables, reports and points read)."""
    from gradeschool.harness.plugin import _exercise_of

    exercise = _exercise_of(item)
    marker = item.get_closest_marker("exercise")
    return R.TestResult(
        nodeid=item.nodeid,
        exercise=exercise,
        topic=load_catalogue().exercise(exercise).topic,
        weight=float(marker.kwargs.get("weight", 1)),
        outcome=outcome,
        message=message,
        duration=round(duration, 4),
        hidden=item.get_closest_marker("hidden") is not None,
        speed_ratio=ratio,
        speed=item.get_closest_marker("bench") is not None,
    )


def leave_out_speed_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--skip-speed: deselect the exercises' speed tests and record each as not checked,
    so that their share of the points is shown and not earned."""
    from gradeschool.harness.plugin import _exercise_of, _mutant_param, state

    speed = [i for i in items if _exercise_of(i) and i.get_closest_marker("bench") and not _mutant_param(i)]
    if not speed:
        return
    config.hook.pytest_deselected(items=speed)
    items[:] = [i for i in items if i not in speed]
    for item in speed:
        state(config).results[item.nodeid] = result_of(item, R.NOT_CHECKED, NOT_CHECKED_MESSAGE)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """A test of an exercise not started yet is counted as such, not listed as a skip."""
    from gradeschool.harness.plugin import NOT_STARTED_PREFIX

    if report.skipped and report.when == "setup" and isinstance(report.longrepr, tuple) \
            and str(report.longrepr[2]).removeprefix("Skipped: ").startswith(NOT_STARTED_PREFIX):
        return "not started", "n", ("NOT STARTED", {"yellow": True})
    return None


def _results(config: pytest.Config) -> list[R.TestResult]:
    from gradeschool.harness.plugin import state

    return list(state(config).results.values())


def selected(results: list[R.TestResult]):
    names = {r.exercise for r in results}
    return [e for e in load_catalogue().exercises() if e.name in names]


def unfinished(results: list[R.TestResult]) -> list[R.ExerciseResult]:
    """The selected exercises that are not started or do not pass."""
    groups = R.by_exercise(results, only=selected(results))
    return [g for g in groups if g.status not in (R.PASSED, R.NO_TESTS)]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    if session.exitstatus == pytest.ExitCode.OK and unfinished(_results(session.config)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    results = _results(config)
    if not results:
        return
    from gradeschool.core.render import render_summary

    terminalreporter.write_sep("-", "gradeschool")
    terminalreporter.write_line(render_summary(results))
    left = unfinished(results)
    if left:
        names = ", ".join(g.exercise.name for g in left[:6]) + (", ..." if len(left) > 6 else "")
        terminalreporter.write_line(
            f"not done yet: {len(left)} of {len(selected(results))} exercises ({names}), so this run "
            "fails; `gradeschool check NAME` explains one")
