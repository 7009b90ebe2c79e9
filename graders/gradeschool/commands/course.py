"""`gradeschool course gradebook`: the course's grades (due dates, late penalties,
extensions, per-topic columns) and LMS exports, from the signed reports of `grade-all`."""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 61


def register(sub) -> None:
    course = sub.add_parser("course", help="(instructors) course grades and LMS exports from grade-all's reports")
    course_sub = course.add_subparsers(dest="course_command", metavar="ACTION", required=True)
    book = course_sub.add_parser(
        "gradebook", help="gradebook.csv (per topic, late penalties), grades.csv (nbgrader's columns, one "
                          "assignment per topic), canvas.csv and lms.csv")
    book.add_argument("graded", type=Path, metavar="GRADED", help="grade-all's --out folder")
    book.add_argument("--course", type=Path, default=Path("course.toml"), metavar="TOML",
                      help="the course file (default: ./course.toml)")
    book.add_argument("--submissions", type=Path, default=None, metavar="CLASS",
                      help="the class folder that was graded (for submission times)")
    book.add_argument("--out", type=Path, default=None, metavar="DIR", help="default: GRADED/course")
    book.set_defaults(func=run_gradebook)


def run_gradebook(args) -> int:
    from gradeschool.course.config import CourseError, load_course
    from gradeschool.course.gradebook import COURSE_DIR, course_grades
    from gradeschool.course.lms import write_course_files
    from gradeschool.leaderboard.store import default_key
    from gradeschool.leaderboard.verify import SubmissionError

    try:
        course = load_course(args.course)
        key = default_key()
    except (CourseError, SubmissionError) as err:
        print(f"gradeschool course gradebook: {err}", file=sys.stderr)
        return 2
    if not args.graded.is_dir():
        print(f"gradeschool course gradebook: {args.graded} is not a folder", file=sys.stderr)
        return 2
    rows = course_grades(course, args.graded, args.submissions, key)
    for path in write_course_files(course, rows, args.out or args.graded / COURSE_DIR):
        print(f"wrote {path}")
    late = sum(g.hours_late > 0 for r in rows for g in r.topics.values())
    odd = [r.student.folder for r in rows if r.status.startswith("unverified")]
    print(f"{len(rows)} students, {late} late topic submission(s)"
          + (f"; NOT counted (signature): {', '.join(odd)}" if odd else ""))
    return 0
