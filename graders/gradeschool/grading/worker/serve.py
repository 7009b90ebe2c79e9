"""The worker's loop: read a request, do it with the learner's code, answer.

Started by the judge as `python -I -S -B -c BOOT <read fd> <write fd>` (in the sandbox,
or in a private folder with --no-sandbox); the first message is the configuration (the
folder of the submission's modules, the topic names, the guards' lists, the topics the
judge refused). Stdout and stderr lead nowhere: everything goes through the two pipes.

Any exception of learner code (SystemExit too) ends only the request that raised it; its
reply describes it (type, clipped message, the learner's line), with the warnings it
raised. Nothing in a reply is trusted by the judge."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
import warnings

from . import speed
from .guards import ForbiddenImportError, Guards, UnavailableTopic
from .values import Values
from .wire import (
    MAX_LINE,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_WARNINGS,
    REQUEST_CAPS,
    Op,
    Tag,
    clip,
    digest,
    read_message,
    write_message,
)

MAX_FILES = 1000  # file names a scratch folder's listing gives


class Worker:
    def __init__(self, read_fd: int, write_fd: int, config: dict):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.root = config["root"]
        self.guards = Guards(config["topics"], config["denied"], config["learner_denied"],
                             config.get("unavailable", {}))
        self.values = Values()
        self.benches: dict[int, speed.Bench] = {}
        self.pool = speed.Pool()
        self.scratch: set[str] = set()

    # ------------------------------------------------------------ describing problems
    def where(self, err: BaseException) -> str:
        found = ""
        for frame in traceback.extract_tb(err.__traceback__):
            if os.path.dirname(os.path.abspath(frame.filename)) == self.root:
                found = f"{clip(os.path.basename(frame.filename), MAX_NAME)} line {frame.lineno}: " \
                        f"{clip((frame.line or '').strip(), MAX_LINE)}"
        return found

    def describe(self, err: BaseException, before: int) -> dict:
        status = "forbidden import" if len(self.guards.hits) > before or \
            isinstance(err, ForbiddenImportError) else "error"
        if isinstance(err, UnavailableTopic):
            status = err.status
        try:
            message = str(err)
        except BaseException:  # noqa: BLE001 - a learner's exception may break str()
            message = "<unprintable>"
        if isinstance(err, SystemExit):
            message = f"the code called sys.exit({clip(message, 100)})"
        cls = type(err)
        return {"type": clip(cls.__name__, MAX_NAME), "builtin": cls.__module__ == "builtins",
                "message": clip(message, MAX_MESSAGE), "where": self.where(err), "status": status,
                "forbidden": [clip(h, MAX_NAME) for h in self.guards.hits[before:][:1]]}

    def learner_warnings(self, caught: list) -> list:
        """RuntimeWarnings (NumPy's overflow, invalid value, divide by zero) that learner
        code raised: message, file and line, for the judge to raise again there."""
        out = []
        for w in caught:
            if issubclass(w.category, RuntimeWarning) and \
                    os.path.dirname(os.path.abspath(str(w.filename))) == self.root:
                out.append({"message": clip(w.message, MAX_MESSAGE),
                            "file": clip(os.path.basename(w.filename), MAX_NAME), "line": int(w.lineno)})
        return out[:MAX_WARNINGS]

    # ------------------------------------------------------------ operations
    def handle(self, op: str, req: dict, arrays: list):
        v = self.values
        if op == Op.PING:
            return "pong"
        if op == Op.IMPORT:
            self.guards.load(req["topic"])
            return None
        if op == Op.GET:
            return getattr(self.guards.load(req["topic"]), req["name"])
        if op == Op.HAS:
            module = self.guards.load(req["topic"])
            return [n for n in req["names"] if not hasattr(module, n)]
        if op == Op.SCRATCH:
            folder = tempfile.mkdtemp(prefix="scratch-")
            self.scratch.add(folder)
            return folder
        if op == Op.LISTDIR:
            if req["path"] not in self.scratch:
                raise ValueError("not a scratch folder of this worker")
            return sorted(os.listdir(req["path"]))[:MAX_FILES]
        if op == Op.RELEASE:
            for hid in req["ids"]:
                v.objects.pop(hid, None)
                self.benches.pop(hid, None)
            return None
        if op in Op.SPEED:
            return self.speed(op, req, arrays)
        target = v.decode(req["target"], arrays) if "target" in req else None
        if op == Op.CALL:
            return target(*v.decode(req["args"], arrays), **v.decode(req["kwargs"], arrays))
        if op == Op.GETATTR:
            return getattr(target, req["name"])
        if op == Op.SETATTR:
            setattr(target, req["name"], v.decode(req["value"], arrays))
            return None
        if op == Op.GETITEM:
            return target[v.decode(req["key"], arrays)]
        if op == Op.SETITEM:
            target[v.decode(req["key"], arrays)] = v.decode(req["value"], arrays)
            return None
        if op == Op.LEN:
            return len(target)
        if op == Op.ITER:
            return iter(target)
        if op == Op.NEXT:
            try:
                return {Tag.NEXT: next(target)}
            except StopIteration:
                return {Tag.STOP: True}
        if op == Op.CONTAINS:
            return v.decode(req["value"], arrays) in target
        raise ValueError(f"unknown operation {clip(op, 40)!r}")

    def speed(self, op: str, req: dict, arrays: list):
        if op == Op.BENCH:
            bench = speed.prepare(self.values, req, arrays, self.pool)
            hid = self.values.new_id()
            self.benches[hid] = bench
            for index, values in speed.decode_sets(self.values, req, arrays):
                bench.inputs(index, values)
            return hid
        bench = self.benches[req["bench"]]
        if op == Op.INPUTS:
            for index, values in speed.decode_sets(self.values, req, arrays):
                bench.inputs(index, values)
            return None
        if op == Op.COMMIT:
            committed = []
            for index, output in sorted(bench.outputs.items()):
                try:
                    committed.append([index, digest(output)])
                except TypeError as err:
                    committed.append([index, f"cannot commit: {clip(err, 200)}"])
            return committed
        if op == Op.REVEAL:
            return [bench.outputs[i] for i in req["runs"]]
        raise ValueError(f"unknown operation {clip(op, 40)!r}")

    # ------------------------------------------------------------ the loop
    def run(self, req: dict) -> dict:
        """A timed run of a bench: the program on each of its input sets in turn, nothing
        else, and a bare ack. The warm-up run (set 0 alone, untimed) reports the warnings
        learner code raised; a timed run watches nothing."""
        before = len(self.guards.hits)
        bench = self.benches.get(req.get("bench"))
        try:
            sets = req.get("sets")
            if bench is None or not isinstance(sets, list) or not sets or len(sets) > 1024:
                raise LookupError("no such bench, or no input sets to run")
            if sets != [0]:
                for index in sets:
                    bench.run(index)
                return {"ok": None}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                bench.run(0)
            return {"ok": None, "warnings": self.learner_warnings(caught)}
        except BaseException as err:  # noqa: BLE001
            return {"error": self.describe(err, before)}

    def answer(self, req: dict, arrays: list) -> tuple[dict, list]:
        op = req.get("op")
        if op == Op.RUN:
            return self.run(req), []
        before = len(self.guards.hits)
        if op in (Op.BENCH, Op.INPUTS, Op.COMMIT):  # set-up of a measurement: bare answers, no more
            try:
                return {"ok": self.handle(op, req, arrays)}, []
            except BaseException as err:  # noqa: BLE001
                return {"error": self.describe(err, before)}, []
        out: list = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = self.handle(op, req, arrays)
                if op == Op.NEXT and Tag.NEXT in value:
                    reply = {"ok": {Tag.NEXT: self.values.encode(value[Tag.NEXT], out)}}
                else:
                    reply = {"ok": self.values.encode(value, out)}
                if len(self.guards.hits) > before:
                    raise ForbiddenImportError(f"tried to import {self.guards.hits[before]!r}")
            except BaseException as err:  # noqa: BLE001 - sys.exit and the like end only this call
                out = []
                reply = {"error": self.describe(err, before)}
            try:
                reply.update(self.values.changes(out))
            except BaseException as err:  # noqa: BLE001 - a learner's object may break comparisons
                out = []
                reply = {"error": self.describe(err, before)}
        reply["warnings"] = self.learner_warnings(caught)
        return reply, out

    def allocator(self, envelope: dict):
        """Input sets are read into the pool's buffers; other messages into new ones."""
        return self.pool.take if envelope.get("op") == Op.INPUTS else None

    def serve(self) -> None:
        while True:
            try:
                req, arrays = read_message(self.read_fd, REQUEST_CAPS, alloc_for=self.allocator)
            except EOFError:
                return
            reply, out = self.answer(req, arrays)
            del arrays
            try:
                write_message(self.write_fd, reply, out)
            except (BrokenPipeError, OSError):
                return
            except BaseException as err:  # noqa: BLE001 - e.g. an unencodable value
                write_message(self.write_fd, {"error": self.describe(err, len(self.guards.hits))}, [])


def echo(read_fd: int, write_fd: int) -> None:
    """A bare `ok` for every request: the judge's own measure of a round trip on the pipes
    (gradeschool.grading.process.pipe_latency), never learner code."""
    while True:
        try:
            read_message(read_fd, REQUEST_CAPS)
        except EOFError:
            return
        write_message(write_fd, {"ok": None}, [])


def main() -> None:
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    envelope, _ = read_message(read_fd, REQUEST_CAPS)
    config = envelope["config"]
    worker = Worker(read_fd, write_fd, config)
    worker.guards.install()
    os.chdir(config["root"])
    sys.path.append(config["root"])
    sys.argv = [""]
    write_message(write_fd, {"ready": True}, [])
    worker.serve()
