"""The grading engine: isolated workers, adversarial submissions, reports and their formats."""

import csv
import inspect
import io
import json
import math
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import exercises_dir, kit_root, solutions_dir
from gradeschool.core.results import TestResult, is_speed_test
from gradeschool.grading import outputs, signing
from gradeschool.grading.process import Limits
from gradeschool.grading.supervise import grade_all, grade_one, pass_rates
from gradeschool.harness import presets
from gradeschool.harness.mutants import load_mutants
from gradeschool.harness.runner import run_checks

pytestmark = [pytest.mark.kit, pytest.mark.slow]

SUBMISSIONS = kit_root() / "tests" / "submissions"
# The smallest selection that shows every attack (each submission's functions are all
# attacks) and that the second exercise, after a timeout or a crash, fails too.
SELECTION = ["relu", "step"]
MAX_POINTS = sum(e.points for e in load_catalogue().resolve(SELECTION))
# neuron, and the first exercise of each sequence topic: grading picks new topics up (their hidden tests too)
SOLVED = ["relu", "step", "perceptron_train", "rnn_cell", "embedding"]
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
    "undo_guards": {"error", "failed", "forbidden import"},  # the guards it undoes are not the ones there now
    "kill_others": {"error", "failed"},
    "read_judge_environ": {"error", "failed"},
    "read_classmates_tmp": {"failed"},
    "daemon_fork": {"failed", "error"},
    "fork_bomb": {"failed", "error", "timeout"},
    "write_venv": {"failed"},
    "big_file": {"failed", "error"},
    # over the caps on what learner code may say (huge_line's module is made by `judged`)
    "huge_line": {"error"},
    "huge_message": {"error", "timeout"},  # a 50 MB message takes time to make: over 1 s on a loaded machine
    "forged_reply": {"error"},
    # a second round of attacks, on phase B finished
    "read_key": {"error"},  # nothing to find: the sandbox has no key, the judge none either
    "fake_skip": {"error"},  # exceptions named as pytest's outcomes are not pytest's
    "warning_flood": {"failed"},  # right values, but NumPy-like warnings fail the tests as in-process
    "write_outside": {"error"},  # only the private /tmp takes a file (checked below)
}
# attacks on the speed figure, the kind of a test and in-place updates, graded with SPEED_SELECTION
SPEED_CLASS = {"speed_noop", "speed_cache", "speed_ack_early", "speed_fork", "speed_precompute",
               "speed_defer_commit", "too_slow_message", "zero_weights"}
SPEED_SELECTION = ["softmax", "mlp_forward"]
# graded alone, on the one exercise it attacks (a class's grading of dense_forward costs minutes)
FORGED_UPDATES = ("forged_updates", ["dense_forward"])
HONEST_SPEED = ("bob", "carol")
# the work is done elsewhere: no better figure
MOVED_WORK = {"speed_ack_early", "speed_fork", "speed_precompute", "speed_defer_commit"}
# graded beside the speed class, with the default limits (its answer fits in the worker's memory)
OVER_THE_CAPS = {"huge_output"}

# files that git cannot hold (tests/test_intake.py makes and tests them)
TESTED_ELSEWHERE = {"fifo_module", "device_module", "huge_module", "hardlink_module"}


def test_every_adversarial_submission_is_listed():
    assert sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir()) == \
        sorted({*EXPECTED, *SPEED_CLASS, FORGED_UPDATES[0], *OVER_THE_CAPS, *TESTED_ELSEWHERE})


