"""The shards' reports into the leaderboard, and its page.

Every `REPORTS/<pseudonym>/report.json` is verified and stored (a report already stored
is skipped: the same commit is graded again every hour); one that is refused leaves the
database untouched and is named in a warning. The database is created when there is
none, and the page is written even when nothing is stored yet (an empty leaderboard):
the course workflow's first run has no report at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPORT = "report.json"


@dataclass
class Published:
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def publish(reports: Path, db: Path, page: Path, key: bytes, accept_versions=(), title: str | None = None,
            echo=print) -> Published:
    from gradeschool.leaderboard.page import render_html
    from gradeschool.leaderboard.render import render_text
    from gradeschool.leaderboard.store import DuplicateSubmission, Leaderboard, SubmissionError

    done = Published()
    files = sorted(Path(reports).glob(f"*/{REPORT}")) if Path(reports).is_dir() else []
    with Leaderboard(db, key=key) as board:
        for path in files:
            name = path.parent.name
            try:
                board.submit_file(path, name, accept_versions=accept_versions)
                done.stored.append(name)
            except DuplicateSubmission:
                done.skipped.append(name)
            except SubmissionError as err:
                done.rejected.append((name, str(err)))
                echo(f"::warning::rejected the report of {name}: {err}")
        standings, history, topics = board.standings(), board.history(), board.topics()
    echo(render_text(standings, topics))
    page = Path(page)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render_html(standings, history, topics, **({"title": title} if title else {})),
                    encoding="utf-8")
    echo(f"stored {len(done.stored)}, already stored {len(done.skipped)}, rejected {len(done.rejected)}; "
         f"wrote {page}")
    return done
