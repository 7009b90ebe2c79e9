"""Whether a report may enter the leaderboard, and under which pseudonym.

A report is accepted only when it parses, is signed with the course key, comes from a
known kit version, adds up (exercises -> topics -> totals), claims for each exercise
exactly the points the catalogue gives it (0 of 0 for an exercise that has no tests), was
graded in a sandbox (`environment.sandbox.tool` is "bubblewrap"; `accept_unsandboxed` to take
such reports anyway), and is bound to the pseudonym it is stored under.

**Binding.** A report carries its pseudonym in the signed field `pseudonym`: whoever
grades for the leaderboard (the course workflow, which holds the key and grades each
roster repository itself) writes it, with `bind()` (`gradeschool leaderboard bind`) right
after grading. A classmate's report replayed under another pseudonym then no longer
matches and is refused, and the owner's own submission is not blocked as a "duplicate" of
the replay. A report without the field ("unbound": one graded in a student's own
workflow) cannot be told apart from a replay, so it is refused unless `accept_unbound`.

**Pseudonyms** are taken after Unicode NFKC normalisation (a fullwidth "ａｄａ" is "ada")
and only then accepted when plain ASCII: 1-32 letters, digits, spaces, '.', '-', '_',
starting with a letter or digit, no leading, trailing or double spaces, no control
characters. A look-alike (a Cyrillic "а"), a zero-width character or a trailing newline is
refused, so two rows can never look the same."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gradeschool.core.render import fmt_points, points_phrase
from gradeschool.grading import signing

SCHEMA = "gradeschool-report/1"
BOUND = "pseudonym"   # the signed field that binds a report to its pseudonym
TOLERANCE = 1e-3      # reports round points to 4 decimals
PSEUDONYM = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]| (?! )){0,31}", re.ASCII)


class SubmissionError(ValueError):
    """A report was rejected; the database is unchanged."""


def shown(value: Any) -> str:
    """`value` as it may be printed: repr-escaped when it holds anything but printable
    characters (no terminal escape codes, no newlines), else as it is."""
    text = str(value)
    return text if text.isprintable() else repr(text)[1:-1]


def pseudonym(name: Any) -> str:
    """The NFKC-normalised pseudonym, or SubmissionError saying what a pseudonym is."""
    normal = unicodedata.normalize("NFKC", name) if isinstance(name, str) else None
    if normal is None or not normal.isascii() or not PSEUDONYM.fullmatch(normal) or normal.endswith(" "):
        raise SubmissionError(
            f"{shown(repr(name))} is not a pseudonym: 1-32 ASCII letters, digits, single spaces, '.', '-' "
            "or '_', starting with a letter or digit (no e-mail addresses, paths, look-alike letters "
            "or control characters)")
    return normal


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SubmissionError(f"{what} is not a number: {shown(repr(value))}")
    return float(value)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(b))


def check_catalogue(exercises: list, catalogue=None) -> None:
    """Every exercise is the catalogue's, under its own topic, worth exactly its points
    (0 when it has no tests in the kit that graded it)."""
    from gradeschool.core.catalogue import load_catalogue

    catalogue = catalogue or load_catalogue()
    for e in exercises:
        try:
            known = catalogue.exercise(e["name"])
        except KeyError:
            raise SubmissionError(f"there is no exercise {shown(repr(e['name']))} in the catalogue") from None
        if e["topic"] != known.topic:
            raise SubmissionError(f"{known.name} belongs to topic {known.topic}, not {shown(repr(e['topic']))}")
        m = _number(e.get("max_points"), f"max_points of {known.name}")
        if not (_close(m, known.points) or (m == 0 and e.get("status") == "no tests")):
            raise SubmissionError(f"{known.name} is worth {points_phrase(known.points)}, "
                                  f"not {fmt_points(m)}")


def check_consistency(report: dict) -> None:
    """Totals and topics must add up from the exercises, and points stay within bounds."""
    exercises = report.get("exercises")
    totals, topics = report.get("totals"), report.get("topics")
    if not isinstance(exercises, list) or not isinstance(totals, dict) or not isinstance(topics, dict):
        raise SubmissionError("the report lacks its totals, topics or exercises")
    if not all(isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("topic"), str)
               for e in exercises):
        raise SubmissionError("an exercise entry has no name or topic")
    check_catalogue(exercises)
    per_topic: dict[str, list[float]] = {}
    for e in exercises:
        p = _number(e.get("points"), f"points of {e['name']}")
        m = _number(e.get("max_points"), f"max_points of {e['name']}")
        if p < -TOLERANCE or p > m + TOLERANCE:
            raise SubmissionError(f"{e['name']}: {fmt_points(p)} points of {fmt_points(m)} is impossible")
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


def check_sandbox(report: dict) -> None:
    """Refuse a report whose learner code did not run in the bubblewrap sandbox
    (environment.sandbox is the sandbox's description: {"tool": "bubblewrap", ...}, or
    {"tool": "none", "isolation": ...})."""
    environment = report.get("environment")
    sandbox = environment.get("sandbox") if isinstance(environment, dict) else None
    if not isinstance(sandbox, dict) or not isinstance(sandbox.get("tool"), str):
        raise SubmissionError("the report does not say how it was isolated (environment.sandbox)")
    if sandbox["tool"] != "bubblewrap":
        said = shown(str(sandbox.get("isolation", sandbox["tool"]))[:200])
        raise SubmissionError(f"the report was graded without a sandbox ({said}); grade with bubblewrap, "
                              "or accept such reports explicitly (--accept-unsandboxed)")


def bound_name(report: dict, name: str | None, accept_unbound: bool) -> str:
    """The pseudonym a report is stored under: the one it is bound to, which `name` (when
    given) must match; or `name` for an unbound report when `accept_unbound`."""
    given = None if name is None else pseudonym(name)
    if BOUND in report:
        bound = pseudonym(report[BOUND])
        if given is not None and given != bound:
            raise SubmissionError(f"this report is bound to {bound!r}, not {given!r}: a report is "
                                  "stored only under the pseudonym it was graded for")
        return bound
    if not accept_unbound:
        raise SubmissionError("the report is not bound to a pseudonym (the signed field "
                              f"{BOUND!r}): bind it where it is graded (`gradeschool leaderboard bind`), "
                              "or accept unbound reports explicitly (--accept-unbound; replays of a "
                              "classmate's report then go unnoticed)")
    if given is None:
        raise SubmissionError("an unbound report needs --name PSEUDONYM")
    return given


def parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise SubmissionError("the report has no creation time")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SubmissionError(f"the creation time {shown(repr(text))} is not an ISO date") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _known_versions(extra=()) -> set[str]:
    from gradeschool.core.version import kit_version

    return {kit_version(), *extra}


def check_signed(report: Any, key: bytes, accept_versions=()) -> dict:
    """The report, when it is a signed report of this schema and an accepted kit version."""
    if not isinstance(report, dict):
        raise SubmissionError("a report is a JSON object")
    if report.get("schema") != SCHEMA:
        raise SubmissionError(f"unknown report schema {shown(repr(report.get('schema')))} (expected {SCHEMA!r})")
    if not signing.verify(report, key):
        raise SubmissionError("the signature does not match: the report was edited after grading, "
                              "or signed with another key")
    known = _known_versions(tuple(accept_versions))
    if report.get("kit_version") not in known:
        raise SubmissionError(f"kit version {shown(repr(report.get('kit_version')))} is not accepted here "
                              f"(accepted: {', '.join(sorted(map(str, known)))})")
    return report


@dataclass(frozen=True)
class Accepted:
    """A verified report and what the store keeps of it."""
    report: dict
    name: str
    graded_at: datetime


def verify(report: Any, key: bytes, name: str | None = None, accept_versions=(),
           accept_unbound: bool = False, accept_unsandboxed: bool = False) -> Accepted:
    """Accepted, or SubmissionError saying why not (see the module docstring)."""
    if name is not None:
        pseudonym(name)
    check_signed(report, key, accept_versions)
    stored_as = bound_name(report, name, accept_unbound)
    check_consistency(report)
    if not accept_unsandboxed:
        check_sandbox(report)
    return Accepted(report, stored_as, parse_time(report.get("created")))


def bind(report: Any, name: str, key: bytes) -> dict:
    """`report` bound to `name` and signed again (by the holder of the course key, where
    the report was graded). A report already bound to another pseudonym stays refused."""
    check_signed(report, key, accept_versions=(report.get("kit_version"),) if isinstance(report, dict) else ())
    name = pseudonym(name)
    if BOUND in report and pseudonym(report[BOUND]) != name:
        raise SubmissionError(f"this report is already bound to {pseudonym(report[BOUND])!r}")
    body = {k: v for k, v in report.items() if k != signing.SIGNATURE}
    body[BOUND] = name
    return {**body, signing.SIGNATURE: signing.sign(body, key)}
