"""The worker's side of a speed measurement (the judge's side, and why it cannot be faked
by the code measured here, is gradeschool.grading.timing).

A bench is a program (one learner call, or the steps a test's closure made: forward, then
backward on its cache) whose input arrays are slots. The judge sends the program with the
warm-up inputs (set 0), then batches of fresh input sets; each timed `run` computes the
program on one set, keeps its output and answers with a bare ack. `commit` answers the
SHA-256 digest of every run's output (wire.digest), `reveal` sends the outputs the judge
picks. Only the warm-up run (set 0) watches for warnings: a timed run does nothing but
the program."""

from __future__ import annotations

import numpy as np

from .values import Ref, Slot, Values
from .wire import Op, ProtocolError


class Pool:
    """Buffers for the arrays of input sets, filled once when a bench is prepared and given
    again to the next batch once a set is used: receiving a batch costs an honest worker
    the copy from the pipe and nothing else (no fresh memory to fault in), so the judge's
    allowance for it can be tight."""

    def __init__(self):
        self.free: dict[int, list] = {}

    def take(self, n: int) -> np.ndarray:
        found = self.free.get(n)
        return found.pop() if found else np.empty(n, dtype=np.uint8)

    def give(self, buf: np.ndarray) -> None:
        self.free.setdefault(len(buf), []).append(buf)

    def fill(self, sizes: list) -> None:
        for n, count in sizes:
            for _ in range(min(int(count), 4096)):
                buf = np.empty(int(n), dtype=np.uint8)
                buf.fill(0)  # faulted in now, not when a batch arrives
                self.give(buf)


def _buffer(arr):
    while isinstance(arr, np.ndarray) and arr.base is not None:
        arr = arr.base
    return arr if isinstance(arr, np.ndarray) and arr.dtype == np.uint8 and arr.ndim == 1 else None


class Bench:
    def __init__(self, steps: list, output, slots: int, pool: Pool):
        self.steps, self.output, self.slots, self.pool = steps, output, slots, pool
        self.sets: dict[int, list] = {}
        self.outputs: dict[int, object] = {}

    def inputs(self, index: int, values: list) -> None:
        if len(values) != self.slots:
            raise ProtocolError("an input set does not fill the program's slots")
        self.sets[index] = values

    def run(self, index: int) -> None:
        values = self.sets.pop(index)  # each set is used once
        try:
            self._run(index, values)
        finally:
            self._recycle(values, self.outputs.get(index))

    def _recycle(self, values: list, output) -> None:
        kept = [o for o in (output if isinstance(output, tuple | list) else [output]) if isinstance(o, np.ndarray)]
        for v in values:
            buf = _buffer(v)
            if buf is not None and not any(np.may_share_memory(buf, o) for o in kept):
                self.pool.give(buf)

    def _run(self, index: int, values: list) -> None:
        results: list = []
        for step in self.steps:
            target = _resolve(step["target"], results, values)
            if step["op"] == Op.CALL:
                results.append(target(*_resolve(step["args"], results, values),
                                      **_resolve(step["kwargs"], results, values)))
            elif step["op"] == Op.GETATTR:
                results.append(getattr(target, step["name"]))
            elif step["op"] == Op.GETITEM:
                results.append(target[_resolve(step["key"], results, values)])
            elif step["op"] == Op.SETATTR:
                results.append(setattr(target, step["name"], _resolve(step["value"], results, values)))
            else:
                target[_resolve(step["key"], results, values)] = _resolve(step["value"], results, values)
                results.append(None)
        self.outputs[index] = _resolve(self.output, results, values)


def _resolve(value, results: list, values: list):
    """A program step's argument with references and slots filled in."""
    t = type(value)
    if t is Ref:
        out = results[value.step]
        for key in value.path:
            out = out[key]
        return out
    if t is Slot:
        return values[value.index]
    if t is tuple:
        return tuple(_resolve(v, results, values) for v in value)
    if t is list:
        return [_resolve(v, results, values) for v in value]
    if t is dict:
        return {k: _resolve(v, results, values) for k, v in value.items()}
    return value


def prepare(values: Values, req: dict, arrays: list, pool: Pool) -> Bench:
    steps = []
    for step in req["steps"]:
        if step.get("op") not in Op.RECORDABLE:
            raise ProtocolError("unknown program step")
        steps.append({"op": step["op"], "name": str(step.get("name", "")),
                      **{k: values.decode(step[k], arrays, program=True)
                         for k in ("target", "args", "kwargs", "key", "value") if k in step}})
    output = values.decode(req["output"], arrays, program=True)
    pool.fill(req.get("pool", []))
    return Bench(steps, output, int(req["slots"]), pool)


def decode_sets(values: Values, req: dict, arrays: list) -> list[tuple[int, list]]:
    return [(int(i), [values.decode(v, arrays, program=True) for v in slot_values])
            for i, slot_values in req["sets"]]
