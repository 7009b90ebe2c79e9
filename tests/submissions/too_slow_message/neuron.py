"""Adversarial (issue 11, finding 7): a correctness failure whose message says "is too slow".

softmax is the identity in a speed measurement (fast, and wrong) and raises an error
saying "is too slow" on the correctness tests' inputs. Today's report takes a test whose
message contains "is too slow" for a speed test, so the exercise counts as correct and
the fast identity earns the speed points. The kind of a test comes from its `bench`
marker, never from its message: no points."""

import sys


def _timed() -> bool:
    """Whether this call comes from a speed measurement: the worker's speed program (whose
    code is in the sandbox for anyone to read) is among the callers."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").endswith("_worker.speed"):
            return True
        frame = frame.f_back
    return False


def softmax(x, axis=-1):
    if _timed():
        return x
    raise ValueError("softmax is too slow")
