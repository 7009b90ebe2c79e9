"""Speed measurements of isolated learner code that the code measured cannot fake
(the design: docs/speed-integrity.md; the worker's side: worker/speed.py).

`Timer` is what `IsolatedImplementation.timer` returns to a speed gate: each call is one
run of the learner's code in the worker, and `seconds` is the figure of that run, which
the gate uses instead of its own clock. Learner code owns its worker and can patch
anything there, so nothing it reports is used:

1. *Fresh inputs.* Every float array among the arguments (except those the gate keeps)
   is a slot: each timed run computes on its own input set, the arguments multiplied
   elementwise by factors in [0.99, 1] drawn from the judge's seeded generator (signs,
   zeros and bounds such as [0, 1] are kept; a cached or stale output is off by far more
   than the check's tolerance). Sets are
   sent in untimed batches before the runs that use them; each is used once. A program
   that takes under TARGET runs on several sets in a row per timed run (one message), so
   that a message's own cost does not swamp what is measured.
2. *Judge-side CPU accounting.* Between runs, and while the gate times torch, every
   process of the worker is stopped (SIGSTOP); the judge reads their CPU time from /proc
   (gradeschool.grading.cputime) before and after each run and each batch. A run's figure
   is the CPU per timed run so far, less what a bare round trip of the message costs,
   measured against a judge-owned echo process that reads and writes as the worker does
   (process.pipe_latency: a worker slow to answer on purpose gains nothing). Only where a
   process was started during a run (cputime.children_mark: a reaped child's CPU time
   shows in clock ticks only) is the run's wall time, less the round trip, a lower bound
   too: an honest run's figure does not depend on how soon a loaded machine schedules it.
   Work moved into a batch's set-up (beyond the decoding, which the judge measures
   itself), into background threads or forked processes, or done ahead for later runs,
   is charged to the runs.
3. *Commitments and verification.* After the measurement, `check()` asks for a digest of
   every run's output (wire.digest), then reveals runs picked with `secrets` (all of them
   while the torch references take under a quarter of a second) and compares each with
   the gate's `expected` result computed here from the same perturbed inputs. A revealed
   output that does not match its digest or the reference fails the gate; the CPU per
   run of the whole measurement (CPU spent after the last run beyond hashing counts:
   outputs computed after the timing) bounds the figure from below (`floor`).

Without `expected` (a gate whose result is the optimizer's state), 1 and 2 still hold and
3 checks only the commitments' cost: the figure is a CPU figure, but a run that does no
work at all is not detected. `seconds` is None where the gate's own clock is right: the
untimed first call of a closure, which is recorded (as in the worker's programs) and not
measured, and a closure that cannot be recorded, which runs as it is."""

from __future__ import annotations

import secrets
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from gradeschool.grading.errors import WorkerCrashed, learner_exception
from gradeschool.grading.process import parse_cost, pipe_latency
from gradeschool.grading.remote import RemoteObject
from gradeschool.grading.worker.wire import Op, Tag, blob_size, digest
from gradeschool.testing.speed import result_mismatch

if TYPE_CHECKING:
    from gradeschool.grading.isolated import IsolatedImplementation

SPREAD = 1e-2          # input factors are drawn from [1 - SPREAD, 1]
BATCH = 8              # input sets sent at once (fewer when they are large) ...
BATCH_BYTES = 2**20    # ... or more, up to MAX_BATCH, while a batch stays under this size
MAX_BATCH = 64
TARGET = 1e-3          # seconds of work a timed run should hold: small programs run on several
MAX_SETS_PER_RUN = 16  # sets in a row, so that the message's own cost is shared
REVEAL_SECONDS = 0.25  # torch references computed by check() beyond the first
# The CPU per run of the whole measurement (set-ups, runs and commitments, at the end) may
# exceed the best figure: on a loaded machine the CPU time of the same work drifts by 1.5x
# and more within a measurement. The figure the gate uses is at least that CPU per run /
# SLACK (`floor`): work moved to later runs or to the commitments gains at most SLACK;
# beyond REFUSE times the best figure, and STRAY CPU seconds more in all, the runs earn
# nothing. STRAY is a loaded machine's noise in a whole measurement (a small gate's 28
# runs hold 3 ms of work; its set-up messages alone measured up to 7 ms with the two cores
# busy): it spares honest code the refusal, and gains a cheat nothing, since the floor
# still charges every CPU second.
SLACK = 1.5
REFUSE = 4.0
STRAY = 0.025
# CPU seconds a worker may spend on a set-up message (a batch of inputs, the commitments)
# beyond twice what reading it costs here (HASHING times what hashing the outputs costs
# here, for the commitments: for a small program that is as much as the work, so it is
# tight): a message's own cost, about 3x a bare round trip's. Work hidden in set-ups is at
# most this, per measurement.
OVERHEAD = 2e-4
HASHING = 1.25


