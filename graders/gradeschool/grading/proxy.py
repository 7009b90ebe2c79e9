"""The judge's side of isolation: an Implementation whose code runs in a worker process.

`IsolatedImplementation` has the interface the tests and the pytest plugin use (`get`,
attribute access, `state`, `root`, `label`), so the kit's unchanged tests run against
it. Each learner function or object is a `RemoteObject`: calling it sends the arguments
to the worker (JSON envelope + `.npy`, never pickle), waits with a deadline, and
decodes the answer. Learner code never runs in this process.

Budgets: every call has a wall-clock limit; the whole submission has a total one; the
worker has a memory and a CPU-time limit. Once a call of an exercise times out or
kills the worker, the rest of that exercise fails at once (no minutes lost per test),
and the next exercise starts with a fresh worker."""

from __future__ import annotations

import ast
import builtins
import fcntl
import inspect
import io
import itertools
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import weakref
from dataclasses import dataclass
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
from gradeschool.grading import worker as W
from gradeschool.grading.sandbox import Rlimits, Sandbox
from gradeschool.grading.sandbox_view import LIB, ROOT

DENIED = ("torch", "scipy", "jax", "jaxlib", "tensorflow", "keras", "sklearn", "gradeschool",
          "pytest", "hypothesis", "_pytest", "cupy", "numba", "autograd")
# standard-library modules that learner code may not import (NumPy itself may)
LEARNER_DENIED = ("ctypes", "_ctypes", "subprocess", "_posixsubprocess", "multiprocessing",
                  "socket", "_socket", "posix", "pty", "importlib.util", "runpy")
MAX_SOURCE = 2 * 2**20
BENCH_OPS = ("bench", "run_bench", "program", "run_program")  # answered with a tiny ack
BENCH_RUNS = ("run_bench", "run_program")  # timed: nothing sent back, nothing released first
RECORDABLE = ("call", "getattr", "getitem")  # the remote operations a speed program may hold
WARMUP = 1.0  # seconds: an untimed call in the worker before a speed measurement


@dataclass(frozen=True)
class Limits:
    call_timeout: float = 10.0      # seconds per call into learner code
    total_timeout: float = 240.0    # seconds spent in learner code, whole submission
    memory: int = 2 * 2**30         # bytes of address space of the worker
    start_timeout: float = 30.0

    def rlimits(self) -> Rlimits:
        """The sandbox's limits for a worker under these limits."""
        return Rlimits(memory=self.memory, cpu=int(self.total_timeout) + 30)


class WorkerTimeout(ImplementationError):
    status = "timeout"


class WorkerCrashed(ImplementationError):
    status = "error"


class FileRefused(ImplementationError):
    """The supervisor's intake refused the topic's file (a link, a FIFO, too large...)."""
    status = "error"


class LearnerError(Exception):
    """An exception raised by learner code that is not a plain built-in exception."""


def _learner_exception(info: dict) -> BaseException:
    """The judge-side exception for an error reported by the worker (never a SystemExit)."""
    if info.get("status") == "forbidden import":
        hit = (info.get("forbidden") or ["?"])[0]
        return ForbiddenImport(
            f"the code tried to import {hit!r} while running. Exercises may import NumPy and the "
            "Python standard library only: the tests compare your code with torch, so torch must "
            "not do the work.")
    name = str(info.get("type", "Exception"))
    message = str(info.get("message", ""))
    where = info.get("where") or ""
    text = f"{message} (at {where})" if where else message
    if info.get("builtin"):
        cls = getattr(builtins, name, None)
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, Warning):
            try:
                return cls(text)
            except Exception:  # noqa: BLE001 - constructors with special signatures
                pass
    safe = name if name.isidentifier() else "LearnerError"
    return type(safe, (LearnerError,), {})(text)


def _numpy_path() -> Path:
    return Path(np.__file__).resolve().parent


def _lib_dir(base: Path) -> Path:
    """A folder with NumPy only (symlinks), the worker's only import path beside the stdlib."""
    lib = base / "lib"
    lib.mkdir()
    numpy_dir = _numpy_path()
    (lib / "numpy").symlink_to(numpy_dir)
    libs = numpy_dir.parent / "numpy.libs"
    if libs.is_dir():
        (lib / "numpy.libs").symlink_to(libs)
    return lib


