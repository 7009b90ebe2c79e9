"""The grading worker's sandbox: a bubblewrap (`bwrap`) command line around Python.

Learner code runs in a process that sees only what it needs and can reach nothing else:

* every namespace unshared (user, pid, net, ipc, uts, cgroup, mount): no other process,
  no network, no shared memory of anyone else; `--die-with-parent` and a PID namespace
  whose init is bwrap, so nothing started inside outlives the sandbox (a double-forked or
  `setsid` daemon dies with it); `--new-session` (no terminal to inject into);
* a root filesystem that is an empty tmpfs holding, read-only, only the Python runtime
  (executable and standard library, its `site-packages` masked by an empty folder), NumPy,
  the shared libraries these load (found with `ldd`, bound one by one) and the files the
  caller gives (the worker's script, a copy of the submission; bound from memory, so the
  sandboxed user never needs access to a host path). Torch, the kit, other submissions,
  the signing key, the judge's environment and virtual environment are simply not there;
  a private size-capped tmpfs /tmp is the only writable place; a fresh /proc, minimal /dev;
* a cleared environment (`--clearenv` and the few variables given);
* no capabilities, and rlimits on address space, CPU time, processes, file size and open
  files (set by util-linux `prlimit` inside, just before Python starts).

Two modes, chosen by who runs the grader:

* **root**: bwrap itself makes no user namespace (as root it would map the sandbox's user
  to uid 0 outside). It unshares the others, keeps only CAP_SETUID, CAP_SETGID and
  CAP_SETPCAP, and runs util-linux `setpriv` to become uid/gid 65534 (nobody) with no
  groups, no capabilities and an empty bounding set; then `unshare --user` puts the
  learner into a user namespace of its own (where `setpriv` empties the bounding set
  again, as a new namespace starts with a full one). The runtime is bound from paths only root can
  traverse (/root is 0700): bwrap makes the mounts, permissions apply at /sandbox/...
* **user** (no root; an ordinary CI runner): `bwrap --unshare-user ... --uid 65534
  --gid 65534 --cap-drop ALL --disable-userns`; needs unprivileged user namespaces.

RLIMIT_NPROC counts the processes of a user *per user namespace*, and a namespace's
creator is checked against the limit it had when creating it. Each sandbox gets its own
user namespace, created while the limit is unlimited, and `prlimit` then sets the limit
inside: a fork bomb fills only its own sandbox's count, never a classmate's (who may run
as the same uid 65534). Where the host refuses user namespaces to uid 65534 the root mode
still works without that step, and says so (`process limit shared by uid 65534`).

`make()` chooses the mode, checks that a sandbox can really be made (one tiny run) and
raises `SandboxUnavailable` with bwrap's own words when not; `start()` runs a command;
`cputime.sandbox_cpu_ns` measures what every process inside used.
"""

from __future__ import annotations

import functools
import json
import os
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gradeschool.grading.sandbox_view import ROOT, MissingTool, runtime

NOBODY = 65534
PROBE_TIMEOUT = 20.0
NAMESPACES = ("user", "pid", "net", "ipc", "uts", "cgroup", "mount")


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message says why and what would help."""


@dataclass(frozen=True)
class Rlimits:
    """The worker's resource limits. `processes` is per sandbox (see the module docstring);
    threads count as processes."""
    memory: int = 2 * 2**30          # RLIMIT_AS, bytes
    cpu: int = 300                   # RLIMIT_CPU, seconds
    processes: int = 64              # RLIMIT_NPROC
    file_size: int = 16 * 2**20      # RLIMIT_FSIZE, bytes
    open_files: int = 256            # RLIMIT_NOFILE

    def prlimit_args(self) -> list[str]:
        pairs = {"as": self.memory, "cpu": self.cpu, "nproc": self.processes,
                 "fsize": self.file_size, "nofile": self.open_files, "core": 0}
        return [f"--{k}={v}:{v}" for k, v in pairs.items()]


def bwrap_version(bwrap: str) -> str:
    out = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout
    return out.split()[-1] if out.split() else "unknown"


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(re.sub(r"[^\w.-]", "_", name)[:200], 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Prepared:
    """A command line ready for Popen: `argv`, the fds bwrap must inherit (`pass_fds`),
    the read end of bwrap's --info-fd, and the fds the parent closes once started."""
    argv: list[str]
    pass_fds: tuple[int, ...]
    info: int
    close_after_start: list[int]