def huge_line_module() -> str:
    """relu and step raise a TypeError on a line of 1.9 MB (under the intake's 2 MB)."""
    line = "    return x + '" + "x" * (19 * 10**5) + "'\n"
    return f"def relu(x):\n{line}\n\ndef step(x):\n{line}"


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
        if name == "huge_line":
            (subs / name / "neuron.py").write_text(huge_line_module())
        if name in links:
            link, target = links[name]
            (subs / name / link).unlink()
            (subs / name / link).symlink_to(target)
    (subs / "alice").mkdir()
    shutil.copy(solutions_dir() / "neuron.py", subs / "alice" / "neuron.py")
    for name in ("read_solutions", "write_outside"):
        with open(subs / name / "neuron.py", "a") as f:
            f.write(f"\nKIT = {str(kit_root())!r}\n")  # the strongest hint a student could have
    out = tmp_path_factory.mktemp("graded")
    speed_subs = tmp_path_factory.mktemp("speed_class")
    for name in SPEED_CLASS | OVER_THE_CAPS:
        shutil.copytree(SUBMISSIONS / name, speed_subs / name)
    for honest in HONEST_SPEED:  # two honest classmates: the least of their figures is the reference
        (speed_subs / honest).mkdir()
        shutil.copy(solutions_dir() / "neuron.py", speed_subs / honest / "neuron.py")
    speed_out = tmp_path_factory.mktemp("speed_graded")

    def beside():
        solved = [grade_one(solutions_dir(), tmp_path_factory.mktemp("sol"), SOLVED, label="solutions")
                  for _ in range(2)]
        untouched = grade_one(exercises_dir(), tmp_path_factory.mktemp("untouched"), ["neuron"],
                              label="untouched")
        speed = grade_all(speed_subs, speed_out, jobs=1, selectors=SPEED_SELECTION, echo=lambda s: None)
        name, selection = FORGED_UPDATES
        forged = grade_one(SUBMISSIONS / name, tmp_path_factory.mktemp(name), selection, label=name)
        return solved, untouched, {**{g.name: g.report for g in speed}, name: forged}

    with ThreadPoolExecutor(1) as pool:
        others = pool.submit(beside)
        graded = grade_all(subs, out, jobs=2, selectors=SELECTION, limits=FAST, echo=lambda s: None)
        solved, untouched, speed = others.result()
    return {"adversarial": (subs, out, {g.name: g for g in graded}), "solutions": solved,
            "untouched": untouched, "speed": speed}


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


def test_isolation_hid_the_kit(adversarial):
    _, out, _ = adversarial
    report = json.loads((out / "read_solutions" / "report.json").read_text())
    assert report["environment"]["sandbox"]["tool"] == "bubblewrap" and outputs.graded_in_sandbox(report)
    messages = " ".join(t["message"] for e in report["exercises"] for t in e["tests"])
    assert "no solutions found" in messages


def test_nothing_of_the_sandbox_attacks_is_left_behind(adversarial):
    """No daemon of the class still runs, no .pth reached the venv, nothing was written to /etc."""
    import sys

    assert not (Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" /
                "site-packages" / "pwned.pth").exists()
    assert not Path("/etc/pwned").exists()
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == 65534
                 and "gradeschool" in _cmdline(p) and not _under_a_live_grading(p)]
    assert leftovers == []


def _under_a_live_grading(proc: Path) -> bool:
    """Whether a judge or a test run is among the process's ancestors: a worker of a grading
    still under way (another one on this machine), not one left behind by this class,
    whose sandbox (--die-with-parent) would have ended with its judge."""
    pid = proc.name
    for _ in range(64):
        try:
            pid = (Path("/proc") / pid / "stat").read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            return False
        if pid in ("0", "1"):
            return False
        if any(s in _cmdline(Path("/proc") / pid) for s in ("gradeschool.grading.judge", "pytest")):
            return True
    return False


def test_nothing_was_written_outside_the_sandbox(adversarial):
    """write_outside tried the submission's folder, the working folder, home, /root,
    /var/tmp, /dev/shm, /tmp, / and the kit: only the sandbox's private /tmp took a file,
    and it is gone with the sandbox."""
    subs, out, graded = adversarial
    mark = "gradeschool-pwned-write_outside"
    messages = " ".join(t["message"] for e in graded["write_outside"].report["exercises"] for t in e["tests"])
    written = {w for found in re.findall(r"wrote into: \[([^\]]*)\]", messages) for w in found.split(", ")}
    assert written == {"'/tmp'"}, messages[:500]  # /tmp and the home folder, which is /tmp there
    for folder in (subs / "write_outside", out, kit_root(), Path.home(), Path("/root"), Path("/var/tmp"),
                   Path("/dev/shm"), Path("/tmp"), Path("/"), Path("/usr")):
        assert not (folder / mark).exists(), folder


def test_the_key_is_nowhere_to_be_found(adversarial):
    _, _, graded = adversarial
    messages = [t["message"] for e in graded["read_key"].report["exercises"] for t in e["tests"]]
    assert messages and all("found: {}" in m for m in messages if "found:" in m), messages[:3]
    assert any("found: {}" in m for m in messages)


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


