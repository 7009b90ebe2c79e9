"""The grading engine: isolated workers, adversarial submissions, reports and their formats."""

import csv
import inspect
import io
import json
import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import exercises_dir, kit_root, solutions_dir
from gradeschool.grading import outputs, signing
from gradeschool.grading.proxy import IsolatedImplementation, Limits, RemoteObject, _hideable
from gradeschool.grading.supervise import grade_all, grade_one, pass_rates
from gradeschool.harness.mutants import load_mutants

pytestmark = [pytest.mark.kit, pytest.mark.slow]

SUBMISSIONS = kit_root() / "tests" / "submissions"
# The smallest selection that shows every attack (each submission's functions are all
# attacks) and that the second exercise, after a timeout or a crash, fails too.
SELECTION = ["relu", "step"]
MAX_POINTS = sum(e.points for e in load_catalogue().resolve(SELECTION))
SOLVED = ["relu", "step", "perceptron_train"]
FAST = Limits(call_timeout=1.0, total_timeout=6.0, memory=384 * 2**20)

# the statuses each adversarial submission may end with (every one scores 0)
EXPECTED = {
    "loop_at_import": {"timeout"},
    "loop_in_function": {"timeout"},
    "memory_bomb": {"error", "timeout"},
    "exit_at_import": {"error"},
    "os_exit_at_import": {"error"},
    "exit_in_function": {"error"},
    "import_torch": {"forbidden import"},
    "importlib_torch": {"forbidden import"},
    "dunder_import_torch": {"forbidden import"},
    "monkeypatch": {"failed", "error"},  # patching builtins breaks its own worker too
    "read_solutions": {"error", "failed"},
    "fake_report": {"failed"},
    "prints_points": {"failed"},
    "fake_array": {"failed"},
    "kill_judge": {"error"},
    # links the intake refuses (made in the class folder by `judged`, with absolute targets)
    "symlink_solution": {"error"},
    "symlink_key": {"error", "failed"},  # its losses.py is refused; neuron.py finds no key
    "symlink_classmate": {"error"},
    # stopped by the sandbox (tests/test_sandbox.py shows each directly, with hints)
    "undo_guards": {"error", "failed"},
    "kill_others": {"error", "failed"},
    "read_judge_environ": {"error", "failed"},
    "read_classmates_tmp": {"failed"},
    "daemon_fork": {"failed", "error"},
    "fork_bomb": {"failed", "error", "timeout"},
    "write_venv": {"failed"},
    "big_file": {"failed", "error"},
}


# files that git cannot hold (tests/test_intake.py makes and tests them)
TESTED_ELSEWHERE = {"fifo_module", "device_module", "huge_module", "hardlink_module"}


def test_every_adversarial_submission_is_listed():
    assert sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir()) == sorted({*EXPECTED, *TESTED_ELSEWHERE})


def _links() -> dict[str, tuple[str, Path]]:
    """The link of each link attack and what it points at, as an absolute path (the class
    folder is elsewhere); alice is an honest classmate, graded beside them."""
    return {"symlink_solution": ("neuron.py", solutions_dir() / "neuron.py"),
            "symlink_key": ("losses.py", signing.key_path()),
            "symlink_classmate": ("neuron.py", Path("../alice/neuron.py"))}


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """Every judge this file needs, started at once (a judge is mostly torch's import):
    the adversarial class graded two at a time, as a class would be, and beside it the
    solutions twice (determinism) and the untouched exercises."""
    signing.load_key()
    subs = tmp_path_factory.mktemp("class")
    links = _links()
    for name in EXPECTED:
        shutil.copytree(SUBMISSIONS / name, subs / name, symlinks=True)
        if name in links:
            link, target = links[name]
            (subs / name / link).unlink()
            (subs / name / link).symlink_to(target)
    (subs / "alice").mkdir()
    shutil.copy(solutions_dir() / "neuron.py", subs / "alice" / "neuron.py")
    with open(subs / "read_solutions" / "neuron.py", "a") as f:
        f.write(f"\nKIT = {str(kit_root())!r}\n")  # the strongest hint a student could have
    out = tmp_path_factory.mktemp("graded")

    def beside():
        solved = [grade_one(solutions_dir(), tmp_path_factory.mktemp("sol"), SOLVED, label="solutions")
                  for _ in range(2)]
        untouched = grade_one(exercises_dir(), tmp_path_factory.mktemp("untouched"), ["neuron"],
                              label="untouched")
        # the row-loop mutant (correct, ~100x slower) beside the vectorised log_softmax
        slow = tmp_path_factory.mktemp("slow")
        loop = next(m.obj for m in load_mutants() if m.id == "softmax:row_loop")
        body = "".join(line for line in inspect.getsourcelines(loop)[0] if not line.startswith("@"))
        (slow / "neuron.py").write_text((solutions_dir() / "neuron.py").read_text() + "\n\n" + body)
        looped = grade_one(slow, tmp_path_factory.mktemp("looped"), ["softmax", "log_softmax"], label="row loop")
        return solved, untouched, looped

    with ThreadPoolExecutor(1) as pool:
        others = pool.submit(beside)
        graded = grade_all(subs, out, jobs=2, selectors=SELECTION, limits=FAST, echo=lambda s: None)
        solved, untouched, looped = others.result()
    return {"adversarial": (subs, out, {g.name: g for g in graded}), "solutions": solved,
            "untouched": untouched, "looped": looped}