def _hideable(paths, needed: list[Path] | None = None) -> list[str]:
    """The folders to hide from the worker. A folder that holds what the worker needs (`needed`:
    Python and NumPy, say a virtual environment inside the kit, as CI makes one) is not hidden
    whole; every folder in it is, except the way to what is needed."""
    if needed is None:
        needed = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), _numpy_path()]
    out: list[str] = []

    def visit(p: Path) -> None:
        if any(n == p or n in p.parents for n in needed) or not p.is_dir():
            return
        if not any(p in n.parents for n in needed):
            out.append(str(p))
            return
        for child in sorted(p.iterdir()):
            if not child.is_symlink():
                visit(child)

    for p in paths:
        visit(Path(p).resolve())
    return out


def scrubbed_env(home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        # glibc's malloc would hand each large temporary back to the system and fault it in
        # again at the next call (3x slower NumPy between messages): keep freed memory
        "MALLOC_MMAP_THRESHOLD_": str(256 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(512 * 2**20),
    }


class Worker:
    """One worker process and its pipes."""

    def __init__(self, base: Path, sources: dict[str, str], topics: list[str], limits: Limits,
                 hide: list[str], generation: int, box: Sandbox | None = None):
        self.generation = generation
        self.limits = limits
        self.home = Path(tempfile.mkdtemp(prefix="w", dir=base))
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        lib = LIB if box is not None else str(base / "lib")
        bootstrap = (f"import sys; sys.path.append({lib!r}); "
                     f"exec(compile({Path(W.__file__).read_text(encoding='utf-8')!r}, "
                     "'gradeschool-worker', 'exec'))")
        args = ["-I", "-S", "-B", "-c", bootstrap, str(to_worker_r), str(from_worker_w)]
        popen = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, cwd=self.home)
        self.started = None
        if box is None:
            root, limited = str(self.home / "submission"), {"memory": limits.memory,
                                                            "cpu": int(limits.total_timeout) + 30}
            self.proc = subprocess.Popen([sys.executable, *args], pass_fds=(to_worker_r, from_worker_w),
                                         env=scrubbed_env(self.home), close_fds=True, **popen)
        else:  # the submission read-only from memory; the sandbox sets the limits and hides all else
            root, limited, hide = f"{ROOT}/submission", {}, []
            files = {f"{root}/{name}": text.encode("utf-8") for name, text in sources.items()}
            sources = {}
            self.started = box.start(args, files, env=scrubbed_env(Path("/tmp")),
                                     pass_fds=(to_worker_r, from_worker_w), **popen)
            self.proc = self.started.proc
        os.close(to_worker_r)
        os.close(from_worker_w)
        flags = fcntl.fcntl(self._to_worker, fcntl.F_GETFL)
        fcntl.fcntl(self._to_worker, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        config = {"root": root, "topics": topics, "denied": list(DENIED),
                  "learner_denied": list(LEARNER_DENIED), **limited, "hide": hide}
        self.exchange({"config": config, "sources": sources}, [], limits.start_timeout)
        self.sandbox = box.summary() if box is not None else \
            "none: " + str(self.last_reply.get("sandbox", ""))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._to_worker, self._from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_worker = self._from_worker = -1
        if self.started is not None:  # bwrap is gone: --die-with-parent ended the sandbox
            self.started.kill()
        shutil.rmtree(self.home, ignore_errors=True)

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("timeout")
            _, ready, _ = select.select([], [self._to_worker], [], left)
            if ready:
                try:
                    view = view[os.write(self._to_worker, view[: 1 << 20]):]
                except BlockingIOError:
                    continue

    def exchange(self, envelope: dict, arrays: list[np.ndarray], timeout: float,
                 spin: bool = False):
        """Send one request and wait for its reply; kills the worker on any trouble.
        `spin`: poll instead of sleeping (speed measurements, see the worker's spin_wait)."""
        deadline = time.monotonic() + timeout
        try:
            self._write(_encode_bytes(envelope, arrays), deadline)

            def read(fd: int, n: int) -> bytes:
                while spin and not select.select([fd], [], [], 0)[0]:
                    if time.monotonic() > deadline:
                        raise WorkerTimeout("timeout")
                    os.sched_yield()
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise WorkerTimeout("timeout")
                return os.read(fd, min(n, 1 << 20))

            reply, out = W.read_message(self._from_worker, read)
        except BaseException:
            self.kill()
            raise
        self.last_reply = reply
        return reply, out


def _encode_bytes(envelope: dict, arrays: list[np.ndarray]) -> bytes:
    body = json.dumps(envelope, allow_nan=True, separators=(",", ":")).encode("utf-8")
    parts = [W.HEADER.pack(len(body), len(arrays)), body]
    for arr in arrays:
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        data = buf.getvalue()
        parts += [W.BLOB.pack(len(data)), data]
    return b"".join(parts)


PURE_GLOBALS = {"np": np, "math": math}


def _pure_function(fn: types.FunctionType) -> dict:
    """The wire form of a judge-side function given to learner code (numerical_gradient's
    f): its source, which the worker runs in a fresh namespace holding only `np` and `math`.
    Only a plain `def` at the top level of its module qualifies: no closure, no default
    values, no decorator, and no global name but np, math and builtins."""
    refused = TypeError(f"cannot send the function {getattr(fn, '__qualname__', fn)!r} to the learner's "
                        "code: only a plain top-level `def` that uses nothing but np, math and builtins can be sent")
    if fn.__name__ != fn.__qualname__ or not fn.__name__.isidentifier() or fn.__closure__ \
            or fn.__defaults__ or fn.__kwdefaults__ or fn.__code__.co_freevars:
        raise refused
    try:
        source = inspect.getsource(fn)
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        raise refused from None
    if len(tree.body) != 1 or type(tree.body[0]) is not ast.FunctionDef:
        raise refused
    node = tree.body[0]
    if node.name != fn.__name__ or node.decorator_list:
        raise refused
    local = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for n in ast.walk(node):
        if isinstance(n, ast.Global | ast.Nonlocal | ast.Import | ast.ImportFrom):
            raise refused
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local:
            if n.id in PURE_GLOBALS:
                if fn.__globals__.get(n.id) is not PURE_GLOBALS[n.id]:
                    raise refused
            elif n.id not in vars(builtins) or n.id in fn.__globals__:
                raise refused
    return {"name": fn.__name__, "source": source}


class RemoteObject:
    """A learner function, class or object that lives in the worker."""

    __slots__ = ("_impl", "_id", "_gen", "_type", "_name", "_kind", "__weakref__")

    def __init__(self, impl: IsolatedImplementation, meta: dict, gen: int):
        object.__setattr__(self, "_impl", impl)
        object.__setattr__(self, "_id", int(meta["handle"]))
        object.__setattr__(self, "_gen", gen)
        object.__setattr__(self, "_type", str(meta.get("type", "object"))[:200])
        object.__setattr__(self, "_name", str(meta.get("name", ""))[:200])
        object.__setattr__(self, "_kind", str(meta.get("kind", "object")))

    def __repr__(self) -> str:
        what = self._name or self._type
        return f"<{self._kind} {what} of the submission>"

    def __getattr__(self, name: str) -> Any:
        if name in ("__name__", "__qualname__"):
            if self._name:
                return self._name
            raise AttributeError(name)
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._impl._rpc("getattr", target=self, name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._impl._rpc("setattr", target=self, name=name, value=value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._impl._rpc("call", target=self, args=args, kwargs=kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._impl._rpc("getitem", target=self, key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._impl._rpc("setitem", target=self, key=key, value=value)

    def __len__(self) -> int:
        n = self._impl._rpc("len", target=self)
        if type(n) is not int:
            raise TypeError("len() of a learner object is not an int")
        return n

    def __contains__(self, value: Any) -> bool:
        return bool(self._impl._rpc("contains", target=self, value=value) is True)

    def __iter__(self):
        it = self._impl._rpc("iter", target=self)
        while True:
            step = self._impl._rpc("next", target=it)
            if "next" not in step:
                return
            yield step["next"]

    def __del__(self) -> None:
        try:
            self._impl._release(self._gen, self._id)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class IsolatedImplementation:
    """The topic modules of a submission, run in a worker process (see module docstring)."""

    def __init__(self, root: str | Path, label: str | None = None,
                 catalogue: Catalogue | None = None, limits: Limits | None = None,
                 hide: list[str | Path] = (), refused: dict[str, str] | None = None,
                 sandbox: Sandbox | None = None):
        self.root = Path(root).resolve()
        self.box = sandbox  # None: the worker runs without one (only `--no-sandbox`, and kit tests)
        self._refused = dict(refused or {})  # module file -> why the intake refused it
        self.label = label or self.root.name
        self.catalogue = catalogue or load_catalogue()
        self.limits = limits or Limits()
        self._base = Path(tempfile.mkdtemp(prefix="gradeschool-judge-"))
        os.chmod(self._base, 0o700)
        _lib_dir(self._base)
        self._sources: dict[str, str] = {}
        self._static: dict[str, ImplementationError] = {}
        self._stubs: dict[str, dict[str, list[str]]] = {}
        self._defined: dict[str, set[str]] = {}
        for topic in self.catalogue.topics:
            self._scan(topic.name, topic.module)
        self._hide = _hideable([*hide, self.root])
        self._worker: Worker | None = None
        self._generation = itertools.count(1)
        self._gen = 0
        self._spent = 0.0  # seconds spent waiting for the worker: the total budget
        self._topic_errors: dict[str, ImplementationError] = {}
        self._imported: set[str] = set()
        self._broken: dict[str, ImplementationError] = {}
        self._current: str | None = None
        self._topic: str | None = None
        self._links: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._link_of: dict[int, int] = {}
        self._next_link = itertools.count(1)
        self._released: list[int] = []
        self._namespaces: dict[int, types.SimpleNamespace] = {}
        self._ns_link: dict[int, int] = {}
        self._cache: dict[str, RemoteObject] = {}
        self._recording: list | None = None
        self.sandbox = ""
        self.worker_starts = 0

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
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (UnicodeDecodeError, ValueError) as err:
            self._static[topic] = ImportFailed(f"{module} cannot be read: {err}")
            return
        except SyntaxError as err:
            self._static[topic] = ImportFailed(f"{module} line {err.lineno}: syntax error: {err.msg}")
            return
        siblings = frozenset(t.module.removesuffix(".py") for t in self.catalogue.topics)
        forbidden = find_forbidden_imports(source, siblings)
        if forbidden:
            self._static[topic] = ForbiddenImport(
                f"{module} {forbidden[0]}. Exercises may import NumPy and the Python standard "
                "library only: the tests compare your code with torch, so torch must not do the work.")
            return
        self._sources[module] = source
        self._stubs[topic] = find_stubs(source)
        self._defined[topic] = {n.name for n in tree.body
                                if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)}

    def __repr__(self) -> str:
        return f"IsolatedImplementation({self.label!r})"

    # ------------------------------------------------------------ the worker
    def _start(self) -> Worker:
        self._cache.clear()
        self._imported.clear()
        self._released.clear()
        self._gen = next(self._generation)
        self.worker_starts += 1
        topics = [t.module.removesuffix(".py") for t in self.catalogue.topics]
        try:
            worker = Worker(self._base, self._sources, topics, self.limits, self._hide, self._gen, self.box)
        except WorkerTimeout:
            raise WorkerTimeout("the worker process did not start in time") from None
        except (EOFError, W.ProtocolError, OSError) as err:
            raise WorkerCrashed(f"the worker process could not start: {err}") from None
        self.sandbox = worker.sandbox
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

    def _exchange(self, envelope: dict, arrays: list[np.ndarray], what: str, spin: bool = False):
        if self._current in self._broken:
            raise self._broken[self._current]
        left = self.limits.total_timeout - self._spent
        if left <= 0:
            raise WorkerTimeout(f"{what}: the submission used up its total time of "
                                f"{self.limits.total_timeout:g} s")
        worker = self._worker if self._worker is not None and self._worker.alive() else self._start()
        if self._released and envelope.get("op") not in ("release", *BENCH_RUNS):
            ids, self._released = self._released, []
            try:
                worker.exchange({"op": "release", "ids": ids}, [], min(left, self.limits.call_timeout))
            except BaseException:
                self._worker = None
                raise
        timeout = min(left, self.limits.call_timeout)
        began = time.monotonic()
        try:
            return worker.exchange(envelope, arrays, timeout, spin=spin)
        except WorkerTimeout:
            self._worker = None
            err = WorkerTimeout(
                f"{what} did not finish within {timeout:.3g} s and was stopped "
                "(an endless loop? a very slow Python loop?)")
            self._fail_exercise(err)
            raise err from None
        except (EOFError, W.ProtocolError, OSError) as err:
            self._worker = None
            code = worker.proc.returncode
            why = {-9: "killed (memory or time limit)", -24: "stopped by the CPU time limit"}.get(
                code, f"exit code {code}")
            crash = WorkerCrashed(
                f"the process running your code ended during {what} ({why}): os._exit, "
                f"sys.exit outside a function, a crash, or too much memory"
                if isinstance(err, EOFError) else f"{what}: the worker sent a malformed answer ({err})")
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
        if target is not None:
            envelope["target"] = self._encode(target, arrays)
        for key, value in fields.items():
            if key in ("name", "bench", "warmup", "program"):
                envelope[key] = value
            else:
                envelope[key] = self._encode(value, arrays)
        what = f"{target!r}" if target is not None else op
        if op == "call":
            what = f"calling {target._name or 'learner code'}"
        reply, out = self._exchange(envelope, arrays, what, spin=op in BENCH_RUNS)
        return self._finish(op, reply, out)

    def _finish(self, op: str, reply: dict, out: list[np.ndarray]) -> Any:
        try:
            for link, index in reply.get("updates", []):
                mine = self._links.get(link)
                new = out[index]
                if mine is not None and mine.shape == new.shape and mine.dtype == new.dtype \
                        and mine.flags.writeable:
                    np.copyto(mine, new)
            for link, attrs in reply.get("namespaces", []):
                ns = self._namespaces.get(link)
                if ns is not None:
                    values = self._decode(attrs, out)
                    ns.__dict__.clear()
                    ns.__dict__.update({str(k): v for k, v in values.items()})
            error = reply.get("error")
            if error is None:
                value = reply.get("ok") if op in BENCH_OPS else \
                    self._decode(reply.get("ok"), out)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as err:
            raise WorkerCrashed(f"the worker sent a malformed answer ({err})") from None
        if error is not None:
            raise _learner_exception(error if isinstance(error, dict) else {})
        return value

    # ------------------------------------------------------------ speed programs
    def timer(self, fn: Any, args: tuple, kwargs: dict):
        """For the speed gate (the Implementation protocol): a learner function runs in the
        worker on copies of `args` kept there (after untimed warm-up calls), so that timings
        are not of the data transfer; a judge-side closure runs as a recorded program."""
        if type(fn) is RemoteObject:
            bench = self._rpc("bench", target=fn, args=tuple(args), kwargs=dict(kwargs), warmup=WARMUP)
            return lambda: self._rpc("run_bench", bench=bench["bench"])
        return self.bench_closure(fn, args, kwargs)

    def bench_closure(self, fn: Any, args: tuple, kwargs: dict):
        """For the speed gate: a candidate that runs the judge-side
        closure `fn(*args, **kwargs)` (e.g. a forward then a backward call into learner
        code) as a program in the worker, so that timings are not of the data transfers.

        Its first call runs `fn` for real while recording its remote operations (that is
        the gate's untimed warm-up), then sends the program and its arguments once; every
        later call is one tiny message: run the program, answer with an ack. Results of
        one step that the closure gave to a later step are passed as references. Any other
        use of the results on the judge's side is not replayed (only the learner's code is
        timed). A closure that cannot be recorded this way runs as it is, transfers included."""
        state: dict[str, Any] = {}

        def run() -> None:
            if "program" in state and state["gen"] == self._gen:
                self._rpc_now("run_program", program=state["program"])
                return
            if state.get("plain"):
                fn(*args, **kwargs)
                return
            log: list = []
            self._recording = log
            try:
                fn(*args, **kwargs)
            finally:
                self._recording = None
            built = self._program(log)
            if built is None:
                state["plain"] = True
                return
            steps, arrays = built
            reply, out = self._exchange({"op": "program", "steps": steps}, arrays,
                                        "preparing a speed measurement")
            program = int(self._finish("program", reply, out)["program"])
            state.update(program=program, gen=self._gen, log=log)
            weakref.finalize(run, self._release, self._gen, program)

        return run

    def _program(self, log: list) -> tuple[list, list[np.ndarray]] | None:
        refs: dict[int, tuple[Any, list]] = {}
        steps: list[dict] = []
        arrays: list[np.ndarray] = []

        def index(value: Any, path: list, depth: int = 0) -> None:
            if depth > 8 or value is None or type(value) in (bool, int, float, str):
                return
            refs.setdefault(id(value), (value, path))
            if type(value) in (tuple, list):
                for i, v in enumerate(value):
                    index(v, [path[0], [*path[1], i]], depth + 1)
            elif type(value) is dict:
                for k, v in value.items():
                    if type(k) in (str, int):
                        index(v, [path[0], [*path[1], k]], depth + 1)

        for k, (op, target, fields, result) in enumerate(log):
            if op not in RECORDABLE or target is None or target._gen != self._gen:
                return None
            try:
                step = {"op": op, "target": self._encode(target, arrays, refs=refs)}
                for key, value in fields.items():
                    step[key] = value if key == "name" else self._encode(value, arrays, refs=refs)
            except TypeError:
                return None
            steps.append(step)
            index(result, [k, []])
        return (steps, arrays) if steps else None

    # ------------------------------------------------------------ encoding
    def _link(self, arr: np.ndarray) -> int:
        link = self._link_of.get(id(arr))
        if link is not None and self._links.get(link) is arr:
            return link
        link = next(self._next_link)
        self._links[link] = arr
        self._link_of[id(arr)] = link
        weakref.finalize(arr, self._link_of.pop, id(arr), None)
        return link

    def _encode(self, value: Any, arrays: list[np.ndarray], depth: int = 0,
                refs: dict | None = None) -> Any:
        """The wire form of `value`. `refs` (speed programs): id -> (object, [step, path]) of
        the results of earlier steps; such an object is sent as a reference to that result."""
        if depth > 50:
            raise TypeError("arguments nested too deeply")
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if refs is not None and t not in (int, float):
            known = refs.get(id(value))
            if known is not None and known[0] is value:
                return {"ref": known[1]}
        if t is types.FunctionType:
            return {"function": _pure_function(value)}
        if t is int:
            return value if abs(value) < 2**63 else {"bigint": str(value)}
        if t is float:
            return {"float": repr(value)}
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise TypeError("object arrays cannot be sent to learner code")
            arrays.append(np.ascontiguousarray(value))
            return {"array": {"index": len(arrays) - 1, "link": self._link(value)}}
        if isinstance(value, np.generic):
            arrays.append(np.asarray(value))
            return {"scalar": len(arrays) - 1}
        if t is np.dtype or isinstance(value, np.dtype):
            return {"dtype": value.str}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"type": np.dtype(value).str}
        if t is tuple:
            return {"tuple": [self._encode(v, arrays, depth + 1, refs) for v in value]}
        if t is list:
            return {"list": [self._encode(v, arrays, depth + 1, refs) for v in value]}
        if t is dict:
            return {"dict": [[self._encode(k, arrays, depth + 1, refs), self._encode(v, arrays, depth + 1, refs)]
                             for k, v in value.items()]}
        if t is RemoteObject:
            if value._gen != self._gen:
                raise WorkerCrashed("this object came from a worker process that was restarted "
                                    "(after a timeout or a crash)")
            return {"handle": value._id}
        if t is types.SimpleNamespace:
            link = self._ns_link.get(id(value))
            if link is None or self._namespaces.get(link) is not value:
                link = next(self._next_link)
                self._namespaces[link] = value
                self._ns_link[id(value)] = link
            return {"namespace": {"link": link, "attrs": self._encode(dict(vars(value)), arrays, depth + 1, refs)}}
        if t is slice:
            return {"slice": [self._encode(v, arrays, depth + 1, refs)
                              for v in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {"ellipsis": None}
        raise TypeError(f"cannot send a {t.__module__}.{t.__qualname__} to the learner's code")

    def _decode(self, value: Any, arrays: list[np.ndarray]) -> Any:
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is not dict:
            raise ValueError("malformed value")
        if "handle" in value:
            return RemoteObject(self, value, self._gen)
        if len(value) != 1:
            raise ValueError("malformed value")
        ((tag, body),) = value.items()
        if tag == "float":
            return float(body)
        if tag == "bigint":
            return int(body)
        if tag == "array":
            return arrays[body]
        if tag == "scalar":
            return arrays[body][()]
        if tag == "dtype":
            return np.dtype(str(body))
        if tag == "tuple":
            return tuple(self._decode(v, arrays) for v in body)
        if tag == "list":
            return [self._decode(v, arrays) for v in body]
        if tag == "dict":
            return {self._decode(k, arrays): self._decode(v, arrays) for k, v in body}
        if tag == "next":
            return {"next": self._decode(body, arrays)}
        if tag == "stop":
            return {}
        raise ValueError(f"unknown tag {tag!r}")

    # ------------------------------------------------------------ the Implementation interface
    def topic_modules(self) -> frozenset[str]:
        return frozenset(t.module.removesuffix(".py") for t in self.catalogue.topics)

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
            reply, _ = self._exchange({"op": "import", "topic": module.removesuffix(".py")}, [],
                                      f"importing {module}")
        except WorkerTimeout as err:
            self._topic_errors[topic] = WorkerTimeout(
                f"importing {module} did not finish in time: is there an endless loop or a long "
                f"computation at the top level of the module? ({err})")
            raise self._topic_errors[topic] from None
        except WorkerCrashed as err:
            self._topic_errors[topic] = WorkerCrashed(f"importing {module}: {err}")
            raise self._topic_errors[topic] from None
        if "error" in reply:
            info = reply["error"]
            where = f" ({info['where']})" if info.get("where") else ""
            err = _learner_exception(info)
            if isinstance(err, ImplementationError):
                self._topic_errors[topic] = type(err)(f"importing {module}: {err}")
            else:
                self._topic_errors[topic] = ImportFailed(
                    f"importing {module} failed: {info.get('type')}: {info.get('message')}{where}")
            raise self._topic_errors[topic]
        self._imported.add(topic)

    def module(self, topic: str) -> IsolatedImplementation:
        self._import(topic)
        return self

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
        module = self.catalogue.topic(exercise.topic).module
        static = self._static.get(exercise.topic)
        if static is not None:
            return ExerciseState(static.status, str(static))
        stubs = self._stubs.get(exercise.topic, {})
        try:
            self._import(exercise.topic)
            missing = self._decode_missing(exercise)
        except ImplementationError as err:
            return ExerciseState(err.status, str(err))
        for fn in exercise.functions:
            if fn in missing:
                return ExerciseState("not started", f"{module} has no `{fn}`")
            if stubs.get(fn):
                return ExerciseState("not started", f"{', '.join(stubs[fn])} still raises NotImplementedError")
        return ExerciseState("ready")

    def _decode_missing(self, exercise: Exercise) -> list[str]:
        module = self.catalogue.topic(exercise.topic).module
        reply, out = self._exchange({"op": "has", "topic": module.removesuffix(".py"),
                                     "names": list(exercise.functions)}, [], f"looking into {module}")
        if "error" in reply:
            raise ImportFailed(f"looking into {module} failed: {reply['error'].get('message')}")
        found = self._decode(reply.get("ok"), out)
        if not isinstance(found, list):
            raise WorkerCrashed("the worker sent a malformed answer")
        return [str(n) for n in found]

    def get(self, name: str) -> Any:
        owner = self.catalogue.owner_of(name)
        if owner is None:
            raise AttributeError(f"{name!r} is not an exercise function of the catalogue")
        if name in self._cache and self._cache[name]._gen == self._gen and self._worker is not None:
            return self._cache[name]
        self._import(owner.topic)
        module = self.catalogue.topic(owner.topic).module
        reply, out = self._exchange({"op": "get", "topic": module.removesuffix(".py"), "name": name},
                                    [], f"looking up {name}")
        if "error" in reply:
            raise AttributeError(f"{module} has no `{name}`")
        value = self._decode(reply.get("ok"), out)
        if isinstance(value, RemoteObject):
            self._cache[name] = value
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)
