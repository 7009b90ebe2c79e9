"""Judge-side CPU accounting of a sandbox: what every process inside used, read from
/proc by the judge, never reported by the worker (whose code the learner controls).

A process's own time is its CPU clock (clock_gettime on CLOCK_PROCESS_CPUTIME of another
pid: nanoseconds, every thread including those that ended); processes that already ended
count through their reaper's cutime/cstime in /proc/<pid>/stat (clock ticks: the kernel
adds a reaped child's time, and its own reaped children's, to its parent). In a PID
namespace every orphan is reaped by the sandbox's init, so the tree under that init holds
every process and every ended one is in some live ancestor's cumulative times. A zombie
not yet reaped still shows its own times.
"""

from __future__ import annotations

import os
import time

TICK_NS = 10**9 // os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def state(pid: int) -> str | None:
    """The process's state letter (R, S, T for stopped, Z...), None when it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def descendants(root: int) -> list[int]:
    """`root` and every process below it, from one pass over /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def tree(root: int) -> list[int]:
    """`root` and every process below it, walking /proc/<pid>/task/<tid>/children (cheap:
    it reads only the tree's own entries); a full scan where the kernel lacks that file."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        out.append(pid)
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                    todo.extend(int(c) for c in f.read().split())
            except FileNotFoundError:
                return descendants(root)
            except (OSError, ValueError):
                pass
    return out


def _process_clock(pid: int) -> int | None:
    """The process's CPU clock (every thread, live or ended, in ns), or None."""
    try:
        return time.clock_gettime_ns(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    except OSError:
        return None


def _live_threads_ns(pid: int) -> int:
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def process_cpu_ns(pid: int) -> int:
    """CPU time of one process: all its threads, ended ones too (its CPU clock, in ns; the
    live threads' schedstat where that clock cannot be read), plus its reaped children
    (cutime and cstime, in clock ticks)."""
    own = _process_clock(pid)
    total = own if own is not None else _live_threads_ns(pid)
    fields = _stat(pid)
    if fields is not None:
        # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        total += (int(fields[13]) + int(fields[14])) * TICK_NS
    return total


def sandbox_cpu_ns(init_pid: int) -> int:
    """Total CPU time (ns) so far of every process in the sandbox whose init (outside pid,
    bwrap's --info-fd `child-pid`) is `init_pid`. Monotonic up to the tick rounding of
    ended processes."""
    return sum(process_cpu_ns(pid) for pid in tree(init_pid))


def children_mark(root: int) -> tuple[frozenset[int], int]:
    """(the processes under `root`, the minor faults of their reaped children): it changes
    whenever a process was started since the last mark, even one that already ended and
    was reaped (a new process always faults pages in, and its reaper adds them up), where
    the reaped children's CPU time (in clock ticks) may not show it."""
    pids = tree(root)
    faults = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            faults += int(fields[8])  # cminflt
    return frozenset(pids), faults
