"""Adversarial: acks every timed run at once and does the work when the judge asks for
the commitments.

Its softmax is right. On a call with a call from a speed measurement it patches the
worker: a timed run only keeps its input set, and the outputs of all runs are computed
when the commitments are asked for, after the timing. The revealed outputs are right and
match their digests; the judge counts the CPU time of the commitments beyond hashing, so
the figure is no better than an honest one (the measurement's CPU per run bounds it)."""

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


def _patch() -> None:
    speed = sys.modules.get("gradeschool_worker.speed")
    serve = sys.modules.get("gradeschool_worker.serve")
    if speed is None or serve is None or getattr(speed.Bench, "_deferred", False):
        return
    pending: dict = {}

    def run(self, index):
        if index == 0:
            self._run(0, self.sets.pop(0))
        else:
            pending[(id(self), index)] = (self, self.sets.pop(index))

    handle = serve.Worker.speed

    def speed_op(worker, op, req, arrays):
        if op == "commit":
            for key, (bench, values) in list(pending.items()):
                bench.outputs[key[1]] = _softmax(values[0])
                del pending[key]
        return handle(worker, op, req, arrays)

    speed.Bench.run, serve.Worker.speed, speed.Bench._deferred = run, speed_op, True


def softmax(x, axis=-1):
    if _timed():
        _patch()
    return _softmax(x, axis)
