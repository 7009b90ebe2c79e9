"""leaderboard/roster.csv: one line per participant, `owner/repository,pseudonym`.

Read robustly, as instructors' editors and spreadsheets write it: a byte-order mark,
CRLF or CR line ends, blank lines, `#` comments, spaces around fields and a missing final
newline are all fine. A malformed line, a repeated repository or pseudonym is an error
that names the line: a participant is never dropped silently."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
NAME = re.compile(r"^\w[\w .\-]{0,31}$")  # the leaderboard's pseudonyms


class RosterError(ValueError):
    """The roster cannot be read as it is."""


@dataclass(frozen=True)
class Participant:
    repo: str
    name: str
    line: int


def parse_roster(text: str, source: str = "roster") -> list[Participant]:
    text = text.removeprefix("\ufeff")
    found: list[Participant] = []
    repos: dict[str, int] = {}
    names: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        repo, sep, name = (part.strip() for part in line.partition(","))
        if not sep or not REPO.match(repo) or not NAME.match(name) or "@" in name:
            raise RosterError(f"{source} line {number}: expected `owner/repository,pseudonym` "
                              f"(pseudonym: 1-32 letters, digits, spaces, '.', '-', '_'), got {raw!r}")
        for key, seen, what in ((repo.lower(), repos, "repository"), (name, names, "pseudonym")):
            if key in seen:
                raise RosterError(f"{source} line {number}: {what} {key!r} is already on line {seen[key]}")
            seen[key] = number
        found.append(Participant(repo, name, number))
    return found


def read_roster(path: str | Path) -> list[Participant]:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise RosterError(f"cannot read the roster {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise RosterError(f"the roster {path} is not UTF-8 text") from None
    return parse_roster(text, path.name)


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (shard I of N, from 0)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 0 <= int(m[1]) < int(m[2]):
        raise RosterError(f"--shard {text!r}: expected I/N with 0 <= I < N, e.g. 0/4")
    return int(m[1]), int(m[2])


def shard(participants: list[Participant], index: int, count: int) -> list[Participant]:
    """Shard `index` of `count`: every count-th participant, so shards differ by one at most."""
    return participants[index::count]


def plan(participants: list[Participant], per_shard: int) -> list[str]:
    """The job matrix: shard names `I/N` with at most `per_shard` participants each."""
    count = -(-len(participants) // max(1, per_shard))
    return [f"{i}/{count}" for i in range(count)]
