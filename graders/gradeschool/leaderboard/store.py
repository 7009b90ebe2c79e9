"""The leaderboard's SQLite store: every verified submission is kept (history is never
lost); each participant is ranked by their best one.

Ranking: points (more first), then the speed figure (the geometric mean of the benchmark
ratios vs torch over the exercises whose correctness tests pass; lower is faster; none
ranks last), then the earliest grading time. A report is accepted only when it parses, is
signed with the course key, is internally consistent, comes from a known kit version and
has not been submitted before; otherwise nothing changes."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = "gradeschool-report/1"
NAME = re.compile(r"^\w[\w .\-]{0,31}$")
TOLERANCE = 1e-3  # reports round points to 4 decimals

DDL = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    speed REAL,
    graded_at TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    kit_version TEXT NOT NULL,
    topics TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    report TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_name ON submissions (name);
"""


class SubmissionError(ValueError):
    """A report was rejected; the database is unchanged."""


class DuplicateSubmission(SubmissionError):
    """The very same report is already stored."""


@dataclass
class Entry:
    """One stored submission (`rank` and `submissions` are set in the standings)."""

    id: int
    name: str
    points: float
    max_points: float
    speed: float | None
    graded_at: str
    kit_version: str
    topics: dict[str, dict[str, float]] = field(default_factory=dict)
    rank: int = 0
    submissions: int = 1

    def sort_key(self) -> tuple:
        speed = self.speed if self.speed is not None else math.inf
        return (-self.points, speed, self.graded_at, self.id)


def content_hash(report: dict) -> str:
    """SHA-256 of the report's canonical JSON (signature included)."""
    text = json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SubmissionError(f"{what} is not a number: {value!r}")
    return float(value)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(b))


def check_consistency(report: dict) -> None:
    """Totals and topics must add up from the exercises, and points stay within bounds."""
    exercises = report.get("exercises")
    totals, topics = report.get("totals"), report.get("topics")
    if not isinstance(exercises, list) or not isinstance(totals, dict) or not isinstance(topics, dict):
        raise SubmissionError("the report lacks its totals, topics or exercises")
    per_topic: dict[str, list[float]] = {}
    for e in exercises:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str) or not isinstance(e.get("topic"), str):
            raise SubmissionError("an exercise entry has no name or topic")
        p = _number(e.get("points"), f"points of {e['name']}")
        m = _number(e.get("max_points"), f"max_points of {e['name']}")
        if p < -TOLERANCE or p > m + TOLERANCE:
            raise SubmissionError(f"{e['name']}: {p:g} points of {m:g} is impossible")
        acc = per_topic.setdefault(e["topic"], [0.0, 0.0])
        acc[0] += p
        acc[1] += m
    if set(per_topic) != set(topics):
        raise SubmissionError("the topics do not match the exercises' topics")
    for t, (p, m) in per_topic.items():
        got = topics[t] if isinstance(topics[t], dict) else {}
        if not (_close(_number(got.get("points"), f"points of {t}"), p)
                and _close(_number(got.get("max_points"), f"max_points of {t}"), m)):
            raise SubmissionError(f"topic {t}: its points do not add up from its exercises")
    points = _number(totals.get("points"), "totals.points")
    max_points = _number(totals.get("max_points"), "totals.max_points")
    if not (_close(points, sum(p for p, _ in per_topic.values()))
            and _close(max_points, sum(m for _, m in per_topic.values()))):
        raise SubmissionError("totals do not add up from the exercises")
    speed = report.get("speed")
    if not isinstance(speed, dict) or "figure" not in speed:
        raise SubmissionError("the report has no speed figure (null when there is none)")
    if speed["figure"] is not None and _number(speed["figure"], "speed.figure") <= 0:
        raise SubmissionError("the speed figure must be positive")


