"""`IsolatedImplementation`: the Implementation (gradeschool.core.implementation) whose
learner code runs in a worker process, in the bubblewrap sandbox by default.

The kit's unchanged tests run against it: `get` (and attribute access) gives a
`RemoteObject` whose calls are sent to the worker (gradeschool.grading.remote), `state`
says whether an exercise can be tested, `timer` gives speed gates a measurement that the
code measured cannot fake (gradeschool.grading.timing). Learner code never runs in this
process, and nothing the worker says is trusted: replies are size-capped, error text is
clipped, exception types are the judge's own.

Budgets: every call has a wall-clock limit; the whole submission has a total one; the
worker has a memory and a CPU-time limit. Once a call of an exercise times out or kills
the worker, the rest of that exercise fails at once (no minutes lost per test), and the
next exercise starts with a fresh worker. A worker (or sandbox) that cannot be started is
recorded in `disturbed`: the report says the grading was disturbed."""

from __future__ import annotations

import ast
import itertools
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue
from gradeschool.core.implementation import (
    ExerciseState,
    ForbiddenImport,
    ImplementationError,
    ImportFailed,
    MissingModule,
)
from gradeschool.core.scan import find_forbidden_imports, find_stubs
from gradeschool.grading.errors import (
    FileRefused,
    WorkerCrashed,
    WorkerStartFailed,
    WorkerTimeout,
    import_error,
    learner_exception,
)
from gradeschool.grading.process import Limits, WorkerProcess
from gradeschool.grading.remote import Codec, RemoteObject
from gradeschool.grading.sandbox import Sandbox
from gradeschool.grading.worker.wire import MAX_MESSAGE, ProtocolError, clip

DENIED = ("torch", "scipy", "jax", "jaxlib", "tensorflow", "keras", "sklearn", "gradeschool",
          "pytest", "hypothesis", "_pytest", "cupy", "numba", "autograd")
# standard-library modules that learner code may not import (NumPy itself may)
LEARNER_DENIED = ("ctypes", "_ctypes", "subprocess", "_posixsubprocess", "multiprocessing",
                  "socket", "_socket", "posix", "pty", "importlib.util", "runpy")
MAX_SOURCE = 2 * 2**20
NO_SANDBOX = {"tool": "none", "isolation": "a worker process of the grading user, unconfined (--no-sandbox)"}


