"""A test's outcome and the message a learner reads: how the plugin turns pytest's report
of one test phase into `passed`, `failed`, `not started`, `timeout`, `forbidden import`,
`error` or `skipped` (gradeschool.core.results), with no traceback through the harness
when the message says it all."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradeschool.core import results as R
from gradeschool.core.implementation import ImplementationError
from gradeschool.core.local import learner_frame
from gradeschool.harness.deadline import DeadlineExceeded

NOT_STARTED_PREFIX = "not started: "


class GateFailure(Exception):
    """Raised by the gate when an exercise cannot be tested (forbidden import, broken import)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def first_exception(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def classify(call: pytest.CallInfo, report: pytest.TestReport, roots: list[Path]) -> tuple[str, str]:
    """(outcome, learner-facing message) of one phase of a test; `roots` are the folders of
    learner code, whose deepest frame an unexpected error names."""
    from gradeschool.testing.oracle import LearnerFailure

    if report.passed:
        return R.PASSED, ""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith(NOT_STARTED_PREFIX):
            return R.NOT_STARTED, reason[len(NOT_STARTED_PREFIX):]
        return R.SKIPPED, reason
    exc = first_exception(call.excinfo.value) if call.excinfo else None
    if isinstance(exc, DeadlineExceeded):
        return R.TIMEOUT, f"{exc} — an endless loop, or far too slow? (the limit is per test)"
    if isinstance(exc, GateFailure):
        return exc.status, str(exc)
    if isinstance(exc, ImplementationError):
        return exc.status, str(exc)
    if isinstance(exc, LearnerFailure):
        return R.FAILED, str(exc)
    if exc is not None and "Timeout" in str(exc)[:200] and type(exc).__name__ == "Failed":
        return R.TIMEOUT, f"did not finish in time: {str(exc).splitlines()[0]}"
    if isinstance(exc, AssertionError):
        return R.FAILED, str(exc) or "an assertion failed"
    where = learner_frame(exc, roots) if exc is not None else None
    text = f"{type(exc).__name__}: {exc}" if exc is not None else report.longreprtext[-500:]
    if isinstance(exc, NotImplementedError):
        return R.FAILED, f"reached code that is not written yet ({text})" + (f" at {where}" if where else "")
    notes = "".join(f"\n  {n}" for n in getattr(exc, "__notes__", ())  # the oracle's, not Hypothesis's
                    if isinstance(n, str) and n.startswith(CALL_NOTE))
    return R.ERROR, f"raised {text}" + (f" at {where}" if where else "") + notes[:2000]


CALL_NOTE = "in the call "  # the note the oracle adds to an error raised by learner code


def is_learner_facing(call: pytest.CallInfo) -> bool:
    """Failures whose message says it all: no traceback through the harness needed."""
    from gradeschool.testing.oracle import LearnerFailure

    exc = first_exception(call.excinfo.value) if call.excinfo else None
    return isinstance(exc, LearnerFailure | GateFailure | ImplementationError | DeadlineExceeded)
