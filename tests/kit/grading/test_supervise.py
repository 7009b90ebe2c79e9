"""The supervisor: the judge never holds the key, its findings are checked and scored by
the supervisor (never trusted as they are), a disturbed grading says so and is graded
again on resume, and the report names the sandbox (or says there was none)."""

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import solutions_dir
from gradeschool.grading import findings, judge, outputs, signing, supervise
from gradeschool.grading.process import Limits
from gradeschool.grading.sandbox import SandboxUnavailable

pytestmark = pytest.mark.kit

SELECTION = ["relu"]
EXERCISES = load_catalogue().resolve(SELECTION)
RELU = EXERCISES[0]


def _findings(**change) -> dict:
    """Findings as a judge writes them: relu's two tests passed."""
    results = [{"nodeid": f"tests/topics/test_neuron.py::test_relu[{i}]", "exercise": "relu", "topic": "neuron",
                "weight": 1.0, "outcome": "passed", "message": "", "duration": 0.1, "hidden": False,
                "speed_ratio": None, "speed": False} for i in range(2)]
    data = {"results": results, "untested": {},
            "environment": {"python": "3.11", "numpy": "2", "torch": "2", "device": "cpu",
                            "hypothesis_profile": "grading", "seed": 0, "sandbox": {"tool": "forged"}},
            "grading": {"worker_starts": 1, "disturbed": []}}
    data.update(change)
    return data


def fake_judge(monkeypatch, code: str, env_file: Path | None = None) -> None:
    """Replace the judge by `python -c code`: its findings file is sys.argv[1], sys.argv[2]
    a file for what it wants to show (its environment)."""
    def command(sub, result, label, selectors, limits, refused, sandboxed):
        return [sys.executable, "-c", textwrap.dedent(code), str(result), str(env_file or result.with_name("env.json"))]
    monkeypatch.setattr(supervise, "_judge_command", command)


@pytest.fixture
def submission(tmp_path):
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "neuron.py").write_text((solutions_dir() / "neuron.py").read_text())
    return sub


def writes(data: dict) -> str:
    """A fake judge that shows its environment and writes `data` as its findings."""
    return ("import json, os, sys\n"
            "json.dump(dict(os.environ), open(sys.argv[2], 'w'))\n"
            f"open(sys.argv[1], 'w').write({json.dumps(data)!r})\n")


def test_the_judge_runs_without_the_key_and_the_supervisor_signs(tmp_path, submission, monkeypatch):
    monkeypatch.setenv(signing.KEY_ENV, "course-secret-0123456789")
    fake_judge(monkeypatch, writes(_findings()), tmp_path / "env.json")
    report = supervise.grade_one(submission, tmp_path / "out", SELECTION)
    seen = json.loads((tmp_path / "env.json").read_text())
    assert signing.KEY_ENV not in seen and "course-secret-0123456789" not in json.dumps(seen)
    assert signing.verify(report, b"course-secret-0123456789")
    assert report["totals"] == {"points": RELU.points, "max_points": RELU.points}
    assert report["grading"] == {"worker_starts": 1, "disturbed": []}
    assert report["environment"]["sandbox"]["tool"] == "bubblewrap", "the supervisor's own, not the judge's"


def test_the_judge_refuses_to_run_with_the_key(monkeypatch, tmp_path):
    monkeypatch.setenv(signing.KEY_ENV, "x")
    assert judge.main([str(tmp_path), "--result", str(tmp_path / "r.json"), "--label", "x"]) == 2


@pytest.mark.parametrize("change, why", [
    ({"results": [{"exercise": "softmax", "outcome": "passed"}]}, "not graded"),
    ({"results": [dict(_findings()["results"][0], outcome="excellent")]}, "unknown outcome"),
    ({"results": [dict(_findings()["results"][0], weight=1e9)]}, "weight"),
    ({"results": [dict(_findings()["results"][0], speed_ratio=float("nan"))]}, "speed ratio"),
    ({"results": _findings()["results"] * 2}, "twice"),
    ({"untested": {"relu": "passed"}}, "untested"),
], ids=["other-exercise", "outcome", "weight", "ratio", "duplicate", "untested"])
def test_findings_that_do_not_fit_are_refused(change, why):
    with pytest.raises(findings.FindingsRefused, match=why):
        findings.parse(_findings(**change), EXERCISES)


