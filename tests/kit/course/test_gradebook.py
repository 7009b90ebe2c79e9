"""The course's grades on a class folder: due dates, each late policy, an extension, the
three sources of a submission time (git commit, file time, timestamp.txt), a report whose
signature fails, a student who submitted nothing, and the files written (per-topic
gradebook, nbgrader's grades.csv with one assignment per topic, Canvas and LMS CSVs)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gradeschool.cli import main
from gradeschool.course.config import CourseError, load_course
from gradeschool.course.gradebook import course_grades
from gradeschool.grading import outputs
from gradeschool.grading.signing import KEY_ENV

pytestmark = pytest.mark.kit

KEY = b"course-key-for-tests"
COURSE = """
[course]
name = "DL from scratch"
timezone = "Europe/Berlin"
timestamps = "commit"
roster = "roster.csv"

[late]
policy = "per-day"
penalty = 0.1
max_units = 3
grace_minutes = 15

[topics.neuron]
due = "2026-11-15T23:59"
canvas = "Neuron (1234)"

[topics.losses]
due = "2026-11-29T23:59"
late = { policy = "zero" }

[extensions]
bob = { neuron = "+2d" }
"""
ROSTER = """folder,name,id,sis_id,login,section,email
alice,"Liddell, Alice",1001,S1,alice@uni.example,A,alice@uni.example
bob,Bob Dylan,1002,S2,bob@uni.example,A,bob@uni.example
carol,Carol Shaw,1003,S3,carol@uni.example,B,
erin,Erin Hunter,1005,S5,erin@uni.example,B,
"""
RAW = {"neuron": 20.0, "losses": 10.0}
MAX = {"neuron": 25.0, "losses": 24.0}


def _report(label: str, key: bytes = KEY) -> dict:
    body = {"schema": outputs.SCHEMA, "submission": label, "created": "2026-12-01T00:00:00+00:00",
            "totals": {"points": sum(RAW.values()), "max_points": sum(MAX.values())},
            "topics": {t: {"points": RAW[t], "max_points": MAX[t]} for t in RAW}}
    return outputs.sign_report(body, key)


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp()


def _commit(repo: Path, name: str, when: str) -> None:
    (repo / name).write_text("# work\n")
    env = {**os.environ, "GIT_AUTHOR_DATE": when + "+00:00", "GIT_COMMITTER_DATE": when + "+00:00"}
    for cmd in (["add", name], ["-c", "user.name=s", "-c", "user.email=s@x", "commit", "-qm", name]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env, capture_output=True)


@pytest.fixture()
def klass(tmp_path):
    """(course.toml, class folder, grade-all's folder)."""
    (tmp_path / "course.toml").write_text(COURSE)
    (tmp_path / "roster.csv").write_text(ROSTER)
    subs, graded = tmp_path / "class", tmp_path / "graded"
    for folder in ("alice", "bob", "carol", "dave", "frank", "=1+1"):
        (subs / folder).mkdir(parents=True)
        (graded / folder).mkdir(parents=True)
        bad = folder == "dave"
        (graded / folder / "report.json").write_text(json.dumps(_report(folder, b"x" if bad else KEY)))
    subprocess.run(["git", "init", "-q", str(subs / "alice")], check=True)
    _commit(subs / "alice", "neuron.py", "2026-11-14T10:00:00")   # on time
    _commit(subs / "alice", "losses.py", "2026-11-30T10:00:00")   # 11 h late: "zero"
    for folder, times in {"bob": ("2026-11-18T12:00:00", "2026-11-20T10:00:00"),     # late 13 h after +2d
                          "frank": ("2026-11-20T00:00:00", "2026-11-20T00:00:00"),   # 4+ days: over max_units
                          "dave": ("2026-11-01T00:00:00", "2026-11-01T00:00:00"),
                          "=1+1": ("2026-11-15T23:05:00", "2026-11-01T00:00:00")}.items():  # within the grace
        for name, when in zip(("neuron.py", "losses.py"), times, strict=True):
            (subs / folder / name).write_text("# work\n")
            os.utime(subs / folder / name, (_at(when), _at(when)))
    for name in ("neuron.py", "losses.py"):
        (subs / "carol" / name).write_text("# work\n")
    (subs / "carol" / "timestamp.txt").write_text("2026-11-16 03:00:00.000000 UTC\n")  # nbgrader's collect
    return tmp_path / "course.toml", subs, graded


def test_late_policies_extensions_and_timestamps(klass):
    toml, subs, graded = klass
    rows = {r.student.folder: r for r in course_grades(load_course(toml), graded, subs, KEY)}
    got = {f: {t: (g.score, g.penalty, g.stamp.source) for t, g in r.topics.items()} for f, r in rows.items()}
    assert got["alice"] == {"neuron": (20.0, 0.0, "git commit"), "losses": (0.0, 10.0, "git commit")}
    assert got["bob"] == {"neuron": (17.5, 2.5, "file time"), "losses": (10.0, 0.0, "file time")}, \
        "neuron: 13 h after the extended due date is one day at 10% of 25 points"
    assert got["carol"] == {"neuron": (17.5, 2.5, "timestamp.txt"), "losses": (10.0, 0.0, "timestamp.txt")}
    assert got["frank"]["neuron"] == (0.0, 20.0, "file time"), "later than max_units days: 0"
    assert got["=1+1"]["neuron"] == (20.0, 0.0, "file time"), "6 minutes late: within the grace"
    assert rows["dave"].status.startswith("unverified") and rows["dave"].total == 0
    assert rows["erin"].status == "missing" and rows["erin"].total == 0 and rows["erin"].max_points == 49
    assert rows["bob"].topics["neuron"].hours_late == pytest.approx(13.02, abs=0.01)
    assert rows["alice"].student.name == "Liddell, Alice" and rows["alice"].total == 20.0


def test_uncommitted_changes_fall_back_to_the_file_time(klass):
    toml, subs, graded = klass
    (subs / "alice" / "neuron.py").write_text("# changed after the commit\n")
    rows = {r.student.folder: r for r in course_grades(load_course(toml), graded, subs, KEY)}
    assert rows["alice"].topics["neuron"].stamp.source == "file time (uncommitted changes)"


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def test_the_command_writes_the_gradebook_nbgrader_canvas_and_lms_files(klass, monkeypatch, capsys):
    toml, subs, graded = klass
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert main(["course", "gradebook", str(graded), "--course", str(toml), "--submissions", str(subs)]) == 0
    assert "NOT counted (signature): dave" in capsys.readouterr().out
    out = graded / "course"
    book = {r["folder"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    assert book["bob"]["neuron"] == "17.5" and book["bob"]["neuron penalty"] == "2.5"
    assert book["bob"]["neuron time from"] == "file time" and book["bob"]["total"] == "27.5"
    assert "'=1+1" in book, "a folder name that is a formula is neutralised"
    grades = _csv(out / "grades.csv")
    assert grades[0] == outputs.NBGRADER_COLUMNS
    alice = [r for r in grades[1:] if r[3] == "1001"]
    assert [(r[0], r[1], r[4], r[5], r[8], r[9]) for r in alice] == [
        ("neuron", "2026-11-15T22:59:00+00:00", "Liddell", "Alice", "0.0", "20.0"),
        ("losses", "2026-11-29T22:59:00+00:00", "Liddell", "Alice", "10.0", "0.0")], "one assignment per topic"
    canvas = _csv(out / "canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Neuron (1234)",
                         "losses (gradeschool)"]
    assert canvas[1][0] == "Points Possible" and canvas[1][5:] == ["25.0", "24.0"]
    assert ["Liddell, Alice", "1001", "S1", "alice@uni.example", "A", "20.0", "0.0"] in canvas
    lms = _csv(out / "lms.csv")
    assert lms[0] == ["Last Name", "First Name", "Username", "Student ID", "Email", "neuron", "losses"]
    assert ["Dylan", "Bob", "bob@uni.example", "S2", "bob@uni.example", "17.5", "10.0"] in lms


@pytest.mark.parametrize("text, message", [
    ('[topics.nope]\ndue = "2026-01-01T00:00"', "no such topic"),
    ('[late]\npolicy = "sometimes"', "not one of"),
    ('[late]\npenalty = 5', "between 0 and 1"),
    ('[topics.neuron]\ndue = "soon"', "not a date"),
    ('[topics.neuron]\n[extensions]\nbob = { neuron = "+2d" }', "has none"),
    ('[extensions]\nbob = { cnn = "+1d" }', "not an assignment"),
    ('[course]\ntimezone = "Mars/Olympus"', "unknown timezone"),
])
def test_course_file_mistakes_are_explained(tmp_path, text, message):
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(CourseError, match=message):
        load_course(tmp_path / "course.toml")
