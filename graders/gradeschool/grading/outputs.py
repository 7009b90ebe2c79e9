"""What a grading run writes: report.json (the kit's schema, signed), results.json
(Gradescope's autograder format), a line of CSV in `nbgrader export`'s layout and the
GitHub Classroom summary line. The schema is documented in the README (`grading`)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.results import PASSED, TestResult, by_exercise
from gradeschool.grading import signing

SCHEMA = "gradeschool-report/1"
SEED = 0
HYPOTHESIS_PROFILE = "grading"
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]
TEST_KEYS = ("name", "status", "points", "max_points", "message", "duration", "hidden")


def kit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradeschool")
    except PackageNotFoundError:
        return "unknown"


def environment(device: str = "cpu", sandbox: str = "") -> dict:
    import numpy
    import torch

    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "torch": torch.__version__, "device": device, "hypothesis_profile": HYPOTHESIS_PROFILE,
            "seed": SEED, "sandbox": sandbox}


def test_name(nodeid: str) -> str:
    """`tests/test_neuron.py::test_softmax_matches_torch[cpu]` without the folder."""
    return nodeid.split("/")[-1]


def _round(x: float) -> float:
    return round(float(x), 4)


def is_speed_test(t: TestResult) -> bool:
    """A speed gate: it measured a ratio, or failed as too slow."""
    return t.speed_ratio is not None or "slower than torch" in t.message \
        or "is too slow" in t.message


def speed_summary(groups) -> dict:
    """Geometric mean of the speed ratios vs torch, counting only exercises whose other
    (correctness) tests all pass; null when there is none."""
    ratios: dict[str, float] = {}
    counted: list[float] = []
    for g in groups:
        correct = [t for t in g.counted if t.speed_ratio is None]
        ok = bool(correct) and all(t.outcome == PASSED for t in correct)
        for t in g.counted:
            if t.speed_ratio is not None and t.speed_ratio > 0 and math.isfinite(t.speed_ratio):
                ratios[test_name(t.nodeid)] = _round(t.speed_ratio)
                if ok:
                    counted.append(t.speed_ratio)
    figure = math.exp(sum(math.log(r) for r in counted) / len(counted)) if counted else None
    return {"figure": None if figure is None else _round(figure), "ratios": ratios}


def build_report(results: list[TestResult], exercises: list[Exercise], label: str,
                 device: str = "cpu", sandbox: str = "", extra: dict | None = None,
                 untested: dict[str, str] | None = None) -> dict:
    """The report.json dictionary (unsigned). `untested` gives the state ('not started',
    ...) of exercises that have no tests in this kit: an untouched one is 'not started';
    one that is written but has no tests yet counts for 0 of 0 points ('no tests')."""
    catalogue = load_catalogue()
    groups = by_exercise(results, catalogue, only=exercises)
    topics: dict[str, dict] = {}
    rows = []
    for g in groups:
        e = g.exercise
        t = topics.setdefault(e.topic, {"points": 0.0, "max_points": 0.0})
        total_weight = sum(x.weight for x in g.counted) or 1.0
        correct = all(x.outcome == PASSED for x in g.counted if not is_speed_test(x))
        tests = []
        earned = 0.0
        for x in sorted(g.tests, key=lambda x: x.nodeid):
            share = e.points * x.weight / total_weight if x.outcome != "skipped" else 0.0
            counts = x.outcome == PASSED and (correct or not is_speed_test(x))
            message = x.message if counts or x.outcome != PASSED else \
                "fast enough, but a speed test counts only once the exercise's other tests pass"
            earned += share if counts else 0.0
            tests.append({
                "name": test_name(x.nodeid), "status": x.outcome,
                "points": _round(share if counts else 0.0), "max_points": _round(share),
                "message": message, "duration": _round(x.duration), "hidden": bool(x.hidden),
            })
        t["points"] += earned
        t["max_points"] += e.points
        status, max_points = g.status, e.points
        if status == "no tests":
            status = (untested or {}).get(e.name, "no tests")
            if status in ("ready", "no tests"):
                status, max_points = "no tests", 0.0
        t["max_points"] += max_points - e.points
        rows.append({"name": e.name, "topic": e.topic, "status": status, "points": _round(earned),
                     "max_points": _round(max_points), "tests": tests})
    for t in topics.values():
        t["points"], t["max_points"] = _round(t["points"]), _round(t["max_points"])
    report = {
        "schema": SCHEMA,
        "kit_version": kit_version(),
        "submission": label,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {"points": _round(sum(t["points"] for t in topics.values())),
                   "max_points": _round(sum(t["max_points"] for t in topics.values()))},
        "topics": topics,
        "exercises": rows,
        "speed": speed_summary(groups),
        "environment": environment(device, sandbox),
    }
    report.update(extra or {})
    return report


def failed_report(exercises: list[Exercise], label: str, status: str, message: str,
                  extra: dict | None = None) -> dict:
    """A report for a submission whose grading could not run at all: every exercise gets
    0 points with `status` and `message`."""
    results = [TestResult(nodeid=f"grading::{e.name}", exercise=e.name, topic=e.topic, weight=1.0,
                          outcome=status, message=message) for e in exercises]
    return build_report(results, exercises, label, extra=extra)


def sign_report(report: dict, key: bytes | None = None) -> dict:
    report = dict(report)
    report.pop("signature", None)
    report["signature"] = signing.sign(report, key if key is not None else signing.load_key())
    return report


def is_complete(report: dict, key: bytes | None = None) -> bool:
    """A signed report of this schema (what resuming grade-all trusts)."""
    try:
        return report.get("schema") == SCHEMA and signing.verify(
            report, key if key is not None else signing.load_key())
    except Exception:  # noqa: BLE001 - any malformed report is incomplete
        return False


def gradescope(report: dict, execution_time: float | None = None) -> dict:
    """Gradescope's autograder results.json: per-test scores (hidden tests after publishing)
    and leaderboard entries (score, and the speed figure: lower is better)."""
    tests = []
    for e in report["exercises"]:
        for t in e["tests"] or [{"name": e["name"], "status": e["status"], "points": e["points"],
                                 "max_points": e["max_points"], "message": "", "hidden": False}]:
            tests.append({
                "name": f"{e['name']}: {t['name']}",
                "score": t["points"], "max_score": t["max_points"],
                "status": "passed" if t["status"] == PASSED else "failed",
                "output": f"{t['status']}" + (f"\n{t['message']}" if t.get("message") else ""),
                "visibility": "after_published" if t.get("hidden") else "visible",
                "tags": [e["topic"], e["name"]],
            })
    speed = report["speed"]["figure"]
    leaderboard = [{"name": "Score", "value": report["totals"]["points"], "order": "desc"}]
    leaderboard.append({"name": "Speed (x torch)", "value": speed if speed is not None else "-",
                        "order": "asc"})
    out = {"score": report["totals"]["points"],
           "output": points_line(report),
           "stdout_visibility": "hidden",
           "tests": tests, "leaderboard": leaderboard}
    if execution_time is not None:
        out["execution_time"] = round(execution_time, 1)
    return out


def points_line(report: dict) -> str:
    """GitHub Classroom's summary line."""
    t = report["totals"]
    return f"Points {_fmt(t['points'])}/{_fmt(t['max_points'])}"


def _fmt(x: float) -> str:
    return f"{x:.4g}" if x != int(x) else str(int(x))


def nbgrader_row(report: dict, assignment: str = "gradeschool", student_id: str | None = None) -> dict:
    points = report["totals"]["points"]
    return {"assignment": assignment, "duedate": "", "timestamp": report.get("created", ""),
            "student_id": student_id or report["submission"], "last_name": "", "first_name": "",
            "email": "", "raw_score": points, "late_submission_penalty": 0.0, "score": points,
            "max_score": report["totals"]["max_points"]}


def csv_text(rows: list[dict], header: bool = True) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=NBGRADER_COLUMNS, lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_json(path: Path, data: dict) -> None:
    """Write atomically (a half-written report is never seen as complete)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False, allow_nan=False) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


def write_outputs(report: dict, out: Path, execution_time: float | None = None) -> dict:
    """Sign and write report.json, results.json and grades.csv into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    report = sign_report(report)
    write_json(out / "report.json", report)
    write_json(out / "results.json", gradescope(report, execution_time))
    (out / "grades.csv").write_text(csv_text([nbgrader_row(report)]), encoding="utf-8")
    return report