def test_points_are_the_supervisors_and_text_is_capped():
    """Whatever a judge claims beside the outcomes (points, totals, a topic, a huge
    message) does not reach the report: points come from the catalogue."""
    data = _findings(totals={"points": 1e9, "max_points": 1e9})
    data["results"][0].update(topic="losses", points=1e9, message="m" * 10**6)
    found = findings.parse(data, EXERCISES)
    report = outputs.build_report(found.results, EXERCISES, "x", found.environment)
    assert report["totals"] == {"points": RELU.points, "max_points": RELU.points}
    assert all(r.topic == "neuron" for r in found.results)
    assert max(len(t["message"]) for e in report["exercises"] for t in e["tests"]) <= outputs.MAX_MESSAGE


def test_oversized_findings_are_refused(tmp_path):
    path = tmp_path / "judged.json"
    path.write_bytes(b" " * (findings.MAX_BYTES + 1))
    with pytest.raises(findings.FindingsRefused, match="over"):
        findings.read(path, EXERCISES)


DISTURBANCES = {
    "crash": "raise SystemExit(3)",
    "garbage": "open(__import__('sys').argv[1], 'w').write('{\"results\": 5}')",
    "timeout": "import time; time.sleep(60)",
    "no-sandbox": writes(_findings(results=[], untested={"relu": "error"},
                                   grading={"worker_starts": 0, "disturbed": ["no sandbox could be made"]})),
}


@pytest.mark.parametrize("kind", sorted(DISTURBANCES))
def test_a_disturbed_grading_says_so_and_resume_grades_it_again(tmp_path, submission, monkeypatch, kind):
    """A judge that crashes, writes findings that do not fit, runs out of time, or could
    not start a worker or sandbox: the report (signed, 0 points) records it, and resuming
    grade-all does not keep it; an undisturbed report is kept."""
    monkeypatch.setattr(supervise, "JUDGE_OVERHEAD", 1.0)
    limits = Limits(total_timeout=1.0)
    fake_judge(monkeypatch, DISTURBANCES[kind])
    out = tmp_path / "out"
    first = supervise.grade_all(submission.parent, out, selectors=SELECTION, limits=limits, echo=lambda s: None)
    report = first[0].report
    assert report["grading"]["disturbed"] and report["totals"]["points"] == 0
    assert outputs.is_complete(report)
    fake_judge(monkeypatch, writes(_findings()))
    again = supervise.grade_all(submission.parent, out, selectors=SELECTION, limits=limits, echo=lambda s: None)
    assert not again[0].skipped and again[0].report["grading"]["disturbed"] == []
    third = supervise.grade_all(submission.parent, out, selectors=SELECTION, limits=limits, echo=lambda s: None)
    assert third[0].skipped


def test_a_judge_without_a_sandbox_reports_a_disturbed_grading(monkeypatch, tmp_path):
    def unavailable(*args, **kwargs):
        raise SandboxUnavailable("bwrap said: no")
    monkeypatch.setattr(judge, "IsolatedImplementation", unavailable)
    found = judge.judge(tmp_path, SELECTION, "x", Limits())
    assert found["results"] == [] and found["untested"] == {"relu": "error"}
    assert "no sandbox could be made" in found["grading"]["disturbed"][0]


def test_a_worker_that_cannot_start_disturbs_the_grading(tmp_path, submission):
    """A real judge whose workers cannot start (a memory limit too small for Python and
    NumPy): every exercise fails, and the report says the grading was disturbed."""
    report = supervise.grade_one(submission, tmp_path / "out", SELECTION, limits=Limits(memory=48 * 2**20))
    assert report["totals"]["points"] == 0
    assert report["grading"]["disturbed"], report["grading"]
    assert "could not start" in report["grading"]["disturbed"][0] or "start" in report["grading"]["disturbed"][0]


