"""What the leaderboard refuses (issue #11, item 9): a classmate's report replayed under
another pseudonym, look-alike and control-character pseudonyms, points the catalogue does
not give, reports graded without a sandbox; and what it prints stays escaped."""

from __future__ import annotations

import json
import sqlite3

import pytest
from signed_reports import CATALOGUE, KEY, make_report, resign

from gradeschool.cli import main
from gradeschool.grading.signing import KEY_ENV
from gradeschool.leaderboard.render import render_text
from gradeschool.leaderboard.store import Entry, Leaderboard, SubmissionError

pytestmark = pytest.mark.kit

WHEN = "2026-11-01T09:00:00+00:00"


@pytest.fixture()
def board(tmp_path):
    with Leaderboard(tmp_path / "lb.sqlite", key=KEY) as b:
        yield b


# ------------------------------------------------------------------ binding to a pseudonym
def test_a_report_replayed_under_another_pseudonym_is_refused(board):
    alice = make_report(["relu"], 1.0, WHEN, pseudonym="alice")
    with pytest.raises(SubmissionError, match="bound to 'alice'"):
        board.submit(alice, "mallory")
    assert board.count() == 0, "nothing stored"
    board.submit(alice, "alice")  # the owner's own submission is not a duplicate of the replay
    assert [e.name for e in board.standings()] == ["alice"]


def test_the_pseudonym_comes_from_the_signed_report(board):
    entry = board.submit(make_report(["relu"], 1.0, WHEN, pseudonym="alice"))
    assert entry.name == "alice"


def test_an_unbound_report_is_refused_unless_accepted_explicitly(board):
    unbound = make_report(["relu"], 1.0, WHEN, pseudonym=None)
    with pytest.raises(SubmissionError, match="not bound to a pseudonym"):
        board.submit(unbound, "alice")
    assert board.count() == 0
    assert board.submit(unbound, "alice", accept_unbound=True).name == "alice"


def test_bind_puts_the_pseudonym_into_the_signed_report(board):
    from gradeschool.leaderboard.verify import bind

    unbound = make_report(["relu"], 1.0, WHEN, pseudonym=None)
    bound = bind(unbound, "alice", KEY)
    assert bound["pseudonym"] == "alice"
    with pytest.raises(SubmissionError, match="bound to 'alice'"):
        board.submit(bound, "mallory")
    with pytest.raises(SubmissionError, match="already bound to 'alice'"):
        bind(bound, "mallory", KEY)
    with pytest.raises(SubmissionError, match="signature does not match"):
        bind(dict(unbound, totals={"points": 99, "max_points": 99}), "mallory", KEY)


# ------------------------------------------------------------------ pseudonyms
@pytest.mark.parametrize("name", [
    "\u0430da",        # Cyrillic a: looks like "ada"
    "ada\n",           # a trailing newline
    "ada\x1b[31m",     # a terminal escape
    "ad\u200ba",       # a zero-width space
    " ada", "ada ", "", "a@b.org", "../etc/passwd", "x" * 40,
])
def test_look_alike_and_control_pseudonyms_are_refused(board, name):
    with pytest.raises(SubmissionError, match="not a pseudonym"):
        board.submit(make_report(["relu"], 1.0, WHEN, pseudonym=None), name, accept_unbound=True)
    with pytest.raises(SubmissionError, match="not a pseudonym"):
        board.submit(make_report(["relu"], 1.0, WHEN, pseudonym=name))
    assert board.count() == 0


def test_pseudonyms_are_stored_nfkc_normalised(board):
    entry = board.submit(make_report(["relu"], 1.0, WHEN, pseudonym="\uff41\uff44\uff41"))  # fullwidth "ada"
    assert entry.name == "ada"
    again = board.submit(make_report(["relu", "softmax"], 1.0, WHEN, pseudonym="ada"), "\uff41\uff44\uff41")
    assert again.name == "ada" and [e.name for e in board.standings()] == ["ada"]


# ------------------------------------------------------------------ points against the catalogue
def _claim(report: dict, exercise: str, points: float, max_points: float, topic: str | None = None,
           status: str = "passed") -> dict:
    """`report` with one exercise's points and maximum changed (or added), its topic's and
    the totals recomputed so that everything adds up, and signed again."""
    r = json.loads(json.dumps(report))
    rows = [e for e in r["exercises"] if e["name"] != exercise]
    topic = topic or (CATALOGUE.exercise(exercise).topic if exercise in [e.name for e in CATALOGUE.exercises()]
                      else "neuron")
    rows.append({"name": exercise, "topic": topic, "status": status, "points": points,
                 "max_points": max_points, "tests": []})
    r["exercises"] = rows
    r["topics"] = {}
    for e in rows:
        t = r["topics"].setdefault(e["topic"], {"points": 0.0, "max_points": 0.0})
        t["points"] += e["points"]
        t["max_points"] += e["max_points"]
    r["totals"] = {"points": sum(t["points"] for t in r["topics"].values()),
                   "max_points": sum(t["max_points"] for t in r["topics"].values())}
    return resign(r)