def _speed_run(impl, selectors) -> dict[str, TestResult]:
    return {r.nodeid: r for r in run_checks(selectors, impl=impl, preset=presets.judge(), extra=["-m", "bench"])}


ISOLATION_FACTOR = 2.0  # how much slower than in-process, in the same run, a measurement in isolation may be


def test_speed_gates_reject_a_loop_and_pass_vectorised_code_in_isolation(tmp_path):
    """The row-loop mutant of softmax (correct, 60x torch and more on 2048 rows of 4) beside the
    vectorised log_softmax, graded in isolation: the loop fails its gate by far, and the
    vectorised code passes every gate unless the same gates measured in-process right
    after (same machine, same load) are as slow: the isolation costs at most
    ISOLATION_FACTOR, whatever the load. The gates themselves are the topic tests' own."""
    from gradeschool.grading.isolated import IsolatedImplementation

    loop = next(m.obj for m in load_mutants() if m.id == "softmax:row_loop")
    body = "".join(line for line in inspect.getsourcelines(loop)[0] if not line.startswith("@"))
    (tmp_path / "neuron.py").write_text((solutions_dir() / "neuron.py").read_text() + "\n\n" + body)
    impl = IsolatedImplementation(tmp_path, label="row loop")
    try:
        isolated = _speed_run(impl, ["softmax", "log_softmax"])
    finally:
        impl.close()
    local = _speed_run(str(tmp_path), ["log_softmax"])
    short_rows = [r for r in isolated.values() if r.exercise == "softmax" and "2048x4-axis-1" in r.nodeid]
    assert short_rows and all(r.outcome == "failed" for r in short_rows)
    assert all("slower than torch" in r.message or "too slow" in r.message for r in short_rows)
    for r in short_rows:  # over the first-call budget (3x the limit), or measured over the limit
        limit = float(re.search(r"limit (\S+)x", r.message).group(1))
        assert r.speed_ratio is None or r.speed_ratio > limit, (r.speed_ratio, r.message[:300])
    vectorised = {n: r for n, r in isolated.items() if r.exercise == "log_softmax"}
    assert vectorised and set(vectorised) == set(local)
    for nodeid, r in vectorised.items():
        beside = local[nodeid].speed_ratio
        assert r.outcome == "passed" or (r.speed_ratio is not None and beside is not None
                                         and r.speed_ratio <= ISOLATION_FACTOR * beside), \
            (nodeid, r.outcome, r.speed_ratio, beside, r.message[:300])


def test_reports_stay_small_whatever_learner_code_says(adversarial):
    """A 1.9 MB source line quoted in errors, a 50 MB exception message with the worker's
    clipping undone, a forged 64 MB reply: each exercise fails, and the reports stay small
    (today: 115 MB each for the long line; the forged reply grows the judge by gigabytes)."""
    _, out, graded = adversarial
    for name in ("huge_line", "huge_message", "forged_reply"):
        for file in ("report.json", "results.json"):
            assert (out / name / file).stat().st_size < 200_000, (name, file)
        messages = [t["message"] for e in graded[name].report["exercises"] for t in e["tests"]]
        assert all(len(m) <= outputs.MAX_MESSAGE for m in messages)
    forged = " ".join(t["message"] for e in graded["forged_reply"].report["exercises"] for t in e["tests"])
    assert "over the size limits" in forged, forged[:2000]


def test_an_answer_over_the_reply_cap_fails_its_exercise(judged):
    """huge_output answers softmax and mlp_forward with 320 MB: over the wire's cap, read
    no further than the header; each exercise fails and the reports stay small."""
    report = judged["speed"]["huge_output"]
    assert report["totals"]["points"] == 0 and report["speed"]["figure"] is None
    messages = " ".join(t["message"] for e in report["exercises"] for t in e["tests"])
    assert "over the size limits" in messages, messages[:500]
    assert len(json.dumps(report)) < 200_000


@pytest.fixture(scope="module")
def speed_class(judged):
    return judged["speed"]


def _speed_tests(report, exercise="softmax"):
    e = next(e for e in report["exercises"] if e["name"] == exercise)
    return [t for t in e["tests"] if "test_speed" in t["name"]]


