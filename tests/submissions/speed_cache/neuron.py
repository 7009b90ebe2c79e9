"""Adversarial: caches its outputs between timed runs.

Its softmax is right, but for a call from a speed measurement it computes once and
then answers every later call of the same shape with the stored result: the timed runs
cost nothing. Graded today (every run gets the very same arrays): speed points and a tiny
speed figure. With fresh inputs per run the stored result is wrong for every later run."""

import sys

import numpy as np

_CACHE: dict = {}


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
    key = (np.shape(x), np.asarray(x).dtype.str, axis)
    if _timed() and key in _CACHE:
        return _CACHE[key]
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)
    if _timed():
        _CACHE[key] = out
    return out