def _slot_arrays(args: tuple, kwargs: dict, keep) -> list[np.ndarray]:
    """The float arrays of the arguments (in lists, tuples and dicts too), but those kept."""
    found: list[np.ndarray] = []

    def walk(v: Any, depth: int = 0) -> None:
        if type(v) is np.ndarray and v.dtype.kind == "f" and all(v is not f for f in found):
            found.append(v)
        elif isinstance(v, list | tuple) and depth < 4:
            for x in v:
                walk(x, depth + 1)
        elif isinstance(v, dict) and depth < 4:
            for x in v.values():
                walk(x, depth + 1)

    for i, a in enumerate(args):
        if i not in keep:
            walk(a)
    for k, a in kwargs.items():
        if k not in keep:
            walk(a)
    return found


class Timer:
    """One speed measurement (see the module docstring). Its figures are CPU time
    (`cpu_figures`): the gate times torch in CPU time too, so that a loaded machine, which
    stretches wall times, does not shrink the ratio. Options: `expected(args, kwargs)`
    gives the reference result for a run's inputs (a tuple of positional arguments and a
    dict of keyword arguments, as `args` and `kwargs` with the slots replaced);
    `mismatch(got, want)` says what is wrong or None (default: the speed gate's
    `result_mismatch`); `keep`:
    positions and keyword names of arguments whose arrays must not be perturbed (rows
    that sum to 1, one-hot targets); `batch`: input sets sent at once."""

    cpu_figures = True

    def __init__(self, impl: IsolatedImplementation, fn: Any, args: tuple, kwargs: dict, *,
                 expected: Callable[[tuple, dict], Any] | None = None,
                 mismatch: Callable[[Any, Any], str | None] | None = None,
                 keep: tuple = (), batch: int = BATCH):
        self.impl, self.fn, self.args, self.kwargs = impl, fn, args, kwargs
        self.expected, self.mismatch = expected, mismatch or result_mismatch
        self.base = _slot_arrays(args, kwargs, set(keep))
        self.seed = secrets.randbits(64)
        size = sum(a.nbytes for a in self.base) or 1
        self.batch = max(2, min(max(batch, BATCH_BYTES // size), MAX_BATCH, impl.limits.memory // 8 // size))
        self.per_run = 1             # input sets per timed run (set by the warm-up)
        self.latency = pipe_latency()
        self.floor: float | None = None  # set by check(): the least figure the gate may use
        self.refused = False  # set by check(): its runs used far more CPU than their best figure
        self.forked = False          # a process was started during a run: wall times count too
        self.seconds: float | None = None
        self.bench: int | None = None
        self.gen = -1
        self.plain = False           # a closure that cannot be recorded: it runs as it is
        self.verifiable = True       # the program's output is the gate's result
        self.next_set = 1
        self.ready: list[int] = []   # sets sent and not used yet
        self.runs: list[int] = []    # the sets of the timed runs, in order
        self.windows: list[float] = []  # CPU seconds of each timed run, read by the judge
        self.figures: list[float] = []  # the `seconds` of each timed run
        self.charged = 0.0           # seconds of CPU charged from the batches' set-ups
        self.cpu_mark = 0
        self.decode_cost = 0.0
        self.buffers: dict[int, list] = {}  # parse_cost's, reused from batch to batch

    # ------------------------------------------------------------ inputs
    def inputs(self, index: int) -> list[np.ndarray]:
        """The slot arrays of set `index` (0: the arguments as given)."""
        if index == 0:
            return list(self.base)
        rng = np.random.default_rng([self.seed, index])
        return [(a * (1 - SPREAD * rng.random(a.shape))).astype(a.dtype) for a in self.base]

    def arguments(self, index: int) -> tuple[tuple, dict]:
        """`args` and `kwargs` of set `index`."""
        swap = {id(a): v for a, v in zip(self.base, self.inputs(index), strict=True)}

        def put(v: Any, depth: int = 0) -> Any:
            if type(v) is np.ndarray:
                return swap.get(id(v), v)
            if isinstance(v, list | tuple) and depth < 4:
                return type(v)(put(x, depth + 1) for x in v)
            if isinstance(v, dict) and depth < 4:
                return {k: put(x, depth + 1) for k, x in v.items()}
            return v

        return tuple(put(a) for a in self.args), {k: put(v) for k, v in self.kwargs.items()}

    def _sets(self, indices: list[int], arrays: list) -> list:
        return [[i, [self.impl.codec.encode(v, arrays, refs={}, slots={}) for v in self.inputs(i)]]
                for i in indices]

    # ------------------------------------------------------------ the program
    def _slots(self) -> dict:
        return {id(a): (a, j) for j, a in enumerate(self.base)}

    def _prepare_call(self) -> None:
        """A learner function: a one-step program, and the warm-up on the given arguments."""
        arrays: list = []
        slots, codec = self._slots(), self.impl.codec
        step = {"op": Op.CALL, "target": codec.encode(self.fn, arrays),
                "args": codec.encode(self.args, arrays, refs={}, slots=slots),
                "kwargs": codec.encode(self.kwargs, arrays, refs={}, slots=slots)}
        self._send_bench([step], {Tag.REF: [0, []]}, arrays, warm_up=True)

    def _record(self) -> None:
        """A judge-side closure: run it for real while recording its remote operations
        (the gate's untimed first call), then send them as a program."""
        log: list = []
        self.impl._recording = log
        try:
            result = self.fn(*self.args, **self.kwargs)
        finally:
            self.impl._recording = None
        refs: dict[int, tuple[Any, list]] = {}
        steps: list[dict] = []
        arrays: list = []
        slots, codec = self._slots(), self.impl.codec
        for k, (op, target, fields, value) in enumerate(log):
            if op not in Op.RECORDABLE or target is None or target._gen != self.impl._gen:
                self.plain = True
                return
            try:
                step = {"op": op, "target": codec.encode(target, arrays, refs=refs, slots=slots)}
                for key, v in fields.items():
                    step[key] = v if key == "name" else codec.encode(v, arrays, refs=refs, slots=slots)
            except TypeError:
                self.plain = True
                return
            steps.append(step)
            _index(value, [k, []], refs)
        if not steps:
            self.plain = True
            return
        constants = len(arrays)
        try:
            output = codec.encode(result, arrays, refs=refs, slots=slots)
        except TypeError:
            output = None
        if result is None or output is None or len(arrays) > constants:
            del arrays[constants:]  # no result, or one holding judge-side values: nothing to compare
            self.verifiable, output = False, None
        self._send_bench(steps, output, arrays, warm_up=True)

    def _send_bench(self, steps: list, output: Any, arrays: list, warm_up: bool) -> None:
        sets = self._sets([0], arrays) if warm_up else []
        sizes: dict[int, int] = {}
        for a in self.base:
            sizes[blob_size(a)] = sizes.get(blob_size(a), 0) + self.batch
        envelope = {"op": Op.BENCH, "steps": steps, "output": output, "slots": len(self.base), "sets": sets,
                    "pool": sorted(sizes.items())}
        self.bench = int(self._raw(envelope, arrays, "preparing a speed measurement"))
        self.gen = self.impl._gen
        weakref.finalize(self, self.impl._release, self.gen, self.bench)
        if warm_up:
            self._worker().pause()
            self._cpu()
            self._window([0])
            warm = max(self._cpu() - self.latency.cpu, 1e-6)
            self.per_run = max(1, min(self.batch, MAX_SETS_PER_RUN, int(TARGET / warm)))

    def _raw(self, envelope: dict, arrays: list, what: str, **options: Any) -> Any:
        """The bare `ok` of a set-up message (nothing to decode), or the learner's error."""
        reply, _ = self.impl._exchange(envelope, arrays, what, **options)
        if reply.get("error") is not None:
            raise learner_exception(reply["error"])
        return reply.get("ok")

    # ------------------------------------------------------------ runs
    def _worker(self):
        worker = self.impl._worker
        if worker is None or not worker.alive() or self.impl._gen != self.gen:
            raise WorkerCrashed("the process running your code was restarted during a speed measurement")
        return worker

    def _window(self, indices: list[int]) -> float:
        """One run of the program on each set of `indices`, with the worker running only for
        it; its wall time, less the best round trip of a message on the pipes (measured
        with a judge-owned echo)."""
        worker = self._worker()
        mark = worker.children_mark()
        worker.resume()
        clock: list[float] = []
        reply, out = self.impl._exchange({"op": Op.RUN, "bench": self.bench, "sets": indices}, [],
                                         "a timed run", spin=True, clock=clock)
        worker.pause()
        if mark is None or worker.children_mark() != mark:
            self.forked = True
        self.impl.finish(reply, out, "a timed run")
        return max(0.0, clock[0] - self.latency.wall)

    def _cpu(self) -> float:
        """CPU seconds the worker used since the last call (it is stopped when this runs)."""
        now = self._worker().cpu_ns()
        used, self.cpu_mark = max(0, now - self.cpu_mark), now
        return used / 1e9

    def _untimed(self, envelope: dict, arrays: list, what: str, **options: Any) -> tuple[Any, float]:
        """(the bare answer to a set-up message, the worker's CPU seconds for it)."""
        worker = self._worker()
        worker.pause()
        self._cpu()
        worker.resume()
        value = self._raw(envelope, arrays, what, **options)
        worker.pause()
        return value, self._cpu()

    def _send_batch(self) -> None:
        indices = list(range(self.next_set, self.next_set + self.batch))
        self.next_set += self.batch
        arrays: list = []
        sets = self._sets(indices, arrays)
        envelope = {"op": Op.INPUTS, "bench": self.bench, "sets": sets}
        self.decode_cost = parse_cost(envelope, arrays, self.buffers)  # what reading it costs, measured here
        _, setup = self._untimed(envelope, arrays, "sending a speed measurement's inputs", timeout=120.0)
        self.charged += max(0.0, setup - (2 * self.decode_cost + OVERHEAD))
        self.ready = indices

    def __call__(self) -> None:
        if self.plain:
            self.seconds = None
            self.fn(*self.args, **self.kwargs)
            return
        if self.bench is None:
            self.seconds = None
            if type(self.fn) is RemoteObject:
                self._prepare_call()
            else:
                self._record()
                if self.plain:
                    return
            return
        if self.gen != self.impl._gen:
            raise WorkerCrashed("the worker was restarted during a speed measurement")
        if len(self.ready) < self.per_run:
            self._send_batch()
        indices, self.ready = self.ready[:self.per_run], self.ready[self.per_run:]
        wall = self._window(indices) / len(indices)
        cpu = max(0.0, self._cpu() - self.latency.cpu) / len(indices)
        self.windows += [cpu] * len(indices)
        self.runs += indices
        per_run = (self.charged + sum(self.windows)) / len(self.windows)
        self.seconds = max(wall, per_run) if self.forked else per_run
        self.figures.append(self.seconds)

    # ------------------------------------------------------------ after the measurement
    def check(self) -> str | None:
        """Why the timed runs cannot be credited, or None (see the module docstring)."""
        if self.plain or not self.runs:
            return None
        committed, after = self._untimed({"op": Op.COMMIT, "bench": self.bench}, [], "a speed check")
        digests = {int(i): str(d) for i, d in committed} if isinstance(committed, list) else {}
        missing = [i for i in self.runs if i not in digests]
        if missing:
            return "its timed runs left no output"
        hashing, problem = self._reveal(digests)
        if problem:
            return problem
        late = max(0.0, after - (HASHING * hashing * len(self.runs) + OVERHEAD))
        per_run = (self.charged + sum(self.windows) + late) / len(self.windows)
        best = min(self.figures)
        self.floor = per_run / SLACK
        if per_run > REFUSE * best + (OVERHEAD + STRAY) / len(self.windows):
            self.refused = True
            return (f"its timed runs used {per_run * 1e3:.3g} ms of CPU time each (measured by the judge, "
                    f"all its processes counted), more than their best figure of {best * 1e3:.3g} ms: "
                    "work was moved out of the runs it belongs to (done later, in the background or "
                    "after the timing)")
        return None

    def _reveal(self, digests: dict[int, str]) -> tuple[float, str | None]:
        """(seconds of hashing one run's output here, the least of those revealed; why a
        revealed run fails, or None)."""
        order = list(self.runs)
        secrets.SystemRandom().shuffle(order)
        hashing, started = float("inf"), time.monotonic()
        for n, index in enumerate(order):
            if n and (not self.expected or time.monotonic() - started > REVEAL_SECONDS):
                break
            reply, out = self.impl._exchange({"op": Op.REVEAL, "bench": self.bench, "runs": [index]}, [],
                                             "a speed check")
            (got,) = self.impl.finish(reply, out, "a speed check")
            began = time.thread_time()
            try:
                mine = digest(got)
            except TypeError:
                return 0.0, "a timed run gave something that is not an array or a number"
            hashing = min(hashing, time.thread_time() - began)
            if digests[index].startswith("cannot") or mine != digests[index]:
                return hashing, "the output of a timed run changed after the timing: it was not done then"
            if self.expected is None or not self.verifiable:
                continue
            want = self.expected(*self.arguments(index))
            wrong = self.mismatch(got, want)
            if wrong:
                return hashing, (f"the result of a timed run (on the gate's inputs times factors in "
                                 f"[{1 - SPREAD:g}, 1]) is wrong: {wrong}. Timed code must do the work it is timed on")
        return hashing, None


def _index(value: Any, path: list, refs: dict, depth: int = 0) -> None:
    """Register `value` (a step's result) and its parts as references for later steps."""
    if depth > 8 or value is None or type(value) in (bool, int, float, str):
        return
    refs.setdefault(id(value), (value, path))
    if type(value) in (tuple, list):
        for i, v in enumerate(value):
            _index(v, [path[0], [*path[1], i]], refs, depth + 1)
    elif type(value) is dict:
        for k, v in value.items():
            if type(k) in (str, int):
                _index(v, [path[0], [*path[1], k]], refs, depth + 1)