@pytest.mark.parametrize("exercise, points, max_points, topic, message", [
    ("relu", 1e9, 1e9, None, "relu is worth 1 point"),
    ("free_points", 5.0, 5.0, None, "no exercise 'free_points'"),
    ("relu", 1.0, 1.0, "losses", "relu belongs to topic neuron"),
    ("relu", 1.0, 1.0, "\x1b[2Jtopic", "relu belongs to topic neuron"),
])
def test_points_the_catalogue_does_not_give_are_refused(board, exercise, points, max_points, topic, message):
    forged = _claim(make_report(["relu"], 1.0, WHEN, pseudonym="mallory"), exercise, points, max_points, topic)
    with pytest.raises(SubmissionError, match=message):
        board.submit(forged)
    assert board.count() == 0


def test_an_exercise_without_tests_may_count_zero_of_zero(board):
    r = _claim(make_report(["relu"], 1.0, WHEN, pseudonym="ada"), "step", 0.0, 0.0, status="no tests")
    assert board.submit(r).points == 1.0
    with pytest.raises(SubmissionError, match="step is worth 1 point, not 0"):
        board.submit(_claim(make_report(["relu"], 1.0, WHEN, pseudonym="bob"), "step", 0.0, 0.0))


# ------------------------------------------------------------------ the sandbox
def test_a_report_graded_without_a_sandbox_is_refused_by_default(board):
    unsafe = make_report(["relu"], 1.0, WHEN, pseudonym="ada",
                         sandbox={"tool": "none", "isolation": "no private mounts"})
    with pytest.raises(SubmissionError, match="graded without a sandbox"):
        board.submit(unsafe)
    assert board.count() == 0
    assert board.submit(unsafe, accept_unsandboxed=True).name == "ada"


# ------------------------------------------------------------------ printing escaped
def test_the_terminal_table_escapes_control_characters():
    rows = [Entry(name="ada\x1b[2J\x1b]0;owned\x07", points=1.0, max_points=2.0, speed=None,
                  graded_at="2026-11-01T09:00:00+00:00\x1b[31m", submissions=1, rank=1,
                  topics={"neuron\x1b[31m": {"points": 1.0, "max_points": 2.0}})]
    text = render_text(rows)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2J" in text, "shown escaped, not dropped"


LAYOUT_1 = """CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
    points REAL NOT NULL, max_points REAL NOT NULL, speed REAL, graded_at TEXT NOT NULL,
    submitted_at TEXT NOT NULL, kit_version TEXT NOT NULL, topics TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE, report TEXT NOT NULL);
CREATE INDEX submissions_by_name ON submissions (name);"""


def test_show_prints_an_old_databases_rows_escaped(tmp_path, capsys):
    """A database of the first layout (full reports, names not checked) is carried over to
    the compact one when opened, and what it holds is printed escaped."""
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as con:
        con.executescript(LAYOUT_1)
        for i, name in enumerate(["ada\x1b[2J", "bob"]):
            con.execute("INSERT INTO submissions (name, points, max_points, speed, graded_at, submitted_at, "
                        "kit_version, topics, content_hash, report) VALUES (?, ?, 4, 1.5, ?, ?, '0.1.0', ?, ?, ?)",
                        (name, 4 - i, f"2026-11-0{i + 1}T09:00:00+00:00", "2026-11-05T09:00:00+00:00",
                         json.dumps({"neuron": {"points": 4 - i, "max_points": 4}}), f"{i:064x}", "{}" * 9999))
    assert main(["leaderboard", "show", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "ada\\x1b[2J" in out
    with Leaderboard(db, key=KEY) as b:
        assert [(e.name, e.points, e.submissions) for e in b.standings()] == [("ada\x1b[2J", 4, 1), ("bob", 3, 1)]
        assert b.db.execute("SELECT name FROM sqlite_master WHERE name LIKE '%v1%'").fetchall() == []


def test_rejection_messages_are_escaped(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    forged = _claim(make_report(["relu"], 1.0, WHEN, pseudonym="ada"), "\x1b]0;owned\x07", 1e9, 1.0)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(forged))
    assert main(["leaderboard", "submit", str(path), "--db", str(tmp_path / "db.sqlite")]) == 1
    err = capsys.readouterr().err
    assert "rejected" in err and "\x1b" not in err and "\x07" not in err


# ------------------------------------------------------------------ the command line
def test_cli_takes_the_pseudonym_from_the_report_and_refuses_a_mismatch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    db = str(tmp_path / "db.sqlite")
    path = tmp_path / "report.json"
    path.write_text(json.dumps(make_report(["relu"], 1.0, WHEN, pseudonym="alice")))
    assert main(["leaderboard", "submit", str(path), "--name", "mallory", "--db", db]) == 1
    assert "bound to 'alice'" in capsys.readouterr().err
    assert main(["leaderboard", "submit", str(path), "--db", db]) == 0
    assert "of alice" in capsys.readouterr().out