@pytest.fixture(scope="module")
def adversarial(judged):
    return judged["adversarial"]


def test_links_are_refused_unread_and_the_honest_classmate_keeps_full_marks(adversarial):
    _, out, graded = adversarial
    key = signing.load_key().decode()
    for name in ("symlink_solution", "symlink_classmate"):
        messages = [t["message"] for e in graded[name].report["exercises"] for t in e["tests"]]
        assert any("neuron.py is a symbolic link" in m for m in messages), messages
    for path in out.rglob("*"):
        if path.is_file():
            assert key not in path.read_text(errors="replace"), f"the signing key leaked into {path}"
    alice = graded["alice"].report["totals"]
    assert alice["points"] == alice["max_points"] == MAX_POINTS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_adversarial_submission_scores_zero_with_reports(adversarial, name):
    _, out, graded = adversarial
    report = json.loads((out / name / "report.json").read_text())
    assert signing.verify(report, signing.load_key()), "the report must be the grader's own"
    assert report["totals"] == {"points": 0.0, "max_points": MAX_POINTS}
    assert report["submission"] == name
    statuses = {e["name"]: e["status"] for e in report["exercises"]}
    assert set(statuses) == set(SELECTION)
    assert set(statuses.values()) <= EXPECTED[name], statuses
    assert all(e["points"] == 0 for e in report["exercises"])
    results = json.loads((out / name / "results.json").read_text())
    assert results["score"] == 0
    assert all(t["score"] == 0 for t in results["tests"])
    assert (out / name / "grades.csv").read_text().splitlines()[1].endswith(f",0.0,0.0,0.0,{MAX_POINTS:.1f}")
    assert outputs.points_line(report) == f"Points 0/{MAX_POINTS:g}"


def test_forged_reports_never_reach_the_output(adversarial):
    _, out, _ = adversarial
    for path in out.rglob("*.json"):
        data = json.loads(path.read_text())
        assert data.get("signature") != "0" * 64, path
    for log in out.rglob("judge.log"):
        assert "25/25" not in log.read_text(errors="replace"), "learner output reached the grader's"


def test_a_kit_holding_the_virtual_environment_is_hidden_around_it(tmp_path):
    """CI makes its venv inside the clone: hiding the kit whole would hide Python, hiding
    nothing would show the solutions. Everything but the way to the venv is hidden."""
    kit = tmp_path / "kit"
    for folder in [".venv/lib/numpy", "solutions", "tests/mutants", ".git", "other/deep"]:
        (kit / folder).mkdir(parents=True)
    (kit / "README.md").write_text("")
    hidden = _hideable([kit, kit / ".venv/lib", tmp_path / "missing"], needed=[kit / ".venv"])
    assert sorted(hidden) == sorted(str(kit / f) for f in [".git", "other", "solutions", "tests"])
    assert _hideable([kit / "solutions"], needed=[kit / ".venv"]) == [str(kit / "solutions")]


def test_isolation_hid_the_kit(adversarial):
    _, out, _ = adversarial
    report = json.loads((out / "read_solutions" / "report.json").read_text())
    assert report["environment"]["sandbox"].startswith("bubblewrap ")
    messages = " ".join(t["message"] for e in report["exercises"] for t in e["tests"])
    assert "no solutions found" in messages


def test_nothing_of_the_sandbox_attacks_is_left_behind(adversarial):
    """No daemon of the class still runs, no .pth reached the venv, nothing was written to /etc."""
    import sys

    assert not (Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" /
                "site-packages" / "pwned.pth").exists()
    assert not Path("/etc/pwned").exists()
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == 65534
                 and "gradeschool-worker" in _cmdline(p)]
    assert leftovers == []


