"""Judge-side CPU accounting of a sandbox: what every process inside used, read from
/proc by the judge, never reported by the worker (whose code the learner controls).

Live threads are read from /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU);
processes that already ended count through their reaper's cutime/cstime in
/proc/<pid>/stat (clock ticks: the kernel adds a reaped child's time, and its own reaped
children's, to its parent). In a PID namespace every orphan is reaped by the sandbox's
init, so the tree under that init holds every process and every ended one is in some
live ancestor's cumulative times. A zombie not yet reaped still shows its own times.
"""

from __future__ import annotations

import os

TICK_NS = 10**9 // os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


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


def process_cpu_ns(pid: int) -> int:
    """CPU time of one process: its live threads (ns) plus its reaped children (ticks)."""
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
    fields = _stat(pid)
    if fields is not None:
        # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        total += (int(fields[13]) + int(fields[14])) * TICK_NS
    return total


def sandbox_cpu_ns(init_pid: int) -> int:
    """Total CPU time (ns) so far of every process in the sandbox whose init (outside pid,
    bwrap's --info-fd `child-pid`) is `init_pid`. Monotonic up to the tick rounding of
    ended processes."""
    return sum(process_cpu_ns(pid) for pid in descendants(init_pid))
