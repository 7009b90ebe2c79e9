"""Adversarial: computes the timed runs' outputs while their inputs arrive.

Its softmax is right. On its first call with a call from a speed measurement it
patches the worker so that every input set is computed as soon as it is received (before
any timed run) and each timed run only hands back the stored result. The work is done,
so the outputs are right: the judge's CPU accounting charges it to the runs (beyond what
receiving the inputs costs), and the figure is no better than an honest one."""

import gc
import sys

import numpy as np

_DONE: dict = {}


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


def _patch() -> None:
    speed = sys.modules.get("gradeschool_worker.speed")
    if speed is None or getattr(speed.Bench, "_patched", False):
        return
    receive, run = speed.Bench.inputs, speed.Bench._run

    def inputs(self, index, values):
        receive(self, index, values)
        _DONE[index] = _softmax(values[0])

    def fast_run(self, index, values):
        if index in _DONE:
            self.outputs[index] = _DONE.pop(index)
        else:
            run(self, index, values)

    speed.Bench.inputs, speed.Bench._run, speed.Bench._patched = inputs, fast_run, True
    gc.collect()


def softmax(x, axis=-1):
    if _timed():
        _patch()
    return _softmax(x, axis)
