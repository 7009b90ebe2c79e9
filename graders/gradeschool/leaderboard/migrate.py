"""Bring a leaderboard database up to the current layout, in place and in one transaction.

Layout 1 (before the compact store) kept each report's full JSON, about 70 KB a
submission; its rows are carried over (pseudonym, points, speed, times, topics, digest)
and the reports dropped. A database of the current layout is left as it is."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def _seconds(text: str) -> int:
    when = datetime.fromisoformat(text)
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def migrate(db: sqlite3.Connection, ddl: str, store: Callable[..., int]) -> int:
    """Create the current tables; move layout-1 rows into them with `store(name, report,
    graded_at, digest, submitted_at)`. Returns how many rows were moved."""
    old = "report" in _columns(db, "submissions")
    if old:
        db.execute("BEGIN")  # the caller commits (or rolls back) it all
        db.execute("ALTER TABLE submissions RENAME TO submissions_v1")
        db.execute("DROP INDEX IF EXISTS submissions_by_name")
    for statement in filter(str.strip, ddl.split(";")):
        db.execute(statement)
    if not old:
        return 0
    rows = db.execute("SELECT name, points, max_points, speed, graded_at, submitted_at, kit_version, "
                      "topics, content_hash FROM submissions_v1 ORDER BY id").fetchall()
    for r in rows:
        report = {"totals": {"points": r[1], "max_points": r[2]}, "speed": {"figure": r[3]},
                  "kit_version": r[6], "topics": json.loads(r[7])}
        store(r[0], report, _seconds(r[4]), bytes.fromhex(r[8]), _seconds(r[5]))
    db.execute("DROP TABLE submissions_v1")
    return len(rows)
