"""One shard of the roster graded by the course itself.

Each repository is fetched at its latest pushed commit (a shallow clone of its default
branch, symbolic links checked out as plain files, nothing of it run), and its
`exercises/` topic modules are graded by `gradeschool.grading.supervise.grade_one` of the
course's own, pinned copy of the kit: the student's copy of the grader, its tests and
its workflow play no part, so an edited oracle or a forged report changes nothing. The
report (signed with the course key) goes to `OUT/<pseudonym>/report.json`, with
`source.json` saying which commit was graded. A repository that cannot be fetched gets
no report this time (the participant keeps their earlier best) and a warning; one whose
exercises are unchanged since the participant's last stored report (same files, kit
version and selection; `--db`) is not graded again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gradeschool.classroom.roster import Participant
from gradeschool.core.render import fmt_points

URL_ENV = "GRADESCHOOL_REPO_URL"
DEFAULT_URL = "https://github.com/{repo}.git"
FETCH_TIMEOUT_S = 300


class FetchError(RuntimeError):
    """A repository could not be fetched."""


@dataclass
class Collected:
    participant: Participant
    commit: str | None
    report: dict | None
    problem: str = ""


def fetch(repo: str, url_template: str, dest: Path) -> str:
    """Shallow-clone `repo` (its default branch) into `dest`; returns the commit."""
    url = url_template.replace("{repo}", repo)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
    command = ["git", "-c", "core.symlinks=false", "-c", "protocol.file.allow=always", "clone",
               "--quiet", "--depth", "1", "--no-tags", "--", url, str(dest)]
    try:
        run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=FETCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise FetchError(f"{repo}: fetching took over {FETCH_TIMEOUT_S} s") from None
    if run.returncode != 0:
        # the URL may carry a token: say which repository, never the URL
        raise FetchError(f"{repo}: git clone failed ({run.stderr.strip().splitlines()[-1:] or ['?']})"
                         .replace(url, repo))
    head = subprocess.run(["git", "-C", str(dest), "rev-parse", "HEAD"], capture_output=True, text=True)
    return head.stdout.strip()


def _submission(clone: Path) -> Path:
    """The topic modules of a clone: regular files only (a symbolic link could point into
    the course's own checkout)."""
    folder = clone / "exercises"
    safe = clone.parent / f"{clone.name}-modules"
    safe.mkdir()
    if folder.is_dir() and not folder.is_symlink():
        for path in folder.glob("*.py"):
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, safe / path.name)
    return safe


def last_graded(db: Path | None) -> dict[str, str]:
    """Each participant's latest graded submission in the leaderboard database, as
    leaderboard.store.fingerprint gives it (none yet, or unreadable: {}: grade everyone)."""
    import sqlite3

    from gradeschool.leaderboard.store import Leaderboard

    if db is None or not Path(db).is_file():
        return {}
    try:
        with Leaderboard(db, key=b"unused: only read") as board:
            return board.fingerprints()
    except sqlite3.Error:
        return {}


def _unchanged(previous: str | None, digest: str, selectors: list[str]) -> bool:
    from gradeschool.core.version import kit_version
    from gradeschool.leaderboard.store import fingerprint

    now = {"submission_digest": digest, "kit_version": kit_version(), "selection": sorted(selectors)}
    return previous is not None and previous == fingerprint(now)


def bind_report(report: dict, name: str, path: Path) -> dict:
    """The report bound to the participant's pseudonym with the course key (the leaderboard
    then refuses it under any other name) and written back to `path`."""
    from gradeschool.grading.outputs import write_json
    from gradeschool.grading.signing import load_key
    from gradeschool.leaderboard.verify import SubmissionError, bind

    try:
        bound = bind(report, name, load_key())
    except SubmissionError:
        return report  # not a signed report: publish refuses it and says why
    write_json(path, bound)
    return bound


def collect(participants: list[Participant], out: Path, selectors: list[str] = (),
            url_template: str | None = None, jobs: int = 2, limits=None, db: Path | None = None,
            echo=print) -> list[Collected]:
    """Fetch and grade each participant's repository; reports into `out/<pseudonym>/`."""
    from gradeschool.grading.supervise import digest, grade_one

    previous = last_graded(db)

    url_template = url_template or os.environ.get(URL_ENV) or DEFAULT_URL
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gradeschool-collect-"))

    def one(p: Participant) -> Collected:
        clone = work / f"{p.line}"
        try:
            commit = fetch(p.repo, url_template, clone)
        except FetchError as err:
            echo(f"::warning::{p.name}: {err}: no new report this time")
            return Collected(p, None, None, str(err))
        target = out / p.name
        modules = _submission(clone)
        if _unchanged(previous.get(p.name), digest(modules), list(selectors)):
            echo(f"{p.name}: {p.repo}@{commit[:12]}: unchanged since its last grading")
            return Collected(p, commit, None, "unchanged")
        report = bind_report(grade_one(modules, target, list(selectors), label=p.name, limits=limits),
                             p.name, target / "report.json")
        (target / "source.json").write_text(json.dumps(
            {"repository": p.repo, "commit": commit,
             "fetched": datetime.now(UTC).isoformat(timespec="seconds")}, indent=1) + "\n", encoding="utf-8")
        shutil.rmtree(clone, ignore_errors=True)
        t = report["totals"]
        echo(f"{p.name}: {p.repo}@{commit[:12]}: {fmt_points(t['points'])}/{fmt_points(t['max_points'])} points")
        return Collected(p, commit, report)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, participants))
    finally:
        shutil.rmtree(work, ignore_errors=True)