@pytest.mark.parametrize("name", sorted(SPEED_CLASS - MOVED_WORK - {"zero_weights"}))
def test_a_faked_speed_earns_no_speed_points_and_no_figure(speed_class, name):
    """Issue 11, finding 8: a no-op swapped in during the warm-up, outputs cached between
    runs, a fast identity whose correctness failures say "is too slow": no speed test earns
    a point, none gives a ratio (today: speed points and a figure of about 0.03)."""
    report = speed_class[name]
    speed = _speed_tests(report)
    assert speed and all(t["points"] == 0 for t in speed), [(t["name"], t["status"]) for t in speed]
    assert report["speed"]["figure"] is None and not any("softmax" in k for k in report["speed"]["ratios"])
    assert all(t["status"] == "failed" and "earns no speed points" in t["message"] for t in speed), \
        [t["message"][:300] for t in speed]


@pytest.mark.parametrize("name", sorted(MOVED_WORK))
def test_work_moved_out_of_the_timed_runs_gives_no_better_figure(speed_class, name):
    """An ack before the work (a background thread), the work in a forked child, every
    output computed as its inputs arrive or when the commitments are asked for: the judge
    counts every process's CPU time, so each gate is refused or measures no better than
    the honest classmates (bob and carol, the solution): over softmax's gates, the geometric
    mean of its ratios is at least a third of the honest ones' (the lesser of the two per
    gate, so that one noisy honest run on a loaded machine cannot make an attack look
    good; a fake that skips the work measures 30x better)."""
    figures = [speed_class[h]["speed"]["ratios"] for h in HONEST_SPEED]
    honest = {t: min(f[t] for f in figures) for t in set.intersection(*map(set, figures))}
    moved = speed_class[name]["speed"]["ratios"]
    both = [t for t in moved if t in honest]
    if both:
        mean = math.exp(sum(math.log(moved[t] / honest[t]) for t in both) / len(both))
        assert mean > 1 / 3, {t: (moved[t], honest[t]) for t in both}


def test_in_place_changes_of_inputs_stay_in_the_worker(speed_class):
    """zero_weights zeroes mlp_forward's weight lists in place: today that made the
    reference the zero network's (full marks); now the judge's arrays are untouched and
    the change itself fails the test, as in-process."""
    report = speed_class["zero_weights"]
    e = next(e for e in report["exercises"] if e["name"] == "mlp_forward")
    assert e["points"] == 0 and e["status"] == "failed"
    assert any("modified an input in place" in t["message"] for t in e["tests"])


def test_the_judge_takes_back_only_what_it_sent_to_be_updated(speed_class):
    """forged_updates marks the speed gate's own input arrays as ones that go back: the
    judge copied its zeros into them, torch was timed and the outputs checked on zeros,
    and a slow dense_forward earned every speed point (2/2, figure 2.8). Now the judge
    copies back only into arrays it sent to a function that updates its arguments."""
    report = speed_class["forged_updates"]
    speed = _speed_tests(report, "dense_forward")
    assert speed and all(t["points"] == 0 for t in speed), [(t["name"], t["status"]) for t in speed]
    assert all("modified an input in place" in t["message"] for t in speed), [t["message"][:200] for t in speed]
    assert report["speed"]["figure"] is None


def test_the_honest_classmate_of_the_speed_attacks_keeps_full_marks(speed_class):
    bob = speed_class["bob"]
    correctness = [t for e in bob["exercises"] for t in e["tests"] if "test_speed" not in t["name"]]
    assert correctness and all(t["status"] == "passed" for t in correctness)
    assert bob["speed"]["figure"] is not None


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


@pytest.mark.parametrize("message", ["raised ValueError: softmax is too slow", "it is 3x slower than torch"])
def test_the_kind_of_a_test_comes_from_its_marker_never_from_its_message(message):
    """A failed correctness test whose message reads like a speed failure is still a
    correctness test: the fast speed test beside it earns nothing (today it did)."""
    softmax = load_catalogue().exercise("softmax")
    results = [TestResult("t.py::test_matches_torch", "softmax", "neuron", 1.0, "error", message),
               TestResult("t.py::test_speed", "softmax", "neuron", 1.0, "passed", speed=True, speed_ratio=0.5)]
    report = outputs.build_report(results, [softmax], "x", env={})
    assert report["totals"]["points"] == 0 and report["speed"]["figure"] is None
    assert is_speed_test(results[1]) and not is_speed_test(results[0])


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
