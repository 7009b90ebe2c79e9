"""Files an LMS imports, and writing the course's files.

* `canvas.csv`: Canvas' gradebook import (Grades > Import): the columns `Student`, `ID`,
  `SIS User ID`, `SIS Login ID`, `Section` (Canvas matches a row by ID, SIS User ID or SIS
  Login ID: give one in the roster), then one column per assignment: course.toml's
  `canvas = "Name (id)"` updates that existing assignment, a plain name makes a new one;
  the second row, `Points Possible`, gives each assignment's points.
* `lms.csv`: `Last Name`, `First Name`, `Username` (the roster's login), `Student ID`,
  `Email`, one column per topic, no points row: Blackboard Learn's Grade Center upload keys
  rows by `Username` and makes a column of each new heading; Moodle's "CSV file" grade
  import maps a column you choose (Username, Email or Student ID) to its users and each
  topic column to a grade item. (Canvas's own file serves Moodle too, but its `Points
  Possible` row would be an unknown user there.) Checked against the import formats as
  documented, not against live Moodle or Blackboard sites."""

from __future__ import annotations

from pathlib import Path

from gradeschool.course.config import Course
from gradeschool.course.csvcells import csv_text
from gradeschool.course.gradebook import StudentGrades, gradebook_rows, nbgrader_rows, split_name
from gradeschool.grading.outputs import NBGRADER_COLUMNS

CANVAS_IDS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_column(course: Course, topic: str) -> str:
    spec = course.assignments.get(topic)
    return spec.canvas if spec and spec.canvas else f"{topic} (gradeschool)"


def canvas_csv(course: Course, rows: list[StudentGrades]) -> str:
    topics = list(dict.fromkeys(t for r in rows for t in r.topics))
    heads = {t: canvas_column(course, t) for t in topics}
    points = {"Student": "Points Possible",
              **{heads[t]: next(r.topics[t].max_points for r in rows if t in r.topics) for t in topics}}
    out = [points]
    for r in rows:
        first, last = split_name(r.student.name)
        s = r.student
        out.append({"Student": f"{last}, {first}" if last and first else (s.name or s.folder), "ID": s.id,
                    "SIS User ID": s.sis_id, "SIS Login ID": s.login, "Section": s.section,
                    **{heads[t]: g.score for t, g in r.topics.items()}})
    return csv_text(out, [*CANVAS_IDS, *heads.values()])


def lms_csv(rows: list[StudentGrades]) -> str:
    topics = list(dict.fromkeys(t for r in rows for t in r.topics))
    out = []
    for r in rows:
        first, last = split_name(r.student.name)
        s = r.student
        out.append({"Last Name": last, "First Name": first, "Username": s.login, "Student ID": s.sis_id or s.id,
                    "Email": s.email, **{t: g.score for t, g in r.topics.items()}})
    return csv_text(out, ["Last Name", "First Name", "Username", "Student ID", "Email", *topics])


def write_course_files(course: Course, rows: list[StudentGrades], out: Path) -> list[Path]:
    """gradebook.csv, grades.csv, canvas.csv and lms.csv in `out`; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    columns, book = gradebook_rows(rows)
    texts = {"gradebook.csv": csv_text(book, columns), "grades.csv": csv_text(nbgrader_rows(rows), NBGRADER_COLUMNS),
             "canvas.csv": canvas_csv(course, rows), "lms.csv": lms_csv(rows)}
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / n for n in texts]
