"""Wall-clock deadlines for learner code run in this process (the learner loop).

A SIGALRM handler raises an exception in the main thread when time is up. The exception
derives from BaseException on purpose: Hypothesis treats ordinary exceptions (and
pytest.fail) as test failures and runs the example again, which would hang a second time;
a BaseException goes straight through. Deadlines nest: an inner one never outlives or
cancels an outer one."""

from __future__ import annotations

import contextlib
import signal
import threading
import time


class DeadlineExceeded(BaseException):  # noqa: N818 (not an error of the code under test)
    """Raised in the main thread when a deadline passes."""

    def __init__(self, seconds: float, what: str):
        super().__init__(f"{what} did not finish within {seconds:g} s")
        self.seconds = seconds


@contextlib.contextmanager
def deadline(seconds: float | None, what: str = "the code", exc: type[BaseException] | None = None):
    """Raise `exc` (default DeadlineExceeded) if the block runs longer than `seconds`.
    A no-op outside the main thread, or with seconds None/0."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    start = time.monotonic()
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    outer_at = start + outer_left if outer_left > 0 else None

    def _alarm(signum, frame):
        if outer_at is not None and time.monotonic() >= outer_at - 1e-3 and callable(outer_handler):
            outer_handler(signum, frame)  # the enclosing deadline came first
        if exc is not None:
            raise exc
        raise DeadlineExceeded(seconds, what)

    signal.signal(signal.SIGALRM, _alarm)
    mine = start + seconds
    signal.setitimer(signal.ITIMER_REAL, max(min(mine, outer_at or mine) - start, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_at is not None:
            signal.setitimer(signal.ITIMER_REAL, max(outer_at - time.monotonic(), 1e-3))
