"""What a grading run writes: report.json (the kit's schema, signed), results.json
(Gradescope's autograder format), a line of CSV in `nbgrader export`'s layout and the
GitHub Classroom summary line. The schema is documented in the README (`grading`)."""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.render import fmt_points
from gradeschool.core.results import PASSED, TestResult, by_exercise, is_speed_test, score_tests
from gradeschool.core.version import kit_version
from gradeschool.grading import signing

SCHEMA = "gradeschool-report/1"
SEED = 0
HYPOTHESIS_PROFILE = "grading"
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]
TEST_KEYS = ("name", "status", "points", "max_points", "message", "duration", "hidden")
MAX_MESSAGE = 4000  # characters of a test's message in the reports (learner text is in it)
MAX_LABEL = 200


def environment(device: str = "cpu", sandbox: dict | None = None) -> dict:
    """Versions, the Hypothesis profile and seed, and how learner code was isolated: the
    sandbox's describe() (gradeschool.grading.sandbox), or {"tool": "none", ...}."""
    from importlib.metadata import PackageNotFoundError, version

    import numpy

    try:
        torch = version("torch")
    except PackageNotFoundError:
        torch = "unknown"
    return {"python": platform.python_version(), "numpy": numpy.__version__, "torch": torch,
            "device": device, "hypothesis_profile": HYPOTHESIS_PROFILE, "seed": SEED,
            "sandbox": sandbox if sandbox is not None else {"tool": "none", "isolation": "not graded"}}


def graded_in_sandbox(report: dict) -> bool:
    """Whether the report says its learner code ran in the bubblewrap sandbox."""
    env = report.get("environment")
    sandbox = env.get("sandbox") if isinstance(env, dict) else None
    return isinstance(sandbox, dict) and sandbox.get("tool") == "bubblewrap"


def clip_text(text: str, limit: int = MAX_MESSAGE) -> str:
    """At most `limit` characters (learner text ends up in messages)."""
    return text if len(text) <= limit else text[: limit - 40] + f" ...[{len(text) - limit + 40} characters cut]"


def test_name(nodeid: str) -> str:
    """`tests/test_neuron.py::test_softmax_matches_torch[cpu]` without the folder."""
    return nodeid.split("/")[-1]


def _round(x: float) -> float:
    return round(float(x), 4)


def speed_summary(groups) -> dict:
    """Geometric mean of the speed ratios vs torch, counting only exercises whose other
    (correctness) tests all pass; null when there is none."""
    ratios: dict[str, float] = {}
    counted: list[float] = []
    for g in groups:
        correct = [t for t in g.counted if not is_speed_test(t)]
        ok = bool(correct) and all(t.outcome == PASSED for t in correct)
        for t in g.counted:
            if t.speed_ratio is not None and t.speed_ratio > 0 and math.isfinite(t.speed_ratio):
                ratios[test_name(t.nodeid)] = _round(t.speed_ratio)
                if ok:
                    counted.append(t.speed_ratio)
    figure = math.exp(sum(math.log(r) for r in counted) / len(counted)) if counted else None
    return {"figure": None if figure is None else _round(figure), "ratios": ratios}