class IsolatedImplementation:
    """The topic modules of a submission, run in a worker process (see the module docstring).
    `sandbox`: a Sandbox, True (make one here; SandboxUnavailable when none can be made) or
    False (no sandbox: `--no-sandbox`, and the kit's own tests of the wire)."""

    def __init__(self, root: str | Path, label: str | None = None,
                 catalogue: Catalogue | None = None, limits: Limits | None = None,
                 refused: dict[str, str] | None = None, sandbox: Sandbox | bool = True):
        if sandbox is True:
            from gradeschool.grading.sandbox import make

            sandbox = make((limits or Limits()).rlimits())
        self.box: Sandbox | None = sandbox or None
        self.root = Path(root).resolve()
        self._refused = dict(refused or {})  # module file -> why the intake refused it
        self.label = label or self.root.name
        self.catalogue = catalogue or load_catalogue()
        self.limits = limits or Limits()
        self._base = Path(tempfile.mkdtemp(prefix="gradeschool-judge-"))
        os.chmod(self._base, 0o700)
        self._sources: dict[str, bytes] = {}
        self._static: dict[str, ImplementationError] = {}
        self._stubs: dict[str, dict[str, list[str]]] = {}
        for topic in self.catalogue.topics:
            self._scan(topic.name, topic.module)
        self._worker: WorkerProcess | None = None
        self._generation = itertools.count(1)
        self._gen = 0
        self._spent = 0.0  # seconds spent waiting for the worker: the total budget
        self._topic_errors: dict[str, ImplementationError] = {}
        self._imported: set[str] = set()
        self._broken: dict[str, ImplementationError] = {}
        self._current: str | None = None
        self._topic: str | None = None
        self._released: list[int] = []
        self._cache: dict[str, RemoteObject] = {}
        self._recording: list | None = None
        self.codec = Codec(self)
        self.sandbox = self.box.describe() if self.box is not None else dict(NO_SANDBOX)
        self.worker_starts = 0
        self.disturbed: list[str] = []

    # ------------------------------------------------------------ static view of the files
    def _scan(self, topic: str, module: str) -> None:
        path = self.root / module
        if module in self._refused:
            self._static[topic] = FileRefused(self._refused[module])
            return
        if not path.is_file():
            self._static[topic] = MissingModule(f"there is no {module} in the submission")
            return
        if path.stat().st_size > MAX_SOURCE:
            self._static[topic] = ImportFailed(f"{module} is larger than {MAX_SOURCE} bytes")
            return
        try:
            data = path.read_bytes()
            source = data.decode("utf-8")
            ast.parse(source)
        except (UnicodeDecodeError, ValueError) as err:
            self._static[topic] = ImportFailed(f"{module} cannot be read: {clip(err, 300)}")
            return
        except SyntaxError as err:
            self._static[topic] = ImportFailed(f"{module} line {err.lineno}: syntax error: {clip(err.msg, 300)}")
            return
        forbidden = find_forbidden_imports(source, frozenset(self.catalogue.module_names()))
        if forbidden:
            self._static[topic] = ForbiddenImport(
                f"{module} {clip(forbidden[0], 300)}. Exercises may import NumPy and the Python standard "
                "library only: the tests compare your code with torch, so torch must not do the work.")
            return
        self._sources[module] = data
        self._stubs[topic] = find_stubs(source)

    def __repr__(self) -> str:
        return f"IsolatedImplementation({self.label!r})"

    def topic_modules(self) -> frozenset[str]:
        return frozenset(self.catalogue.module_names())

    # ------------------------------------------------------------ the worker
    def _config(self) -> dict:
        unavailable = {self.catalogue.topic(t).stem: {"status": err.status, "message": str(err)}
                       for t, err in self._static.items()}
        return {"topics": self.catalogue.module_names(), "denied": list(DENIED),
                "learner_denied": list(LEARNER_DENIED), "unavailable": unavailable}

    def _start(self) -> WorkerProcess:
        self._cache.clear()
        self._imported.clear()
        self._released.clear()
        self._gen = next(self._generation)
        self.worker_starts += 1
        try:
            worker = WorkerProcess(self._base, self._config(), self._sources, self.limits, self.box)
        except WorkerStartFailed as err:
            self.disturbed.append(str(err))
            raise
        self._worker = worker
        return worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
        shutil.rmtree(self._base, ignore_errors=True)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def _release(self, gen: int, hid: int) -> None:
        if gen == self._gen:
            self._released.append(hid)

    def worker(self) -> WorkerProcess:
        """The running worker, started when there is none (timing.py's runs use it directly)."""
        if self._worker is None or not self._worker.alive():
            return self._start()
        return self._worker

    def _exchange(self, envelope: dict, arrays: list, what: str, spin: bool = False,
                  timeout: float | None = None, clock: list | None = None):
        """One request and its reply, within the budgets; `clock` gets the seconds the
        exchange itself took (a timed run's wall time)."""
        if self._current in self._broken:
            raise self._broken[self._current]
        left = self.limits.total_timeout - self._spent
        if left <= 0:
            raise WorkerTimeout(f"{what}: the submission used up its total time of "
                                f"{self.limits.total_timeout:g} s")
        worker = self.worker()
        if self._released and envelope.get("op") not in ("release", "run"):
            ids, self._released = self._released, []
            try:
                worker.exchange({"op": "release", "ids": ids}, [], min(left, self.limits.call_timeout))
            except BaseException:
                self._worker = None
                raise
        timeout = min(left, timeout or self.limits.call_timeout)
        began = time.monotonic()
        try:
            start = time.perf_counter()
            answer = worker.exchange(envelope, arrays, timeout, spin=spin)
            if clock is not None:
                clock.append(time.perf_counter() - start)
            return answer
        except WorkerTimeout:
            self._worker = None
            err = WorkerTimeout(f"{what} did not finish within {timeout:.3g} s and was stopped "
                                "(an endless loop? a very slow Python loop?)")
            self._fail_exercise(err)
            raise err from None
        except (EOFError, ProtocolError, OSError) as err:
            self._worker = None
            code = worker.proc.returncode
            why = {-9: "killed (memory or time limit)", -24: "stopped by the CPU time limit"}.get(
                code, f"exit code {code}")
            crash = WorkerCrashed(
                f"the process running your code ended during {what} ({why}): os._exit, sys.exit "
                "outside a function, a crash, or too much memory" if isinstance(err, EOFError) else
                f"{what}: the process running your code sent an answer that is malformed or over "
                f"the size limits ({clip(err, 300)})")
            self._fail_exercise(crash)
            raise crash from None
        except BaseException:
            self._worker = None  # interrupted (speed-gate budget, ^C): a fresh worker next time
            raise
        finally:
            self._spent += time.monotonic() - began

    def _fail_exercise(self, err: ImplementationError) -> None:
        if self._current is not None:
            self._broken[self._current] = err

    def _rpc(self, op: str, target: RemoteObject | None = None, **fields: Any) -> Any:
        recording = self._recording
        self._recording = None  # (the encoding below makes no remote calls; be safe anyway)
        try:
            value = self._rpc_now(op, target, **fields)
        finally:
            self._recording = recording
        if recording is not None:
            recording.append((op, target, fields, value))
        return value

    def _rpc_now(self, op: str, target: RemoteObject | None = None, **fields: Any) -> Any:
        arrays: list[np.ndarray] = []
        envelope: dict[str, Any] = {"op": op}
        writes = target is not None and target._writes
        if target is not None:
            envelope["target"] = self.codec.encode(target, arrays)
        for key, value in fields.items():
            envelope[key] = value if key == "name" else self.codec.encode(value, arrays, back=writes)
        what = f"{target!r}" if target is not None else op
        if op == "call":
            what = f"calling {target._name or 'learner code'}"
        reply, out = self._exchange(envelope, arrays, what)
        return self.finish(reply, out, what, writes)

    def finish(self, reply: dict, out: list, what: str, writes: bool = False) -> Any:
        """The value of a reply, after its in-place updates and warnings; raises the judge's
        exception for an error."""
        try:
            error = reply.get("error")
            self.codec.apply_changes(reply, out, what, writes)
            self.raise_warnings(reply.get("warnings", []))
            if error is None:
                value = self.codec.decode(reply.get("ok"), out, writes)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as err:
            raise WorkerCrashed(f"the worker sent a malformed answer ({clip(err, 200)})") from None
        if error is not None:
            raise learner_exception(error)
        return value

    def raise_warnings(self, caught: list) -> None:
        """Warnings of learner code (NumPy's overflow, invalid value, divide by zero) raised
        again here, attributed to the submission's file and line, so that the test fails
        exactly as it does in-process (gradeschool.testing.fpwarnings)."""
        modules = {t.module for t in self.catalogue.topics}
        for w in caught[:3]:
            name = str(w.get("file", ""))
            if name in modules and type(w.get("line")) is int:
                warnings.warn_explicit(clip(w.get("message", ""), MAX_MESSAGE), RuntimeWarning,
                                       str(self.root / name), w["line"])

    # ------------------------------------------------------------ the Implementation protocol
    def timer(self, fn: Any, args: tuple, kwargs: dict, **options: Any):
        """For the speed gate (the Implementation protocol): gradeschool.grading.timing."""
        from gradeschool.grading.timing import Timer

        return Timer(self, fn, tuple(args), dict(kwargs), **options)

    def _import(self, topic: str) -> None:
        if self._current in self._broken:
            raise self._broken[self._current]
        if topic in self._static:
            raise self._static[topic]
        if topic in self._topic_errors:
            raise self._topic_errors[topic]
        if topic in self._imported and self._worker is not None and self._worker.alive():
            return
        module = self.catalogue.topic(topic).module
        try:
            reply, _ = self._exchange({"op": "import", "topic": self.catalogue.topic(topic).stem}, [],
                                      f"importing {module}")
        except WorkerTimeout as err:
            self._topic_errors[topic] = WorkerTimeout(
                f"importing {module} did not finish in time: is there an endless loop or a long "
                f"computation at the top level of the module? ({err})")
            raise self._topic_errors[topic] from None
        except WorkerStartFailed:
            raise
        except WorkerCrashed as err:
            self._topic_errors[topic] = WorkerCrashed(f"importing {module}: {err}")
            raise self._topic_errors[topic] from None
        if "error" in reply:
            self._topic_errors[topic] = import_error(module, reply["error"])
            raise self._topic_errors[topic]
        self._imported.add(topic)

    def state(self, exercise: Exercise) -> ExerciseState:
        if exercise.name != self._current:
            self._current = exercise.name
            if exercise.topic != self._topic and self._worker is not None:
                self._worker.kill()  # a fresh worker per topic: no state piles up across topics
                self._worker = None
            self._topic = exercise.topic
        if exercise.name in self._broken:
            err = self._broken[exercise.name]
            return ExerciseState(err.status, str(err))
        static = self._static.get(exercise.topic)
        if static is not None:
            return ExerciseState(static.status, str(static))
        stubs = self._stubs.get(exercise.topic, {})
        module = self.catalogue.topic(exercise.topic).module
        try:
            self._import(exercise.topic)
            missing = self._missing(exercise)
        except ImplementationError as err:
            return ExerciseState(err.status, str(err))
        for fn in exercise.functions:
            if fn in missing:
                return ExerciseState("not started", f"{module} has no `{fn}`")
            if stubs.get(fn):
                return ExerciseState("not started", f"{', '.join(stubs[fn])} still raises NotImplementedError")
        return ExerciseState("ready")

    def _missing(self, exercise: Exercise) -> list[str]:
        topic = self.catalogue.topic(exercise.topic)
        reply, out = self._exchange({"op": "has", "topic": topic.stem, "names": list(exercise.functions)},
                                    [], f"looking into {topic.module}")
        if "error" in reply:
            raise import_error(topic.module, reply["error"])
        found = self.codec.decode(reply.get("ok"), out)
        if not isinstance(found, list):
            raise WorkerCrashed("the worker sent a malformed answer")
        return [clip(n, 200) for n in found]

    def scratch_folder(self, tmp_path: Path) -> str:
        """A fresh folder in the worker's private /tmp (the judge's `tmp_path` is not there)."""
        return self._scratch_answer({"op": "scratch"}, "making a folder for files", str)

    def list_folder(self, folder: str) -> list[str]:
        """The file names in a scratch folder, as the worker sees them (learner code runs
        there, so this is what it says, like any value it returns: tests check it)."""
        names = self._scratch_answer({"op": "listdir", "path": folder}, f"listing {folder}", list)
        return [clip(n, 200) for n in names if isinstance(n, str)]

    def _scratch_answer(self, envelope: dict, what: str, kind: type) -> Any:
        reply, out = self._exchange(envelope, [], what)
        if "error" in reply:
            raise learner_exception(reply["error"])
        value = self.codec.decode(reply.get("ok"), out)
        if not isinstance(value, kind):
            raise WorkerCrashed("the worker sent a malformed answer")
        return value

    def get(self, name: str) -> Any:
        owner = self.catalogue.owner_of(name)
        if owner is None:
            raise AttributeError(f"{name!r} is not an exercise function of the catalogue")
        if name in self._cache and self._cache[name]._gen == self._gen and self._worker is not None:
            return self._cache[name]
        self._import(owner.topic)
        topic = self.catalogue.topic(owner.topic)
        reply, out = self._exchange({"op": "get", "topic": topic.stem, "name": name}, [], f"looking up {name}")
        if "error" in reply:
            raise AttributeError(f"{topic.module} has no `{name}`")
        value = self.codec.decode(reply.get("ok"), out, writes=owner.updates_in_place)
        if isinstance(value, RemoteObject):
            self._cache[name] = value
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)
