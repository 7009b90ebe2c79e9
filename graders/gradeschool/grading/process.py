"""One worker process, judge side: started in the bubblewrap sandbox (or, with
--no-sandbox, as a plain process in a private folder), a request exchanged for a reply
within a deadline and the reply caps, every process inside stopped and continued around
speed measurements, its CPU time read from /proc, and killed.

The worker's files (gradeschool.grading.worker) and the submission's modules are handed
over as bytes: bound read-only from memory into the sandbox, or written into the private
folder without one. Nothing of the kit's path is visible to the worker.

What a message itself costs, for the speed measurements (gradeschool.grading.timing), is
measured here without the worker: `pipe_latency` against a judge-owned echo process,
`parse_cost` by reading a message with the worker's own code in this process."""

from __future__ import annotations

import fcntl
import functools
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradeschool.grading import cputime
from gradeschool.grading.errors import WorkerStartFailed, WorkerTimeout
from gradeschool.grading.sandbox import Rlimits, Sandbox
from gradeschool.grading.sandbox_view import LIB, ROOT
from gradeschool.grading.worker import BOOT, PACKAGE, sources
from gradeschool.grading.worker.wire import REPLY_CAPS, REQUEST_CAPS, Caps, ProtocolError, frames, read_message

WORKER_DIR = f"{ROOT}/worker"
SUBMISSION_DIR = f"{ROOT}/submission"
PIPE_BYTES = 2**20
STOP_WAIT = 0.2  # seconds a SIGSTOP may take to land (a process running on another CPU)
STOPPED = ("T", "t", "Z", "X", None)


@dataclass(frozen=True)
class Limits:
    call_timeout: float = 10.0      # seconds per call into learner code
    total_timeout: float = 240.0    # seconds spent in learner code, whole submission
    memory: int = 2 * 2**30         # bytes of address space of the worker
    start_timeout: float = 30.0
    reply_bytes: int = REPLY_CAPS.total  # bytes of arrays in one reply of the worker

    def rlimits(self) -> Rlimits:
        """The sandbox's limits for a worker under these limits."""
        return Rlimits(memory=self.memory, cpu=int(self.total_timeout) + 30)

    def reply_caps(self) -> Caps:
        return Caps(REPLY_CAPS.envelope, REPLY_CAPS.arrays, self.reply_bytes)


