"""The grading sandbox (bubblewrap): what learner code inside it can see and do.

Each attack of tests/submissions/ that the sandbox alone must stop runs inside it (its
`attack()`, through a small driver) with the strongest hints a student could have (the
judge's pid and venv, a classmate's path), and the test checks from outside that it
achieved nothing. `GRADESCHOOL_SANDBOX_BASELINE=1` runs the same drivers the way today's
worker runs learner code (`python -I -S` in a private temporary folder, scrubbed
environment) to show that the attacks succeed there; the destructive ones (killing,
writing the venv) are skipped in that mode.

The unprivileged case is real: `as_nobody` runs the grader's own code as uid 65534 with no
capabilities in a root-made view of this machine, like a CI runner without CAP_SYS_ADMIN.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from gradeschool.core.paths import kit_root
from gradeschool.grading import cputime
from gradeschool.grading import sandbox as S
from gradeschool.grading.sandbox_view import LIB

pytestmark = pytest.mark.kit

SUBMISSIONS = kit_root() / "tests" / "submissions"
BASELINE = os.environ.get("GRADESCHOOL_SANDBOX_BASELINE") == "1"
LIMITS = S.Rlimits(memory=1 * 2**30, cpu=30, processes=24, file_size=4 * 2**20, open_files=64)
VENV = Path(sys.prefix)
SITE = Path(np.__file__).resolve().parent.parent
ROOT = os.geteuid() == 0

DRIVER = """
import json, sys
sys.path[:0] = [{sub!r}, {lib!r}]
import numpy
import neuron
neuron.HINTS.update(json.loads(open({hints!r}).read()))
try:
    result = neuron.attack()
except BaseException as err:
    result = {{"raised": type(err).__name__ + ": " + str(err)}}
