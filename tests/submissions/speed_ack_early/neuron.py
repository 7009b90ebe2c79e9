"""Adversarial: answers before working.

Its softmax is right, but for a call from a speed measurement it returns an empty
array at once and fills it in from a background thread: the call (and the worker's ack
of a timed run) comes back before the work is done, which then runs while the judge
times torch, or later. Graded today: speed points and a tiny speed figure. Stopped
workers between runs, CPU accounting and committed outputs leave it nothing."""

import sys
import threading

import numpy as np


def _timed() -> bool:
    """Whether this call comes from a speed measurement: the worker's speed program (whose
    code is in the sandbox for anyone to read) is among the callers."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").endswith("_worker.speed"):
            return True
        frame = frame.f_back
    return False


def _fill(out, x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    np.divide(e, e.sum(axis=axis, keepdims=True), out=out)


def softmax(x, axis=-1):
    if not _timed():
        out = np.empty_like(x)
        _fill(out, x, axis)
        return out
    out = np.empty_like(x)
    threading.Thread(target=_fill, args=(out, x, axis), daemon=True).start()
    return out
