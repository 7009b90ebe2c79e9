"""Adversarial (issue 11, finding 8): swaps the timed entry for a no-op during the warm-up.

Its softmax is right. On its first call with a call from a speed measurement (the
untimed warm-up) it walks the worker's objects and replaces every reference to itself in
a speed measurement's entry (a (function, args, kwargs) tuple in today's worker, a
program step's "target") by a function that does nothing: the timed runs then cost
nothing. Graded today: speed points and a speed figure of about 0.03 (the solution's is
about 1). It must earn no speed points and no better figure than an honest run."""

import gc
import sys

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


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _nothing(*args, **kwargs):
    return None


def _swap(me) -> None:
    for obj in gc.get_objects():
        if type(obj) is dict:
            for key, value in list(obj.items()):
                if type(value) is tuple and value and value[0] is me:
                    obj[key] = (_nothing, *value[1:])
                elif key == "target" and value is me:
                    obj[key] = _nothing


def softmax(x, axis=-1):
    if _timed():
        _swap(softmax)
    return _softmax(x, axis)
