"""The leaderboard's SQLite store: every verified submission is kept (history is never
lost), compactly: a course workflow commits the database every hour, and GitHub refuses
files over 100 MB. A row holds what the page and the ranking need (pseudonym id, points,
maximum, speed figure, times as integers, kit version id, points per topic as a compact
text, the report's SHA-256 as 32 bytes), about 200 bytes; the report itself stays where
it was graded (the CI artifact). `tests/kit/leaderboard/test_scale.py` measures it.

Ranking (`standings`; gradeschool.leaderboard.ranking): per-topic progress, then a speed
band, then the time the points were reached. A report is accepted only as
gradeschool.leaderboard.verify says; otherwise nothing changes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gradeschool.leaderboard.ranking import Entry, Submission, rank
from gradeschool.leaderboard.verify import SubmissionError, shown, verify

__all__ = ["DuplicateSubmission", "Entry", "Leaderboard", "Submission", "SubmissionError"]

DDL = """
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    participant INTEGER NOT NULL REFERENCES names (id),
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    speed REAL,
    graded_at INTEGER NOT NULL,
    submitted_at INTEGER NOT NULL,
    kit_version INTEGER NOT NULL REFERENCES names (id),
    topics TEXT NOT NULL,
    digest BLOB NOT NULL UNIQUE
) STRICT;
CREATE TABLE IF NOT EXISTS fingerprints (
    participant INTEGER PRIMARY KEY REFERENCES names (id),
    fingerprint TEXT NOT NULL
) STRICT;
"""
SEP, PAIR = ";", "="  # topics "neuron=25/25;losses=3.5/24"


class DuplicateSubmission(SubmissionError):
    """The very same report is already stored."""


def content_hash(report: dict) -> bytes:
    """SHA-256 of the report's canonical JSON (signature included)."""
    text = json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


def fingerprint(report: dict) -> str:
    """What makes a grading the same: the submission's digest, the kit version and the
    selection of exercises graded."""
    return json.dumps([report.get("submission_digest"), report.get("kit_version"),
                       sorted(report.get("selection") or [])])


def pack_topics(topics: dict[str, dict]) -> str:
    return SEP.join(f"{t}{PAIR}{v['points']:.10g}/{v['max_points']:.10g}" for t, v in topics.items())


def unpack_topics(text: str) -> dict[str, dict[str, float]]:
    out = {}
    for item in filter(None, text.split(SEP)):
        t, _, pm = item.partition(PAIR)
        p, _, m = pm.partition("/")
        out[t] = {"points": float(p), "max_points": float(m)}
    return out


def default_key() -> bytes:
    """The course key ($GRADESCHOOL_KEY or the kit's key file); never a new random one."""
    import os

    from gradeschool.grading import signing

    if not os.environ.get(signing.KEY_ENV) and not signing.key_path().is_file():
        raise SubmissionError(f"no signing key: set ${signing.KEY_ENV} to the course's key")
    return signing.load_key()