@dataclass(frozen=True)
class Sandbox:
    """How to wrap a Python command. `make()` builds one that has been seen to work."""
    bwrap: str
    version: str
    mode: str                      # "root" or "user"
    limits: Rlimits = Rlimits()
    tmp_size: int = 64 * 2**20     # bytes of the private /tmp
    own_userns: bool = True        # root mode: a user namespace of its own (per-sandbox NPROC)

    def options(self) -> list[str]:
        """bwrap's options other than the filesystem view."""
        common = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                  "--unshare-cgroup", "--die-with-parent", "--new-session",
                  "--hostname", "gradeschool-sandbox"]
        if self.mode == "root":
            return common + ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add",
                             "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        return ["--unshare-user", "--disable-userns", "--uid", str(NOBODY), "--gid",
                str(NOBODY), *common, "--cap-drop", "ALL"]

    def prefix(self) -> list[str]:
        """What runs inside before Python: drop to nobody (root mode), a user namespace of
        its own, the rlimits."""
        rt = runtime(self.mode)
        out: list[str] = []
        if self.mode == "root":
            out += [rt.tools["setpriv"], f"--reuid={NOBODY}", f"--regid={NOBODY}",
                    "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                    "--no-new-privs", "--"]
            if self.own_userns:  # its bounding set starts full again: empty it there too
                out += [rt.tools["unshare"], "--user", "--keep-caps", "--", rt.tools["setpriv"],
                        "--inh-caps=-all", "--bounding-set=-all", "--"]
        return out + [rt.tools["prlimit"], *self.limits.prlimit_args(), "--"]

    def prepare(self, python_args: list[str], files: dict[str, bytes] | None = None,
                env: dict[str, str] | None = None, cwd: str = "/tmp") -> Prepared:
        """The command line running `python <python_args>` in the sandbox; `files` maps
        paths inside (under /sandbox) to their content, shown read-only."""
        rt = runtime(self.mode)
        view: list[str] = []
        made: set[str] = {"/"}

        def mkdirs(path: str) -> None:
            parts = Path(path).parts
            for i in range(2, len(parts) + 1):
                d = str(Path(*parts[:i]))
                if d not in made:
                    made.add(d)
                    view.extend(["--perms", "0555", "--dir", d])

        for _, dest in rt.binds:
            mkdirs(os.path.dirname(dest))
        for src, dest in rt.binds:
            view += ["--ro-bind", src, dest]
        for dest in rt.masked:
            view += ["--tmpfs", dest, "--remount-ro", dest]
        fds: list[int] = []
        for dest, data in sorted((files or {}).items()):
            if not dest.startswith(ROOT + "/") or ".." in Path(dest).parts:
                raise ValueError(f"sandbox files go under {ROOT}/: {dest!r}")
            mkdirs(os.path.dirname(dest))
            fds.append(_memfd(os.path.basename(dest), data))
            view += ["--perms", "0444", "--ro-bind-data", str(fds[-1]), dest]
        view += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
                 "--size", str(self.tmp_size), "--perms", "1777", "--tmpfs", "/tmp",
                 "--remount-ro", "/"]
        environ = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
                   **(env or {}), "LD_LIBRARY_PATH": ":".join(rt.library_path)}
        setenv = [a for k, v in environ.items() for a in ("--setenv", k, v)]
        info_r, info_w = os.pipe()
        argv = [self.bwrap, *self.options(), *view, "--clearenv", *setenv, "--chdir", cwd,
                "--info-fd", str(info_w), "--", *self.prefix(), rt.python, *python_args]
        return Prepared(argv, (info_w, *fds), info_r, [info_w, *fds])

    def describe(self) -> dict:
        """For the report's environment.sandbox: the tool, its version, what it applies."""
        rt = runtime(self.mode)
        user = (f"uid/gid {NOBODY} via setpriv, no capabilities, empty bounding set"
                if self.mode == "root" else f"uid/gid {NOBODY} in a user namespace, no capabilities")
        return {
            "tool": "bubblewrap", "version": self.version, "mode": self.mode, "user": user,
            "namespaces": list(NAMESPACES),
            "process_limit": "per sandbox" if self.own_userns else f"shared by uid {NOBODY}",
            "options": self.options(),
            "filesystem": {"read_only": sorted(dest for _, dest in rt.binds if dest.startswith(ROOT)),
                           "libraries": len([d for _, d in rt.binds if not d.startswith(ROOT)]),
                           "tmp": f"tmpfs of {self.tmp_size // 2**20} MiB", "proc": "fresh",
                           "dev": "minimal"},
            "environment": "cleared",
            "rlimits": {"as": self.limits.memory, "cpu": self.limits.cpu,
                        "nproc": self.limits.processes, "fsize": self.limits.file_size,
                        "nofile": self.limits.open_files, "core": 0},
        }

    def summary(self) -> str:
        """describe() in one line (the report's environment.sandbox is a string today)."""
        d = self.describe()
        r = d["rlimits"]
        return (f"bubblewrap {self.version} ({self.mode} mode: {d['user']}; unshared "
                f"{', '.join(d['namespaces'])}; die-with-parent, new-session; read-only "
                f"runtime and NumPy, {d['filesystem']['tmp']} /tmp, fresh /proc, minimal /dev, "
                f"cleared environment; process limit {d['process_limit']}; rlimits as="
                f"{r['as']} cpu={r['cpu']} nproc={r['nproc']} fsize={r['fsize']} nofile={r['nofile']})")

    def start(self, python_args: list[str], files: dict[str, bytes] | None = None,
              env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = (),
              **popen) -> Sandboxed:
        """Start `python <python_args>` in the sandbox (Popen keywords pass through)."""
        prepared = self.prepare(python_args, files, env)
        try:
            proc = subprocess.Popen(prepared.argv, pass_fds=(*prepared.pass_fds, *pass_fds),
                                    close_fds=True, **popen)
        except BaseException:
            os.close(prepared.info)
            raise
        finally:
            for fd in prepared.close_after_start:
                os.close(fd)
        return Sandboxed(proc, prepared.info)