def test_a_report_graded_without_a_sandbox_says_so(tmp_path, submission, monkeypatch):
    fake_judge(monkeypatch, writes(_findings()))
    report = supervise.grade_one(submission, tmp_path / "out", SELECTION, sandboxed=False)
    assert report["environment"]["sandbox"]["tool"] == "none" and "--no-sandbox" in \
        report["environment"]["sandbox"]["isolation"]
    assert not outputs.graded_in_sandbox(report)
    assert os.path.exists(tmp_path / "out" / "report.json")


# a judge that passes relu when the submission's copy holds the solution, fails it otherwise
JUDGE_BY_CONTENT = """
import json, pathlib, sys
solved = "BEGIN SOLUTION" in (pathlib.Path(sys.argv[2]) / "neuron.py").read_text()
data = json.loads(sys.argv[3])
for r in data["results"]:
    r["outcome"] = "passed" if solved else "failed"
open(sys.argv[1], "w").write(json.dumps(data))
"""


def test_every_submission_has_its_own_output_whatever_its_name(tmp_path, monkeypatch):
    """grade-all named each output folder after the submission's stem: `alice.late` wrote
    over `alice`'s report (alice scored the late copy's 0) and a folder `gradebook.csv.x`
    took the name of the class gradebook (grade-all crashed: no gradebook.csv, no
    pass_rates.csv, on every rerun). Now each submission's output has a name of its own."""
    def command(sub, result, label, selectors, limits, refused, sandboxed):
        return [sys.executable, "-c", JUDGE_BY_CONTENT, str(result), str(sub), json.dumps(_findings())]
    monkeypatch.setattr(supervise, "_judge_command", command)
    klass = tmp_path / "class"
    solved = {"alice": True, "alice.late": False, "gradebook.csv.x": False, "pass_rates.csv": True}
    for name, is_solved in solved.items():
        (klass / name).mkdir(parents=True)
        source = solutions_dir() / "neuron.py" if is_solved else solutions_dir().parent / "exercises" / "neuron.py"
        (klass / name / "neuron.py").write_text(source.read_text())
    out = tmp_path / "out"
    graded = supervise.grade_all(klass, out, selectors=SELECTION, echo=lambda s: None)
    points = {g.name: g.report["totals"]["points"] for g in graded}
    assert points == {"alice": RELU.points, "alice.late": 0, "gradebook.csv.x": 0, "pass_rates.csv_": RELU.points}
    for name, got in points.items():
        assert json.loads((out / name / "report.json").read_text())["totals"]["points"] == got
    assert (out / "gradebook.csv").is_file() and (out / "pass_rates.csv").is_file()
    assert len((out / "gradebook.csv").read_text().splitlines()) == 1 + len(solved)


def test_output_names_never_meet(tmp_path):
    """A renamed class file's folder never lands on a folder that has that name already."""
    for name in ["pass_rates.csv", "pass_rates.csv_", "bob", "alice"]:
        (tmp_path / name).mkdir()
    for name in ["alice.ipynb", "carol.ipynb", "gradebook.csv.ipynb"]:
        (tmp_path / name).write_text("{}")
    names = supervise.output_names(supervise.list_submissions(tmp_path))
    assert len(set(names.values())) == len(names) and not set(names.values()) & supervise.CLASS_FILES
    assert {p.name: n for p, n in names.items()} == {
        "alice": "alice", "alice.ipynb": "alice.ipynb", "bob": "bob", "carol.ipynb": "carol",
        "gradebook.csv.ipynb": "gradebook.csv.ipynb", "pass_rates.csv": "pass_rates.csv__",
        "pass_rates.csv_": "pass_rates.csv_"}


def test_the_first_key_survives_threads_racing_for_it(tmp_path, monkeypatch):
    """The nbgrader regrade grades in a thread pool: on a fresh kit its threads created the
    key at once, shared one temporary file name (the process id) and crashed."""
    import threading

    monkeypatch.delenv(signing.KEY_ENV, raising=False)
    monkeypatch.setattr(signing, "key_path", lambda: tmp_path / ".gradeschool" / "key")
    keys, errors = [], []

    def load():
        try:
            keys.append(signing.load_key())
        except Exception as err:  # noqa: BLE001 - the failure is what this test looks for
            errors.append(err)

    threads = [threading.Thread(target=load) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(keys)) == 1 and len(keys) == 16
    assert sorted(os.listdir(tmp_path / ".gradeschool")) == ["key"]
