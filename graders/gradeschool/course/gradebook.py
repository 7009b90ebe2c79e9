"""The course's grades from the signed reports that `grade-all` wrote (GRADED/<folder>/
report.json): per student and assignment (topic) the raw points, when the topic was
submitted (gradeschool.course.timestamps), the due date (an extension where given), how
late, the penalty (gradeschool.course.late) and the score. A report whose signature does
not verify with the course key counts for nothing and says so; a student without a
report (on the roster, or in the class folder) scores 0, "missing".

Written (gradeschool.course.lms for the LMS files):
* `gradebook.csv`: one row per student; per topic the score, raw points, penalty, hours
  late, submission time and where that time comes from; the total;
* `grades.csv`: `nbgrader export`'s columns, one row per student and topic, the
  assignment named by the topic;
* `canvas.csv`, `lms.csv` (gradeschool.course.lms)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gradeschool.core.catalogue import load_catalogue
from gradeschool.course.config import Course, Student
from gradeschool.course.late import lateness
from gradeschool.course.timestamps import Stamp, submitted_at

COURSE_DIR = "course"  # GRADED/course/: where the course's files go by default


@dataclass(frozen=True)
class TopicGrade:
    topic: str
    raw: float
    max_points: float
    penalty: float
    stamp: Stamp
    due: datetime | None
    hours_late: float

    @property
    def score(self) -> float:
        return round(max(0.0, self.raw - self.penalty), 4)


@dataclass
class StudentGrades:
    student: Student
    status: str                      # "graded", "missing", "unverified: ..."
    topics: dict[str, TopicGrade] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(g.score for g in self.topics.values()), 4)

    @property
    def max_points(self) -> float:
        return round(sum(g.max_points for g in self.topics.values()), 4)


def read_report(path: Path, key: bytes) -> tuple[dict | None, str]:
    from gradeschool.grading import signing

    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except (OSError, ValueError) as err:
        return None, f"unverified: {path.name} is unreadable ({err})"
    if not isinstance(report, dict) or not signing.verify(report, key):
        return None, "unverified: the signature does not match the course key"
    return report, "graded"


def _folders(course: Course, graded: Path, submissions: Path | None) -> list[str]:
    seen = set(course.students)
    seen |= {p.name for p in graded.iterdir() if p.is_dir() and (p / "report.json").exists()}
    if submissions is not None:
        from gradeschool.grading.supervise import list_submissions, output_names

        seen |= set(output_names(list_submissions(submissions)).values())
    return sorted(seen - {COURSE_DIR})


def _stamp(course: Course, submissions: Path | None, folder: str, topic: str) -> Stamp:
    if submissions is None:
        return Stamp(None, "missing")
    module = load_catalogue().topic(topic).module
    notebook = submissions / folder if folder.endswith(".ipynb") else submissions / f"{folder}.ipynb"
    if notebook.is_file():
        return submitted_at(submissions, [notebook.name], course.timestamps)
    where = submissions / folder
    names = [module, f"{topic}.ipynb", *sorted(p.name for p in where.glob("*.ipynb"))] if where.is_dir() else []
    return submitted_at(where, names, course.timestamps)


def course_grades(course: Course, graded: Path, submissions: Path | None, key: bytes) -> list[StudentGrades]:
    catalogue = load_catalogue()
    rows = []
    for folder in _folders(course, Path(graded), submissions):
        report, status = read_report(Path(graded) / folder / "report.json", key)
        topics = list(course.assignments) or list((report or {}).get("topics", {}))
        row = StudentGrades(course.student(folder), status)
        for t in topics:
            got = (report or {}).get("topics", {}).get(t)
            raw = float(got["points"]) if got else 0.0
            most = float(got["max_points"]) if got else catalogue.topic(t).points
            stamp = _stamp(course, submissions, folder, t) if report else Stamp(None, "missing")
            due = course.due(folder, t) if t in course.assignments else None
            policy = course.assignments[t].late if t in course.assignments else None
            late = lateness(policy, raw, most, stamp.when, due) if policy else None
            row.topics[t] = TopicGrade(t, raw, most, late.penalty if late else 0.0, stamp, due,
                                       late.hours if late else 0.0)
        rows.append(row)
    return rows


def _iso(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).isoformat(timespec="seconds")


def gradebook_rows(rows: list[StudentGrades]) -> tuple[list[str], list[dict]]:
    """gradebook.csv: (columns, rows)."""
    topics = list(dict.fromkeys(t for r in rows for t in r.topics))
    columns = ["folder", "name", "id", "section", "status"]
    for t in topics:
        columns += [t, f"{t} raw", f"{t} penalty", f"{t} hours late", f"{t} submitted (UTC)", f"{t} time from"]
    columns += ["total", "max"]
    out = []
    for r in rows:
        s = r.student
        row = {"folder": s.folder, "name": s.name, "id": s.id, "section": s.section, "status": r.status,
               "total": r.total, "max": r.max_points}
        for t, g in r.topics.items():
            row.update({t: g.score, f"{t} raw": g.raw, f"{t} penalty": g.penalty, f"{t} hours late": g.hours_late,
                        f"{t} submitted (UTC)": _iso(g.stamp.when), f"{t} time from": g.stamp.source})
        out.append(row)
    return columns, out


def split_name(name: str) -> tuple[str, str]:
    """(first, last) of "Last, First" or "First Last"."""
    if "," in name:
        last, first = (p.strip() for p in name.split(",", 1))
        return first, last
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def nbgrader_rows(rows: list[StudentGrades]) -> list[dict]:
    """grades.csv in `nbgrader export`'s columns, one row per student and topic."""
    out = []
    for r in rows:
        first, last = split_name(r.student.name)
        for t, g in r.topics.items():
            out.append({"assignment": t, "duedate": _iso(g.due), "timestamp": _iso(g.stamp.when),
                        "student_id": r.student.id or r.student.folder, "last_name": last, "first_name": first,
                        "email": r.student.email, "raw_score": g.raw, "late_submission_penalty": g.penalty,
                        "score": g.score, "max_score": g.max_points})
    return out
