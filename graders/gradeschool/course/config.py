"""The course file, `course.toml`: assignments (one per topic) with due dates, the late
policy (a default and per-topic overrides), the roster and per-student extensions.

```toml
[course]
name = "Deep learning from scratch"
timezone = "Europe/Berlin"       # for due dates written without an offset (default UTC)
timestamps = "commit"            # "commit": the last git commit of the topic's file; "file": its mtime
roster = "roster.csv"            # optional: folder,name,id,sis_id,login,section,email (beside course.toml)

[late]                           # the default policy (nbgrader's late_submission_penalty, your choice)
policy = "per-day"               # "none" | "zero" | "per-day" | "per-hour"
penalty = 0.1                    # per-day/per-hour: share of the topic's points lost per started unit
max_units = 5                    # optional: later than this many units scores 0
grace_minutes = 15               # optional: this late is on time

[topics.neuron]
due = "2026-11-15T23:59"
canvas = "Neuron (1234)"         # optional: the Canvas column (an existing assignment's "Name (id)")
[topics.losses]
due = "2026-11-29T23:59"
late = { policy = "zero" }       # this topic's own policy

[students.alice]                 # keyed by the submission's folder name (or in the roster)
name = "Alice Liddell"
id = "1001"                      # Canvas user id; sis_id, login, section, email likewise

[extensions]
alice = { neuron = "+2d", losses = "2026-12-01T12:00" }   # a later due date, or days after it
```"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gradeschool.core.catalogue import load_catalogue

POLICIES = ("none", "zero", "per-day", "per-hour")
TIMESTAMPS = ("commit", "file")
ROSTER_FIELDS = ("folder", "name", "id", "sis_id", "login", "section", "email")


class CourseError(ValueError):
    """course.toml (or its roster) says something that cannot be used; the message says where."""


@dataclass(frozen=True)
class LatePolicy:
    policy: str = "none"
    penalty: float = 0.0           # share of the topic's points per started unit
    max_units: float | None = None
    grace_minutes: float = 0.0

    @property
    def unit(self) -> timedelta:
        return timedelta(hours=1) if self.policy == "per-hour" else timedelta(days=1)


@dataclass(frozen=True)
class Assignment:
    topic: str
    due: datetime | None
    late: LatePolicy
    canvas: str = ""


@dataclass(frozen=True)
class Student:
    folder: str
    name: str = ""
    id: str = ""
    sis_id: str = ""
    login: str = ""
    section: str = ""
    email: str = ""


@dataclass(frozen=True)
class Course:
    name: str
    timezone: ZoneInfo
    timestamps: str
    assignments: dict[str, Assignment]
    students: dict[str, Student] = field(default_factory=dict)
    extensions: dict[str, dict[str, datetime]] = field(default_factory=dict)

    def due(self, folder: str, topic: str) -> datetime | None:
        """The due date of `topic` for the student of `folder` (their extension, if any)."""
        return self.extensions.get(folder, {}).get(topic) or self.assignments[topic].due

    def student(self, folder: str) -> Student:
        return self.students.get(folder, Student(folder))


def _time(text: object, zone: ZoneInfo, where: str) -> datetime:
    if isinstance(text, datetime):
        when = text
    else:
        try:
            when = datetime.fromisoformat(str(text))
        except ValueError:
            raise CourseError(f"{where}: {text!r} is not a date and time (2026-11-15T23:59)") from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _late(data: object, base: LatePolicy, where: str) -> LatePolicy:
    if not isinstance(data, dict):
        raise CourseError(f"{where}: a table (policy = ..., penalty = ...)")
    unknown = set(data) - {"policy", "penalty", "max_units", "grace_minutes"}
    if unknown:
        raise CourseError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    late = replace(base, **data)
    if late.policy not in POLICIES:
        raise CourseError(f"{where}: policy {late.policy!r} is not one of {', '.join(POLICIES)}")
    if not (0 <= float(late.penalty) <= 1):
        raise CourseError(f"{where}: penalty is a share of the topic's points, between 0 and 1")
    return late


def _extension(text: object, due: datetime | None, zone: ZoneInfo, where: str) -> datetime:
    if isinstance(text, str) and text.startswith("+") and text.endswith("d"):
        if due is None:
            raise CourseError(f"{where}: {text!r} extends a due date, but the topic has none")
        try:
            return due + timedelta(days=float(text[1:-1]))
        except ValueError:
            raise CourseError(f"{where}: {text!r} is not a number of days (+2d)") from None
    return _time(text, zone, where)


def read_roster(path: Path) -> dict[str, Student]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise CourseError(f"the roster {path} cannot be read ({err.strerror})") from None
    if rows and "folder" not in rows[0]:
        raise CourseError(f"{path}: the first line must name the columns, `folder` among them "
                          f"({', '.join(ROSTER_FIELDS)})")
    return {r["folder"]: Student(**{k: (r.get(k) or "").strip() for k in ROSTER_FIELDS}) for r in rows}


def load_course(path: Path) -> Course:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CourseError(f"{path} cannot be read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise CourseError(f"{path}: {err}") from None
    head = data.get("course", {})
    try:
        zone = ZoneInfo(head.get("timezone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(f"{path}: unknown timezone {head.get('timezone')!r}") from None
    timestamps = head.get("timestamps", "commit")
    if timestamps not in TIMESTAMPS:
        raise CourseError(f"{path}: timestamps = {timestamps!r}; one of {', '.join(TIMESTAMPS)}")
    default = _late(data.get("late", {}), LatePolicy(), f"{path} [late]")
    known = load_catalogue().topic_names()
    assignments = {}
    for topic, spec in data.get("topics", {}).items():
        if topic not in known:
            raise CourseError(f"{path}: [topics.{topic}]: no such topic ({', '.join(known)})")
        due = _time(spec["due"], zone, f"[topics.{topic}] due") if "due" in spec else None
        late = _late(spec.get("late", {}), default, f"[topics.{topic}] late")
        assignments[topic] = Assignment(topic, due, late, str(spec.get("canvas", "")))
    students = read_roster(path.parent / head["roster"]) if head.get("roster") else {}
    for folder, spec in data.get("students", {}).items():
        students[folder] = Student(folder, **{k: str(v) for k, v in spec.items() if k in ROSTER_FIELDS[1:]})
    extensions: dict[str, dict[str, datetime]] = {}
    for folder, per_topic in data.get("extensions", {}).items():
        for topic, when in per_topic.items():
            if topic not in assignments:
                raise CourseError(f"{path}: [extensions] {folder}: {topic} is not an assignment of the course")
            extensions.setdefault(folder, {})[topic] = _extension(
                when, assignments[topic].due, zone, f"[extensions] {folder}.{topic}")
    return Course(head.get("name", "gradeschool"), zone, timestamps, assignments, students, extensions)