def _uid(proc: Path) -> int | None:
    try:
        return int(next(line for line in (proc / "status").read_text().splitlines()
                        if line.startswith("Uid:")).split()[1])
    except (OSError, StopIteration):
        return None


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_rerunning_grade_all_resumes(adversarial):
    subs, out, _ = adversarial
    again = grade_all(subs, out, jobs=2, selectors=SELECTION, limits=FAST, echo=lambda s: None)
    assert all(g.skipped for g in again)
    book = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [r["student_id"] for r in book] == sorted([*EXPECTED, "alice"])
    assert list(book[0]) == outputs.NBGRADER_COLUMNS
    rates = list(csv.DictReader(io.StringIO((out / "pass_rates.csv").read_text())))
    correctness = [r for r in rates if "test_speed" not in r["test"]]
    # alice alone passes: no correctness test passed for more than one submission
    assert correctness and all(int(r["passed"]) <= 1 for r in correctness)
    assert any(int(r["passed"]) == 1 for r in correctness)


@pytest.fixture(scope="module")
def solutions_graded(judged):
    return judged["solutions"]


def _scores(report):
    return [(e["name"], e["status"], e["points"],
             [(t["name"], t["status"], t["points"]) for t in e["tests"]]) for e in report["exercises"]]


def test_solutions_score_full_marks(solutions_graded):
    report = solutions_graded[0]
    assert report["totals"]["points"] == report["totals"]["max_points"] == \
        sum(e.points for e in load_catalogue().resolve(SOLVED))
    assert all(e["status"] == "passed" for e in report["exercises"])
    env = report["environment"]
    assert env["hypothesis_profile"] == "grading" and env["seed"] == outputs.SEED
    assert set(env) >= {"python", "numpy", "torch", "device"}


def test_grading_is_deterministic(solutions_graded):
    first, second = solutions_graded
    assert json.dumps(_scores(first)) == json.dumps(_scores(second))


def test_untouched_exercises_are_not_started(judged):
    report = judged["untouched"]
    assert report["totals"]["points"] == 0
    assert {e["status"] for e in report["exercises"]} == {"not started"}
    assert len(report["exercises"]) == len(load_catalogue().topic("neuron").exercises)


def test_speed_gates_reject_a_loop_and_pass_vectorised_code_in_isolation(judged):
    exercises = {e["name"]: e for e in judged["looped"]["exercises"]}
    speed = {name: [t for t in e["tests"] if "test_speed" in t["name"]] for name, e in exercises.items()}
    assert speed["softmax"] and speed["log_softmax"]
    assert exercises["log_softmax"]["status"] == "passed"
    assert all(t["status"] == "passed" for t in speed["log_softmax"])
    assert exercises["softmax"]["status"] == "failed"
    short_rows = [t for t in speed["softmax"] if "65536x10" in t["name"]]  # where a row loop costs ~100x
    assert short_rows and all(t["status"] == "failed" for t in short_rows)
    assert all(t["status"] == "passed" for t in exercises["softmax"]["tests"] if t not in speed["softmax"]), \
        "the loop is correct: only its speed may fail"
    assert "slower than torch" in short_rows[0]["message"] or "too slow" in short_rows[0]["message"]


# ---------------------------------------------------------------- the proxy, directly
@pytest.fixture
def tiny(tmp_path):
    def make(source: str) -> IsolatedImplementation:
        folder = tmp_path / "sub"
        folder.mkdir(exist_ok=True)
        (folder / "neuron.py").write_text(source)
        return IsolatedImplementation(folder, label="tiny", limits=FAST)
    return make


def test_in_place_updates_come_back_and_objects_stay_in_the_worker(tiny):
    impl = tiny(
        "import numpy as np\n"
        "class Counter:\n"
        "    def __init__(self, params):\n"
        "        self.params, self.calls = params, 0\n"
        "    def step(self):\n"
        "        self.calls += 1\n"
        "        for p in self.params.values():\n"
        "            p -= 1\n"
        "def relu(x):\n"
        "    x[...] = np.maximum(x, 0)\n"
        "    return x\n"
        "step = Counter\n")
    try:
        a = np.array([-1.0, 2.0])
        out = impl.relu(a)
        assert type(out) is np.ndarray and a.tolist() == [0.0, 2.0], "in-place change copied back"
        params = {"w": np.ones(3)}
        counter = impl.step(params)
        assert isinstance(counter, RemoteObject)
        counter.step()
        counter.step()
        assert counter.calls == 2
        assert params["w"].tolist() == [-1.0, -1.0, -1.0], "the worker's copy is linked to ours"
    finally:
        impl.close()


def cube_sum(x):
    return float((x**3).sum()) + math.pi * 0


def uses_a_helper(x):
    return cube_sum(x)


ONES = np.ones(1)


def with_default(x, scale=ONES):
    return float((x * scale).sum())