class Leaderboard:
    """`with Leaderboard(path) as board: board.submit_file(...)`."""

    def __init__(self, path: str | Path, key: bytes | None = None):
        self.path = Path(path)
        self._key = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.row_factory = sqlite3.Row
        from gradeschool.leaderboard.migrate import migrate

        with self.db:
            moved = migrate(self.db, DDL, self._store)
        if moved:
            self.db.execute("VACUUM")  # give back the space of the old layout's reports

    def __enter__(self) -> Leaderboard:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = default_key()
        return self._key

    # ------------------------------------------------------------ writing
    def submit_file(self, path: str | Path, name: str | None = None, **options) -> Submission:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise SubmissionError(f"cannot read {shown(path)}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise SubmissionError(f"{shown(path)} is not UTF-8 text") from None
        try:
            report = json.loads(text)
        except json.JSONDecodeError as err:
            raise SubmissionError(f"{shown(Path(path).name)} is not valid JSON ({err.msg}, line {err.lineno})") \
                from None
        return self.submit(report, name, **options)

    def submit(self, report: Any, name: str | None = None, accept_versions=(), accept_unbound: bool = False,
               accept_unsandboxed: bool = False) -> Submission:
        """Verify `report` and store it as a submission of the pseudonym it is bound to
        (`name`, when given, must match it); raises SubmissionError (and stores nothing)
        when it is not acceptable (gradeschool.leaderboard.verify)."""
        ok = verify(report, self.key, name, accept_versions, accept_unbound, accept_unsandboxed)
        digest = content_hash(report)
        with self.db:  # one transaction: all or nothing
            dup = self.db.execute("SELECT s.id, n.text FROM submissions s JOIN names n ON n.id = s.participant "
                                  "WHERE digest = ?", (digest,)).fetchone()
            if dup is not None:
                raise DuplicateSubmission(f"duplicate: this report is already submission {dup[0]} "
                                          f"(of {shown(dup[1])})")
            row_id = self._store(ok.name, report, int(ok.graded_at.timestamp()), digest)
        return self.submission(row_id)

    def _name_id(self, text: str) -> int:
        self.db.execute("INSERT OR IGNORE INTO names (text) VALUES (?)", (text,))
        return self.db.execute("SELECT id FROM names WHERE text = ?", (text,)).fetchone()[0]

    def _store(self, name: str, report: dict, graded_at: int, digest: bytes,
               submitted_at: int | None = None) -> int:
        speed = report["speed"]["figure"]
        cur = self.db.execute(
            "INSERT INTO submissions (participant, points, max_points, speed, graded_at, submitted_at, "
            "kit_version, topics, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self._name_id(name), float(report["totals"]["points"]), float(report["totals"]["max_points"]),
             None if speed is None else float(speed), graded_at,
             submitted_at if submitted_at is not None else int(datetime.now(UTC).timestamp()),
             self._name_id(str(report["kit_version"])), pack_topics(report["topics"]), digest))
        if isinstance(report.get("submission_digest"), str):
            self.db.execute("INSERT OR REPLACE INTO fingerprints (participant, fingerprint) VALUES (?, ?)",
                            (self._name_id(name), fingerprint(report)))
        return cur.lastrowid

    def fingerprints(self) -> dict[str, str]:
        """Each participant's latest graded submission, as `fingerprint` gives it: the course
        workflow does not grade an unchanged repository again."""
        rows = self.db.execute("SELECT n.text, f.fingerprint FROM fingerprints f "
                               "JOIN names n ON n.id = f.participant").fetchall()
        return dict(rows)

    # ------------------------------------------------------------ reading
    def entries(self, where: str = "", args: tuple = ()) -> list[Submission]:
        """Every stored submission (or those `where` selects), in the order stored."""
        rows = self.db.execute(
            "SELECT s.id, n.text AS name, s.points, s.max_points, s.speed, s.graded_at, v.text AS version, "
            "s.topics FROM submissions s JOIN names n ON n.id = s.participant "
            f"JOIN names v ON v.id = s.kit_version {where} ORDER BY s.id", args)
        return [Submission(r["id"], r["name"], r["points"], r["max_points"], r["speed"],
                           datetime.fromtimestamp(r["graded_at"], UTC).isoformat(timespec="seconds"),
                           r["version"], unpack_topics(r["topics"])) for r in rows]

    def submission(self, row_id: int) -> Submission:
        return self.entries("WHERE s.id = ?", (row_id,))[0]

    def standings(self) -> list[Entry]:
        """One row per participant, ranked (gradeschool.leaderboard.ranking)."""
        return rank(self.entries())

    def history(self) -> list[Submission]:
        """Every submission, oldest first (for the chart of progress over time)."""
        return sorted(self.entries(), key=lambda e: (e.graded_at, e.id))

    def topics(self) -> list[str]:
        """Topics that appear in the stored reports, in catalogue order."""
        from gradeschool.core.catalogue import load_catalogue

        seen = {t for e in self.entries() for t in e.topics}
        order = load_catalogue().topic_names()
        return sorted(seen, key=lambda t: (order.index(t) if t in order else len(order), t))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