def _known_versions(extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    from gradeschool.grading.outputs import kit_version

    return {kit_version(), *extra}


def _parse_time(text: Any) -> str:
    if not isinstance(text, str):
        raise SubmissionError("the report has no creation time")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SubmissionError(f"the creation time {text!r} is not an ISO date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _default_key() -> bytes:
    from gradeschool.grading import signing

    if not os.environ.get(signing.KEY_ENV) and not signing.key_path().is_file():
        raise SubmissionError(f"no signing key: set ${signing.KEY_ENV} to the course's key")
    return signing.load_key()


class Leaderboard:
    """`with Leaderboard(path) as board: board.submit_file(...)`."""

    def __init__(self, path: str | Path, key: bytes | None = None):
        self.path = Path(path)
        self._key = key
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.row_factory = sqlite3.Row
        with self.db:
            self.db.executescript(DDL)

    def __enter__(self) -> Leaderboard:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = _default_key()
        return self._key

    # ------------------------------------------------------------ writing
    def submit_file(self, path: str | Path, name: str, accept_versions=()) -> Entry:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise SubmissionError(f"cannot read {path}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise SubmissionError(f"{path} is not UTF-8 text") from None
        try:
            report = json.loads(text)
        except json.JSONDecodeError as err:
            raise SubmissionError(f"{Path(path).name} is not valid JSON ({err.msg}, line {err.lineno})") from None
        return self.submit(report, name, accept_versions)

    def submit(self, report: Any, name: str, accept_versions=()) -> Entry:
        """Verify `report` and store it as a submission of `name`; raises SubmissionError
        (and stores nothing) when it is not acceptable."""
        from gradeschool.grading import signing

        if not isinstance(name, str) or not NAME.match(name) or "@" in name:
            raise SubmissionError(f"{name!r} is not a pseudonym: 1-32 letters, digits, spaces, '.', '-' "
                                  "or '_', starting with a letter or digit (no e-mail addresses or paths)")
        if not isinstance(report, dict):
            raise SubmissionError("a report is a JSON object")
        if report.get("schema") != SCHEMA:
            raise SubmissionError(f"unknown report schema {report.get('schema')!r} (expected {SCHEMA!r})")
        if not signing.verify(report, self.key):
            raise SubmissionError("the signature does not match: the report was edited after grading, "
                                  "or signed with another key")
        version = report.get("kit_version")
        known = _known_versions(tuple(accept_versions))
        if version not in known:
            raise SubmissionError(f"kit version {version!r} is not accepted here "
                                  f"(accepted: {', '.join(sorted(map(str, known)))})")
        check_consistency(report)
        graded_at = _parse_time(report.get("created"))
        digest = content_hash(report)
        stored = {k: v for k, v in report.items() if k != "submission"}  # may hold a real name or path
        values = dict(
            name=name, points=float(report["totals"]["points"]), max_points=float(report["totals"]["max_points"]),
            speed=None if report["speed"]["figure"] is None else float(report["speed"]["figure"]),
            graded_at=graded_at, submitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
            kit_version=version, topics=json.dumps(report["topics"], sort_keys=True),
            content_hash=digest, report=json.dumps(stored, sort_keys=True),
        )
        try:
            with self.db:  # one transaction: all or nothing
                dup = self.db.execute("SELECT id, name FROM submissions WHERE content_hash = ?",
                                      (digest,)).fetchone()
                if dup is not None:
                    raise DuplicateSubmission(f"duplicate: this report is already submission {dup['id']} "
                                          f"(of {dup['name']})")
                cur = self.db.execute(
                    f"INSERT INTO submissions ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                    tuple(values.values()))
        except sqlite3.IntegrityError:
            raise DuplicateSubmission("duplicate: this report is already stored") from None
        return self._entry(self.db.execute("SELECT * FROM submissions WHERE id = ?",
                                           (cur.lastrowid,)).fetchone())

    # ------------------------------------------------------------ reading
    @staticmethod
    def _entry(row: sqlite3.Row) -> Entry:
        return Entry(id=row["id"], name=row["name"], points=row["points"], max_points=row["max_points"],
                     speed=row["speed"], graded_at=row["graded_at"], kit_version=row["kit_version"],
                     topics=json.loads(row["topics"]))

    def entries(self) -> list[Entry]:
        return [self._entry(r) for r in self.db.execute("SELECT * FROM submissions ORDER BY id")]

    def standings(self) -> list[Entry]:
        """Each participant's best submission, ranked."""
        best: dict[str, Entry] = {}
        count: dict[str, int] = {}
        for e in self.entries():
            count[e.name] = count.get(e.name, 0) + 1
            if e.name not in best or e.sort_key() < best[e.name].sort_key():
                best[e.name] = e
        ranked = sorted(best.values(), key=Entry.sort_key)
        for i, e in enumerate(ranked, 1):
            e.rank, e.submissions = i, count[e.name]
        return ranked

    def history(self) -> list[Entry]:
        """Every submission, oldest first (for the chart of points over time)."""
        return sorted(self.entries(), key=lambda e: (e.graded_at, e.id))

    def topics(self) -> list[str]:
        """Topics that appear in the stored reports, in catalogue order."""
        from gradeschool.core.catalogue import load_catalogue

        seen = {t for e in self.entries() for t in e.topics}
        order = load_catalogue().topic_names()
        return sorted(seen, key=lambda t: (order.index(t) if t in order else len(order), t))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