def build_report(results: list[TestResult], exercises: list[Exercise], label: str,
                 env: dict | None = None, extra: dict | None = None,
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
        tests = []
        earned = 0.0
        for s in sorted(score_tests(e, g.tests), key=lambda s: s.test.nodeid):
            x = s.test
            earned += s.earned
            tests.append({
                "name": test_name(x.nodeid), "status": x.outcome,
                "points": _round(s.earned), "max_points": _round(s.share),
                "message": clip_text(s.note or x.message), "duration": _round(x.duration), "hidden": bool(x.hidden),
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
        "submission": clip_text(label, MAX_LABEL),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {"points": _round(sum(t["points"] for t in topics.values())),
                   "max_points": _round(sum(t["max_points"] for t in topics.values()))},
        "topics": topics,
        "exercises": rows,
        "speed": speed_summary(groups),
        "environment": env if env is not None else environment(),
    }
    report.update(extra or {})
    return report


def failed_report(exercises: list[Exercise], label: str, status: str, message: str,
                  extra: dict | None = None, env: dict | None = None) -> dict:
    """A report for a submission whose grading could not run at all: every exercise gets
    0 points with `status` and `message`."""
    results = [TestResult(nodeid=f"grading::{e.name}", exercise=e.name, topic=e.topic, weight=1.0,
                          outcome=status, message=message) for e in exercises]
    return build_report(results, exercises, label, env=env, extra=extra)


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


def allocate(total: float, weights: list[float], places: int = 4) -> list[float]:
    """`total` split in proportion to `weights`, each share rounded to `places` decimals by
    the largest-remainder method, so that the shares add up to `total` exactly."""
    unit = 10 ** places
    units = round(total * unit)
    whole = sum(weights)
    if not weights or whole <= 0:
        return [0.0] * len(weights)
    exact = [units * w / whole for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:units - sum(shares)]:
        shares[i] += 1
    return [s / unit for s in shares]


def _gradescope_rows(e: dict, number: str) -> list[dict]:
    """An exercise's rows: one for its visible tests, one for its hidden tests (shown after
    publishing); each test's share of the points (largest remainder) in the output."""
    tests = e["tests"] or [{"name": e["name"], "status": e["status"], "points": e["points"],
                            "max_points": e["max_points"], "message": "", "hidden": False}]
    shares = allocate(e["max_points"], [t["max_points"] for t in tests])
    rows = []
    for hidden in (False, True):
        mine = [(t, share) for t, share in zip(tests, shares, strict=True) if bool(t.get("hidden")) == hidden]
        if not mine:
            continue
        earned = sum(round(share * 10**4) for t, share in mine if t["points"] > 0) / 10**4
        most = sum(round(share * 10**4) for _, share in mine) / 10**4
        width = max(len(t["name"]) for t, _ in mine)
        lines = [f"{t['status']:<8} {t['name']:<{width}} {share if t['points'] > 0 else 0:.4f}/{share:.4f}"
                 + (f"\n         {t['message']}" if t.get("message") else "") for t, share in mine]
        rows.append({
            "name": f"{e['topic']} · {e['name']}" + (" (hidden tests)" if hidden else ""),
            "number": number + (".h" if hidden else ""),
            "score": earned, "max_score": most,
            "status": "passed" if all(t["status"] == PASSED for t, _ in mine) else "failed",
            "output": f"{'hidden tests' if hidden else e['status']}: {fmt_points(earned)}/{fmt_points(most)} points\n"
                      + "\n".join(lines),
            "visibility": "after_published" if hidden else "visible",
            "tags": [e["topic"], e["name"]],
        })
    return rows


def gradescope(report: dict, execution_time: float | None = None) -> dict:
    """Gradescope's autograder results.json: one row per exercise (and one for its hidden
    tests, shown after publishing) whose maxima add up exactly to the exercise's points,
    each test's share and message in the row's output; leaderboard entries (score, and
    the speed figure: lower is better)."""
    tests = []
    topics: dict[str, list[int]] = {}  # topic -> [its number, exercises so far]
    for e in report["exercises"]:
        t = topics.setdefault(e["topic"], [len(topics) + 1, 0])
        t[1] += 1
        tests += _gradescope_rows(e, f"{t[0]}.{t[1]}")
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
    return f"Points {fmt_points(t['points'])}/{fmt_points(t['max_points'])}"


def nbgrader_row(report: dict, assignment: str = "gradeschool", student_id: str | None = None) -> dict:
    points = report["totals"]["points"]
    return {"assignment": assignment, "duedate": "", "timestamp": report.get("created", ""),
            "student_id": student_id or report["submission"], "last_name": "", "first_name": "",
            "email": "", "raw_score": points, "late_submission_penalty": 0.0, "score": points,
            "max_score": report["totals"]["max_points"]}


def csv_text(rows: list[dict], header: bool = True) -> str:
    """nbgrader-export rows as CSV; a cell a spreadsheet would run as a formula is
    neutralised (gradeschool.course.csvcells)."""
    from gradeschool.course.csvcells import csv_text as safe_csv_text

    return safe_csv_text(rows, NBGRADER_COLUMNS, header)


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