class Sandboxed:
    """A started sandbox: the bwrap process and, from its --info-fd, the pid (outside) of
    the sandbox's init, whose descendants are every process inside."""

    def __init__(self, proc: subprocess.Popen, info_fd: int):
        self.proc = proc
        self._info_fd = info_fd
        self._child: int | None = None

    def child_pid(self, timeout: float = 10.0) -> int | None:
        """The sandbox's init, outside; None when bwrap failed before making it."""
        if self._child is None and self._info_fd >= 0:
            data, deadline = b"", time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0 and select.select([self._info_fd], [], [], left)[0]:
                chunk = os.read(self._info_fd, 4096)
                if not chunk:
                    break
                data += chunk
            os.close(self._info_fd)
            self._info_fd = -1
            try:
                self._child = int(json.loads(data)["child-pid"])
            except (ValueError, KeyError, TypeError):
                return None
        return self._child

    def cpu_ns(self) -> int:
        """CPU time used so far by every process inside, read by this process (see cputime)."""
        from gradeschool.grading.cputime import sandbox_cpu_ns

        pid = self.child_pid()
        return 0 if pid is None else sandbox_cpu_ns(pid)

    def kill(self) -> None:
        """Kill bwrap; --die-with-parent takes the sandbox's init, and with it every process
        of its PID namespace, along."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self._info_fd >= 0:
            os.close(self._info_fd)
            self._info_fd = -1


def _choose_mode() -> str:
    return "root" if os.geteuid() == 0 else "user"


@functools.cache
def _checked(bwrap: str, mode: str, own_userns: bool) -> str | None:
    """None when a sandbox of this kind starts Python here; else bwrap's complaint."""
    box = Sandbox(bwrap, bwrap_version(bwrap), mode, own_userns=own_userns)
    try:
        started = box.start(["-S", "-c", "import sys"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as err:
        return f"{bwrap} could not be run: {err}"
    try:
        out, err = started.proc.communicate(timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        started.kill()
        return "a test sandbox did not start in time"
    finally:
        started.kill()
    if started.proc.returncode == 0:
        return None
    return (err or out).decode("utf-8", "replace").strip()[-2000:] or \
        f"exit code {started.proc.returncode}"


def _explain(mode: str, said: str) -> str:
    """What bwrap's complaint means for the person grading, and what would help."""
    if "source path" in said:
        return ("bubblewrap cannot read the Python runtime or NumPy as this user; the grading "
                "user must be able to read its own interpreter and virtual environment")
    if "mount proc" in said:
        return ("a fresh /proc cannot be mounted (inside a container whose /proc is partly "
                "covered, say); run the grader on the host or in a container without masked /proc")
    if mode == "root":
        return ("as root, bubblewrap needs CAP_SYS_ADMIN (a container without it cannot make "
                "namespaces): give it that capability, or grade as an unprivileged user")
    return ("as an unprivileged user, bubblewrap needs unprivileged user namespaces (sysctl "
            "user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1, or an AppArmor "
            "profile allowing them for bwrap)")


def make(limits: Rlimits | None = None, tmp_size: int | None = None,
         bwrap: str | None = None) -> Sandbox:
    """A sandbox for this host, checked by one tiny run; SandboxUnavailable says why not."""
    bwrap = bwrap or shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (`bwrap`) is not installed: install it (Debian/Ubuntu: apt-get install "
            "bubblewrap) to grade safely, or pass --no-sandbox to grade without one")
    mode = _choose_mode()
    try:
        runtime(mode)
    except MissingTool as err:
        raise SandboxUnavailable(str(err)) from None
    problem = _checked(bwrap, mode, True)
    own_userns = problem is None
    if problem is not None and mode == "root" and _checked(bwrap, mode, False) is None:
        problem = None  # no user namespaces for nobody here: NPROC is shared by uid 65534
    if problem is not None:
        raise SandboxUnavailable(f"no sandbox can be made here: {_explain(mode, problem)}. "
                                 f"bwrap said: {problem}")
    kwargs = {} if tmp_size is None else {"tmp_size": tmp_size}
    return Sandbox(bwrap, bwrap_version(bwrap), mode, limits or Rlimits(),
                   own_userns=own_userns, **kwargs)
