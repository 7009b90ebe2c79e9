"""When a topic was submitted, and how that is known (stated in the gradebook).

In order of trust:
1. `timestamp.txt` in the submission folder (nbgrader's `collect` writes it; a course's own
   collection script can too): the time the instructor's side received the work;
2. `timestamps = "commit"` (course.toml) and the folder is in a git repository: the
   committer date of the last commit that changed the topic's file. It is the student's
   clock (git lets anyone set it), so for deadlines that matter use 1 or the time the
   course workflow collected the repository. A file with uncommitted changes falls back
   to 3, and says so;
3. `timestamps = "file"`: the file's modification time as it lies in the class folder
   (what the collection left; a copy made without preserving times shows the copy's)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STAMP_FILE = "timestamp.txt"


@dataclass(frozen=True)
class Stamp:
    when: datetime | None
    source: str  # "timestamp.txt", "git commit", "file time", "file time (uncommitted changes)", "missing"


# a student's repository is not trusted: its own configuration must not run anything here
SAFE_GIT = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.untrackedCache=false")


def _git(folder: Path, *args: str) -> str | None:
    try:
        run = subprocess.run(["git", *SAFE_GIT, "-C", str(folder), *args], capture_output=True, text=True,
                             timeout=30, env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1",
                                              "HOME": "/nonexistent", "GIT_TERMINAL_PROMPT": "0"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def _file_time(path: Path) -> datetime:
    return datetime.fromtimestamp(path.lstat().st_mtime, UTC)


def submitted_at(folder: Path, names: list[str], mode: str) -> Stamp:
    """When the first of `names` (a topic's module, then its notebook) that exists in
    `folder` was submitted; `mode` is course.toml's timestamps."""
    stamp = folder / STAMP_FILE
    if stamp.is_file() and not stamp.is_symlink():
        try:
            text = stamp.read_text(encoding="utf-8").strip().removesuffix(" UTC")
            when = datetime.fromisoformat(text.replace(" ", "T", 1))
            return Stamp(when if when.tzinfo else when.replace(tzinfo=UTC), STAMP_FILE)
        except (OSError, ValueError):
            pass
    path = next((folder / n for n in names if (folder / n).is_file() and not (folder / n).is_symlink()), None)
    if path is None:
        return Stamp(None, "missing")
    if mode == "commit":
        changed = _git(folder, "status", "--porcelain", "--", path.name)
        if changed == "":
            when = _git(folder, "log", "-1", "--format=%cI", "--", path.name)
            if when:
                return Stamp(datetime.fromisoformat(when).astimezone(UTC), "git commit")
        elif changed is not None:
            return Stamp(_file_time(path), "file time (uncommitted changes)")
    return Stamp(_file_time(path), "file time")