def scrubbed_env(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        # glibc's malloc would hand each large temporary back to the system and fault it in
        # again at the next call (3x slower NumPy between messages): keep freed memory
        "MALLOC_MMAP_THRESHOLD_": str(256 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(512 * 2**20),
    }


def _boot(paths: list[str]) -> str:
    return f"import sys; sys.path[:0] = {paths!r}; {BOOT}"


class WorkerProcess:
    """A started worker. `config` is its first message (see worker.serve); `modules` the
    submission's topic modules by file name."""

    def __init__(self, base: Path, config: dict, modules: dict[str, bytes], limits: Limits,
                 box: Sandbox | None):
        self.limits = limits
        self.caps = limits.reply_caps()
        self.paused: list[int] = []
        self.home = Path(tempfile.mkdtemp(prefix="w", dir=base))
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        fds = (to_worker_r, from_worker_w)
        for fd in (self._to_worker, self._from_worker):
            try:  # fewer, larger reads and writes for the arrays
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass
        popen = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
        self.started = None
        try:
            if box is not None:
                root = SUBMISSION_DIR
                files = {f"{root}/{name}": data for name, data in modules.items()}
                files.update({f"{WORKER_DIR}/{PACKAGE}/{name}": data for name, data in sources().items()})
                args = ["-I", "-S", "-B", "-c", _boot([WORKER_DIR, LIB]), *map(str, fds)]
                self.started = box.start(args, files, env=scrubbed_env("/tmp"), pass_fds=fds, **popen)
                self.proc = self.started.proc
            else:
                root = str(self._unsandboxed_files(modules))
                args = ["-I", "-S", "-B", "-c", _boot([str(self.home / "worker"), str(self.home / "lib")]),
                        *map(str, fds)]
                self.proc = subprocess.Popen([sys.executable, *args], pass_fds=fds, close_fds=True,
                                             env=scrubbed_env(str(self.home)), cwd=self.home,
                                             preexec_fn=self._rlimits, **popen)
        except OSError as err:
            self.kill()
            raise WorkerStartFailed(f"the worker process could not be started: {err}") from None
        finally:
            for fd in fds:
                os.close(fd)
        flags = fcntl.fcntl(self._to_worker, fcntl.F_GETFL)
        fcntl.fcntl(self._to_worker, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        try:
            self.exchange({"config": {**config, "root": root}}, [], limits.start_timeout)
        except WorkerTimeout:
            raise WorkerStartFailed("the worker process did not start in time") from None
        except (EOFError, ProtocolError, OSError) as err:
            raise WorkerStartFailed(f"the worker process could not start: {err}") from None

    def _unsandboxed_files(self, modules: dict[str, bytes]) -> Path:
        """--no-sandbox: the submission, the worker's package and NumPy in the private folder."""
        sub = self.home / "submission"
        pkg = self.home / "worker" / PACKAGE
        lib = self.home / "lib"
        for folder in (sub, pkg, lib):
            folder.mkdir(parents=True)
        for name, data in modules.items():
            (sub / name).write_bytes(data)
        for name, data in sources().items():
            (pkg / name).write_bytes(data)
        numpy_dir = Path(np.__file__).resolve().parent
        (lib / "numpy").symlink_to(numpy_dir)
        if (numpy_dir.parent / "numpy.libs").is_dir():
            (lib / "numpy.libs").symlink_to(numpy_dir.parent / "numpy.libs")
        return sub

    def _rlimits(self) -> None:
        r = self.limits.rlimits()
        for which, value in ((resource.RLIMIT_AS, r.memory), (resource.RLIMIT_CPU, r.cpu),
                             (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(which, (value, value))

    # ------------------------------------------------------------ life
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if getattr(self, "proc", None) is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        if getattr(self, "proc", None) is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for name in ("_to_worker", "_from_worker"):
            fd = getattr(self, name, -1)
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
            setattr(self, name, -1)
        if self.started is not None:  # bwrap is gone: --die-with-parent ended the sandbox
            self.started.kill()
        shutil.rmtree(self.home, ignore_errors=True)

    # ------------------------------------------------------------ processes inside
    def _root_pid(self) -> int | None:
        return self.started.child_pid() if self.started is not None else self.proc.pid

    def cpu_ns(self) -> int:
        """CPU time used so far by every process of the worker, read here from /proc."""
        root = self._root_pid()
        return 0 if root is None else cputime.sandbox_cpu_ns(root)

    def children_mark(self):
        """A mark that changes when a process was started inside (cputime.children_mark)."""
        root = self._root_pid()
        return None if root is None else cputime.children_mark(root)

    def pause(self) -> None:
        """SIGSTOP every process of the worker (those it starts while being stopped too),
        and wait until they are stopped."""
        root = self._root_pid()
        if root is None:
            return
        stopped = set(self.paused)
        for _ in range(8):
            new = [p for p in cputime.tree(root) if p not in stopped and
                   (p != root or self.started is None)]
            if not new:
                break
            for pid in new:
                try:
                    os.kill(pid, signal.SIGSTOP)
                    stopped.add(pid)
                except (ProcessLookupError, PermissionError):
                    pass
        self.paused = sorted(stopped)
        _wait_stopped(self.paused)

    def resume(self) -> None:
        for pid in self.paused:
            try:
                os.kill(pid, signal.SIGCONT)
            except (ProcessLookupError, PermissionError):
                pass
        self.paused = []

    # ------------------------------------------------------------ messages
    def exchange(self, envelope: dict, arrays: list, timeout: float, spin: bool = False):
        """Send one request and wait for its reply; kills the worker on any trouble.
        `spin`: poll instead of sleeping (a timed run: a sleeping judge wakes up late)."""
        if self.paused:
            self.resume()
        try:
            return exchange(self._to_worker, self._from_worker, envelope, arrays, timeout, self.caps, spin)
        except BaseException:
            self.kill()
            raise


def _wait_stopped(pids: list[int]) -> None:
    """Until every process of `pids` is stopped (or gone), STOP_WAIT at most."""
    deadline = time.monotonic() + STOP_WAIT
    while any(cputime.state(p) not in STOPPED for p in pids) and time.monotonic() < deadline:
        os.sched_yield()


def _stop(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    _wait_stopped(pids)


def _write(fd: int, envelope: dict, arrays: list, deadline: float) -> None:
    """One message to a non-blocking pipe, within the deadline."""
    for part in frames(envelope, arrays):
        view = memoryview(part).cast("B")
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("timeout")
            _, ready, _ = select.select([], [fd], [], left)
            if ready:
                try:
                    view = view[os.write(fd, view[: 1 << 20]):]
                except BlockingIOError:
                    continue


def exchange(to_fd: int, from_fd: int, envelope: dict, arrays: list, timeout: float, caps: Caps,
             spin: bool = False) -> tuple[dict, list]:
    """A request written to `to_fd` (non-blocking) and the reply read from `from_fd` within
    `timeout` seconds and the reply caps; `spin` polls instead of sleeping."""
    deadline = time.monotonic() + timeout
    _write(to_fd, envelope, arrays, deadline)

    def read(fd: int, view: memoryview) -> int:
        while spin and not select.select([fd], [], [], 0)[0]:
            if time.monotonic() > deadline:
                raise WorkerTimeout("timeout")
            os.sched_yield()
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise WorkerTimeout("timeout")
        return os.readv(fd, [view])

    return read_message(from_fd, caps, read)


ECHO = "import sys; from gradeschool.grading.worker.serve import echo; echo(int(sys.argv[1]), int(sys.argv[2]))"
ECHO_ROUNDS = 30


@dataclass(frozen=True)
class Latency:
    """What a timed run's request and its bare reply cost beyond the run: the best wall
    time of a round trip, and the CPU time the answering process spends on one."""
    wall: float = 0.0
    cpu: float = 0.0


@functools.lru_cache(maxsize=1)
def pipe_latency() -> Latency:
    """The round trip of a timed run's request and its bare reply, measured between this
    process and a judge-owned echo process that reads and writes messages as the worker
    does (never the learner's worker, whose answers could be slowed down on purpose to
    make this larger). Zero when no echo process can be started."""
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-c", ECHO, str(to_r), str(from_w)], pass_fds=(to_r, from_w),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return Latency()
    finally:
        os.close(to_r)
        os.close(from_w)
    fcntl.fcntl(to_w, fcntl.F_SETFL, fcntl.fcntl(to_w, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        for _ in range(3):  # started and warm
            exchange(to_w, from_r, {"op": "ping"}, [], 30.0, REPLY_CAPS)
        _stop([proc.pid])
        best, cpu = float("inf"), cputime.process_cpu_ns(proc.pid)
        for _ in range(ECHO_ROUNDS):  # stopped between runs, as a worker is
            os.kill(proc.pid, signal.SIGCONT)
            start = time.perf_counter()
            exchange(to_w, from_r, {"op": "run", "bench": 1, "sets": [1]}, [], 5.0, REPLY_CAPS, spin=True)
            best = min(best, time.perf_counter() - start)
            _stop([proc.pid])
        cpu = (cputime.process_cpu_ns(proc.pid) - cpu) / 1e9 / ECHO_ROUNDS
        return Latency(best, cpu)
    except (WorkerTimeout, EOFError, ProtocolError, OSError):
        return Latency()
    finally:
        os.close(to_w)
        os.close(from_r)
        proc.kill()
        proc.wait()


def parse_cost(envelope: dict, arrays: list, buffers: dict) -> float:
    """CPU seconds this process takes to read the message (envelope, arrays) with the
    worker's own code (wire.read_message), from memory, into buffers already faulted in
    (`buffers`, kept by the caller: as the worker reads input sets into its pool's)."""
    data = memoryview(b"".join(bytes(p) for p in frames(envelope, arrays)))

    def once() -> None:
        at, taken = 0, {}

        def read(fd: int, view: memoryview) -> int:
            nonlocal at
            n = min(len(view), len(data) - at)
            view[:n] = data[at:at + n]
            at += n
            return n

        def alloc(n: int) -> np.ndarray:
            mine = buffers.setdefault(n, [])
            taken[n] = taken.get(n, 0) + 1
            if len(mine) < taken[n]:
                mine.append(np.ones(n, dtype=np.uint8))
            return mine[taken[n] - 1]

        read_message(-1, REQUEST_CAPS, read, alloc_for=lambda _: alloc)

    once()  # the buffers faulted in, untimed
    began = time.thread_time()
    once()
    return time.thread_time() - began