sys.stdout.write(json.dumps(result, default=str) + "\\n")
sys.stdout.flush()
import time
time.sleep(float(json.loads(open({hints!r}).read()).get("linger", 0)))
"""


@pytest.fixture(scope="module")
def box():
    return S.make(LIMITS, tmp_size=8 * 2**20)


class Run:
    """An attack started in the sandbox (or, in baseline mode, as today's worker runs it)."""

    def __init__(self, box, name: str, hints: dict):
        files = {"/sandbox/submission/neuron.py": (SUBMISSIONS / name / "neuron.py").read_bytes(),
                 "/sandbox/hints.json": json.dumps(hints).encode()}
        kw = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if BASELINE:
            self.home = Path(tempfile.mkdtemp(prefix="gradeschool-baseline-"))
            for dest, data in files.items():
                (self.home / dest.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
                (self.home / dest.lstrip("/")).write_bytes(data)
            (self.home / "lib").mkdir()
            (self.home / "lib" / "numpy").symlink_to(SITE / "numpy")
            driver = DRIVER.format(sub=str(self.home / "sandbox/submission"), lib=str(self.home / "lib"),
                                   hints=str(self.home / "sandbox/hints.json"))
            self.proc = subprocess.Popen([os.path.realpath(sys.executable), "-I", "-S", "-B", "-c", driver],
                                         cwd=self.home, env={"PATH": "/usr/bin:/bin", "HOME": str(self.home)},
                                         start_new_session=True, **kw)
            self.started = None
        else:
            driver = DRIVER.format(sub="/sandbox/submission", lib=LIB, hints="/sandbox/hints.json")
            self.started = box.start(["-I", "-S", "-B", "-c", driver], files, **kw)
            self.proc = self.started.proc

    def result(self, timeout: float = 60) -> dict:
        out, err = self.proc.communicate(timeout=timeout)
        try:
            return json.loads(out)
        except ValueError:
            raise AssertionError(f"no result (exit {self.proc.returncode}): {out[-500:]!r} {err[-2000:]!r}") from None

    def inside(self) -> list[int]:
        """The pids (outside) of the processes in this sandbox, init first."""
        pid = self.started.child_pid() if self.started else self.proc.pid
        return cputime.descendants(pid) if pid else []


def attack(box, name: str, **hints) -> dict:
    return Run(box, name, hints).result()


def destructive():
    if BASELINE:
        pytest.skip("destructive outside a sandbox")


def _kuid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- what the sandbox is
PROBE = textwrap.dedent("""
    import json, os, resource, socket, sys
    status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
    facts = {k: status[k].split() for k in ("Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd",
                                            "CapAmb", "NoNewPrivs")}
    facts["root"] = sorted(os.listdir("/"))
    facts["mounts"] = [l.split()[1] for l in open("/proc/self/mounts")]
    facts["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    facts["env"] = dict(os.environ)
    facts["site"] = os.listdir(os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages"))
    facts["limits"] = {n: resource.getrlimit(getattr(resource, "RLIMIT_" + n))[0]
                       for n in ("AS", "CPU", "NPROC", "FSIZE", "NOFILE", "CORE")}
    paths = json.loads(sys.argv[1])
    facts["readable"] = [p for p in paths if os.path.exists(p)]
    writable = []
    for d in ["/", "/sandbox", "/sandbox/python", "/sandbox/lib/numpy", "/dev", "/proc/sys", "/tmp"]:
        try:
            open(os.path.join(d, "x"), "w").close()
            writable.append(d)
        except OSError:
            pass
    facts["writable"] = writable
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=1)
        facts["network"] = True
    except OSError:
        facts["network"] = False
    sys.path.append("/sandbox/lib")
    import numpy
    facts["numpy"] = numpy.__version__
    print(json.dumps(facts))
""")


def secrets_paths() -> list[str]:
    """Host paths learner code must not reach (any of them existing inside is a failure)."""
    kit = kit_root()
    return [str(p) for p in (kit, kit / "solutions" / "neuron.py", kit / ".gradeschool" / "key", VENV,
                             SITE / "torch", Path(sys.base_prefix), Path.home(), Path("/etc/passwd"),
                             Path("/usr/bin/python3"), Path("/work"), Path("/root"))]


def check_probe(facts: dict, box) -> None:
    assert facts["Uid"] == [str(S.NOBODY)] * 4 and facts["Gid"] == [str(S.NOBODY)] * 4
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(facts[cap][0], 16) == 0, (cap, facts[cap])
    assert facts["NoNewPrivs"] == ["1"]
    # the shared libraries sit where the loader looks for them (/lib, /lib64, /usr/lib...)
    assert {"dev", "proc", "sandbox", "tmp"} <= set(facts["root"]) <= \
        {"dev", "lib", "lib32", "lib64", "usr", "proc", "sandbox", "tmp"}, facts["root"]
    assert facts["readable"] == [], "host paths reachable from the sandbox"
    assert facts["site"] == [], "the interpreter's site-packages must be empty"
    assert facts["writable"] == ["/tmp"]
    assert facts["network"] is False
    assert facts["pids"] == [1, 2], "only the sandbox's init and its own process are visible"
    assert set(facts["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LD_LIBRARY_PATH", "PWD"}, facts["env"]
    lim = facts["limits"]
    assert (lim["AS"], lim["CPU"], lim["NPROC"], lim["FSIZE"], lim["NOFILE"], lim["CORE"]) == (
        LIMITS.memory, LIMITS.cpu, LIMITS.processes, LIMITS.file_size, LIMITS.open_files, 0)
    assert facts["numpy"] == np.__version__


@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_learner_code_runs_as_nobody_without_capabilities_and_sees_only_the_runtime(box):
    started = box.start(["-S", "-B", "-c", PROBE, json.dumps(secrets_paths())],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = started.proc.communicate(timeout=60)
    assert started.proc.returncode == 0, err
    check_probe(json.loads(out), box)
    assert box.mode == ("root" if ROOT else "user")


@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_outside_the_sandbox_learner_processes_belong_to_nobody(box):
    """As root, learner code is uid 65534 for the host kernel too (not uid 0 behind a user
    namespace, which could write the judge's venv and is exempt from RLIMIT_NPROC)."""
    started = box.start(["-S", "-c", "import time; print(1, flush=True); time.sleep(30)"],
                        stdout=subprocess.PIPE)
    try:
        started.proc.stdout.readline()
        init, *learner = cputime.descendants(started.child_pid())
        assert learner, "the learner's process is inside the sandbox's tree"
        assert {_kuid(p) for p in learner} == {S.NOBODY if ROOT else os.getuid()}
    finally:
        started.kill()


# ---------------------------------------------------------------- an unprivileged grader
def as_nobody(code: str, *args: str, userns: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python -c code args` (this venv's python, the kit importable) as uid 65534 with no
    capabilities, in a view of this machine made by root in which the interpreter is
    reachable (here it lives under /root, mode 0700): a CI runner without CAP_SYS_ADMIN.
    `userns=False`: that user may not create user namespaces either (as on hosts that turn
    them off): the grader's bwrap gets "no space left" from the kernel."""
    if not ROOT:
        pytest.skip("making the unprivileged view needs root; as an unprivileged user the "
                    "other tests already run unprivileged")
    outer = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--bind", "/proc", "/proc",
             "--die-with-parent"]
    base = Path(sys.base_prefix).resolve()
    home = Path("/root")
    if base.is_relative_to(home):
        outer += ["--tmpfs", str(home)]
        for folder in list(reversed(base.parents))[len(home.parents) + 1:]:
            outer += ["--perms", "0755", "--dir", str(folder)]
        outer += ["--ro-bind", str(base), str(base)]
    if userns:
        drop = ["setpriv", f"--reuid={S.NOBODY}", f"--regid={S.NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--"]
    else:  # a user namespace of the outer bwrap maps nobody to root: only use it to forbid more
        outer += ["--unshare-user", "--uid", str(S.NOBODY), "--gid", str(S.NOBODY),
                  "--disable-userns", "--cap-drop", "ALL"]
        drop = []
    python = str(VENV / "bin" / "python")
    return subprocess.run([*outer, "--", *drop, python, "-B", "-c", code, *args], capture_output=True,
                          text=True, timeout=timeout)


UNPRIVILEGED = textwrap.dedent("""
    import json, os, subprocess, sys
    from gradeschool.grading import sandbox as S
    limits = S.Rlimits(**json.loads(sys.argv[1]))
    try:
        box = S.make(limits)
    except S.SandboxUnavailable as err:
        print(json.dumps({"unavailable": str(err)}))
        raise SystemExit
    started = box.start(["-S", "-B", "-c", sys.argv[2], sys.argv[3]], stdout=subprocess.PIPE)
    out, _ = started.proc.communicate(timeout=60)
    print(json.dumps({"uid": os.getuid(), "mode": box.mode, "facts": json.loads(out),
                      "summary": box.summary()}))
""")


def _limits_json() -> str:
    return json.dumps({k: getattr(LIMITS, k) for k in ("memory", "cpu", "processes", "file_size", "open_files")})


@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_an_unprivileged_grader_makes_the_same_sandbox():
    done = as_nobody(UNPRIVILEGED, _limits_json(), PROBE, json.dumps(secrets_paths()))
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert "unavailable" not in got, got
    assert got["uid"] == S.NOBODY and got["mode"] == "user"
    check_probe(got["facts"], None)
    assert "user mode" in got["summary"]


@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_without_user_namespaces_an_unprivileged_grader_gets_a_precise_refusal():
    done = as_nobody(UNPRIVILEGED, _limits_json(), PROBE, "[]", userns=False)
    assert done.returncode == 0, done.stderr[-3000:]
    why = json.loads(done.stdout)["unavailable"]
    assert "unprivileged user namespaces" in why and "bwrap said:" in why, why


def test_without_bubblewrap_no_sandbox_is_claimed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(S.SandboxUnavailable, match="bubblewrap .* not installed"):
        S.make()


# ---------------------------------------------------------------- attacks (tests/submissions)
SANDBOX_ATTACKS = ["daemon_fork", "write_venv", "read_judge_environ", "read_classmates_tmp", "kill_others",
                   "undo_guards", "fork_bomb", "big_file"]


def test_every_sandbox_attack_is_run_by_a_test():
    import inspect

    tests = [f for n, f in globals().items() if n.startswith("test_") and callable(f)]
    for name in SANDBOX_ATTACKS:
        assert (SUBMISSIONS / name / "neuron.py").is_file()
        assert any(f'"{name}"' in inspect.getsource(f) for f in tests), name


def _alive(pid: int, started: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[21] == started
    except (OSError, IndexError):
        return False


def test_a_daemon_does_not_outlive_its_sandbox(box):
    run = Run(box, "daemon_fork", {"live": 20})
    assert run.proc.stdout.read(1) == b"{", "the attack ran"
    daemons = [(p, Path(f"/proc/{p}/stat").read_text().split()[21]) for p in run.inside()[1:]]
    assert len(daemons) >= 2, "the attacker's process and its setsid daemon are in the tree"
    run.proc.communicate(timeout=30)  # the attacker returned: the sandbox ends
    deadline = time.monotonic() + 5
    while any(_alive(*d) for d in daemons) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(*d) for d in daemons), "a process outlived the sandbox"


def test_the_judges_venv_stdlib_and_etc_cannot_be_written(box):
    destructive()
    site = SITE / "pwned.pth"
    got = attack(box, "write_venv", venv=str(VENV), extra_targets=[str(site), str(kit_root() / "pwned")])
    assert got["written"] == []
    assert not site.exists() and not (kit_root() / "pwned").exists() and not Path("/etc/pwned").exists()


def test_the_judges_environment_and_memory_are_out_of_reach(box):
    judge = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             env={**os.environ, "GRADESCHOOL_KEY": "judge-secret-0123"})
    try:
        got = attack(box, "read_judge_environ", pid=judge.pid)
        assert "judge-secret-0123" not in json.dumps(got)
        assert str(judge.pid) not in got["environ"] and judge.pid not in got["mem"]
        assert set(got["own_environ"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LD_LIBRARY_PATH", "PWD"}
    finally:
        judge.kill()
        judge.wait()


def test_classmates_copies_in_tmp_cannot_be_read_or_rewritten(box):
    folder = Path(tempfile.mkdtemp(prefix="gradeschool-judge-"))
    classmate = folder / "w1" / "submission" / "neuron.py"
    classmate.parent.mkdir(parents=True)
    classmate.write_text("def relu(x):\n    return x * (x > 0)  # alice's\n")
    os.chmod(folder, 0o755)  # even when the grader leaves it readable
    try:
        got = attack(box, "read_classmates_tmp", classmate=str(classmate))
        assert str(classmate) not in got["read"] and got["rewritten"] == []
        assert classmate.read_text().endswith("# alice's\n")
    finally:
        import shutil

        shutil.rmtree(folder)


def test_other_processes_cannot_be_signalled(box):
    destructive()
    victim = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        got = attack(box, "kill_others", pids=[victim.pid, os.getpid()])
        assert victim.poll() is None, "a process outside the sandbox was killed"
        assert victim.pid not in got["signalled"] and os.getpid() not in got["signalled"]
    finally:
        victim.kill()
        victim.wait()


def test_undoing_the_import_guards_does_not_bring_torch(box):
    got = attack(box, "undo_guards", site_packages=[str(SITE), str(VENV / "lib")])
    assert got["torch"] is None, got
    assert "No module named 'torch'" in got["error"]


def test_a_fork_bomb_is_bounded_and_a_classmate_still_starts(box):
    """RLIMIT_NPROC is per sandbox (each has its own user namespace): while one sandbox holds
    all the processes it may, another one, as the same uid, starts and forks."""
    bomb = Run(box, "fork_bomb", {"hold": 15, "max": 200, "linger": 15})  # stays to the end
    try:
        got = json.loads(bomb.proc.stdout.readline())  # its children hold the pipe: no EOF
        assert got["forked"] < LIMITS.processes and got["error"] == "Resource temporarily unavailable"
        classmate = attack(box, "fork_bomb", hold=0, max=3)
        assert classmate["forked"] == 3, "a classmate's sandbox could not start or fork"
    finally:
        if bomb.started:
            bomb.started.kill()
        else:
            os.killpg(bomb.proc.pid, signal.SIGKILL)
            bomb.proc.wait()


def test_a_big_file_is_stopped_by_the_file_size_limit(box):
    got = attack(box, "big_file", bytes=64 * 2**20)
    assert got["written"] <= LIMITS.file_size and got["error"] == "File too large", got


# ---------------------------------------------------------------- lifetime, accounting, report
@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_when_the_judge_dies_its_sandbox_dies_with_it(box):
    judge = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import subprocess, sys, time
        from gradeschool.grading import sandbox as S
        started = S.make().start(["-S", "-c", "import os, time\\nif os.fork() == 0: os.setsid()\\ntime.sleep(60)"])
        print(started.child_pid(), flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        init = int(judge.stdout.readline())
        time.sleep(0.3)
        inside = [(p, Path(f"/proc/{p}/stat").read_text().split()[21]) for p in cputime.descendants(init)]
        assert len(inside) >= 3, "init, the learner's process and its setsid child"
    finally:
        judge.kill()
        judge.wait()
    deadline = time.monotonic() + 5
    while any(_alive(*p) for p in inside) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(*p) for p in inside)


BURN = textwrap.dedent("""
    import os, sys, time
    def burn(seconds):
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass
    pid = os.fork()
    if pid == 0:                       # a child that works, then ends (reaped by its parent)
        burn(0.3); os._exit(0)
    if os.fork() == 0:                 # an orphan that works and ends (reaped by init)
        if os.fork() == 0:
            burn(0.3); os._exit(0)
        os._exit(0)
    burn(0.3)
    os.waitpid(pid, 0)
    time.sleep(0.5)
    print("done", flush=True)
    time.sleep(30)
""")


@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_the_judge_counts_the_cpu_time_of_every_process_in_the_sandbox(box):
    started = box.start(["-S", "-c", BURN], stdout=subprocess.PIPE)
    try:
        assert started.proc.stdout.readline() == b"done\n"
        used = started.cpu_ns() / 1e9
        assert 0.85 <= used < 3.0, f"{used:.3f} s counted for three workers of 0.3 s"
    finally:
        started.kill()


@pytest.mark.skipif(BASELINE, reason="a property of the sandbox itself")
def test_the_report_names_bubblewrap_its_version_and_options(box):
    d = box.describe()
    assert d["tool"] == "bubblewrap" and d["version"] == S.bwrap_version(box.bwrap) != "unknown"
    assert {"--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session"} <= set(d["options"])
    assert d["namespaces"] == ["user", "pid", "net", "ipc", "uts", "cgroup", "mount"]
    assert d["rlimits"]["nproc"] == LIMITS.processes and d["process_limit"] == "per sandbox"
    assert box.summary().startswith(f"bubblewrap {box.version} ({box.mode} mode")
    json.dumps(d)