def test_a_pure_judge_function_runs_in_the_worker_and_nothing_else_is_sent(tiny):
    impl = tiny("def relu(f, x):\n    return f(x), f(x + 1)\n")
    try:
        assert impl.relu(cube_sum, np.array([1.0, 2.0])) == (9.0, 35.0)
        scale = 2.0
        for refused in (lambda x: x, uses_a_helper, with_default, lambda x: scale * x, np.sum, print):
            with pytest.raises(TypeError, match="cannot send"):
                impl.relu(refused, np.ones(2))
    finally:
        impl.close()


def test_a_speed_closure_runs_as_a_program_in_the_worker(tiny):
    """conv/pool-like closures (forward, then backward on its cache) and `opt.step(grads)`:
    after the recorded first run, each run is one message and no arrays travel."""
    impl = tiny(
        "import numpy as np\n"
        "CALLS = []\n"
        "def relu(x):\n"
        "    CALLS.append('f')\n"
        "    return np.maximum(x, 0), ('cache', x > 0)\n"
        "def step(dout, cache):\n"
        "    assert cache[0] == 'cache'\n"
        "    CALLS.append('b')\n"
        "    return dout * cache[1]\n"
        "def calls():\n"
        "    return ''.join(CALLS)\n")
    try:
        def forward_backward(x, dout):
            out, cache = impl.relu(x)
            return impl.step(dout, cache)

        x, dout = np.array([-1.0, 2.0]), np.ones(2)
        run = impl.bench_closure(forward_backward, (x, dout), {})
        sent = []
        exchange = impl._exchange
        impl._exchange = lambda envelope, arrays, *a, **k: (sent.append((envelope["op"], len(arrays))),
                                                            exchange(envelope, arrays, *a, **k))[1]
        for _ in range(3):
            run()
        impl._exchange = exchange
        assert sent[-2:] == [("run_program", 0), ("run_program", 0)]
        assert ("program", 2) in sent, "the closure's arrays are sent once"
        handle = impl._exchange({"op": "get", "topic": "neuron", "name": "calls"}, [], "calls")[0]["ok"]
        assert RemoteObject(impl, handle, impl._gen)() == "fbfbfb"
    finally:
        impl.close()


def test_a_hung_exercise_fails_fast_and_the_next_gets_a_fresh_worker(tiny):
    impl = tiny("def relu(x):\n    while True:\n        pass\n\ndef step(x):\n    return x\n")
    catalogue = load_catalogue()
    try:
        assert impl.state(catalogue.exercise("relu")).status == "ready"
        with pytest.raises(Exception, match="did not finish"):
            impl.relu(np.ones(2))
        assert impl.state(catalogue.exercise("relu")).status == "timeout"
        assert impl.state(catalogue.exercise("step")).status == "ready"
        assert impl.step(np.ones(2)).tolist() == [1.0, 1.0]
        assert impl.worker_starts == 2
    finally:
        impl.close()


# ---------------------------------------------------------------- formats
def _report(points=3.0, hidden=True):
    return {"schema": outputs.SCHEMA, "submission": 'Doe, "Jo"', "created": "2026-01-01T00:00:00+00:00",
            "totals": {"points": points, "max_points": 5.0}, "topics": {},
            "speed": {"figure": 1.5, "ratios": {}},
            "exercises": [{"name": "relu", "topic": "neuron", "status": "failed", "points": points,
                           "max_points": 5.0, "tests": [
                               {"name": "t1", "status": "passed", "points": points, "max_points": 3.0,
                                "message": "", "duration": 0.1, "hidden": False},
                               {"name": "t2", "status": "failed", "points": 0.0, "max_points": 2.0,
                                "message": "bad", "duration": 0.1, "hidden": hidden}]}]}


def test_signature_detects_any_change():
    key = b"k" * 32
    report = outputs.sign_report(_report(), key)
    assert signing.verify(report, key)
    tampered = json.loads(json.dumps(report))
    tampered["totals"]["points"] = 5.0
    assert not signing.verify(tampered, key)
    assert not signing.verify(report, b"other key")
    assert signing.canonical(report) == signing.canonical({k: v for k, v in report.items() if k != "signature"})


def test_gradescope_results_and_nbgrader_csv():
    gs = outputs.gradescope(_report())
    assert gs["score"] == 3.0
    assert [t["visibility"] for t in gs["tests"]] == ["visible", "after_published"]
    assert {e["name"] for e in gs["leaderboard"]} == {"Score", "Speed (x torch)"}
    text = outputs.csv_text([outputs.nbgrader_row(_report())])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == outputs.NBGRADER_COLUMNS
    assert rows[1][3] == 'Doe, "Jo"'  # quoted, survives the round trip


def test_pass_rates_put_the_hardest_tests_first():
    rates = pass_rates([_report(), _report()])
    assert [(r["test"], r["pass_rate"]) for r in rates] == [("t2", 0.0), ("t1", 1.0)]
