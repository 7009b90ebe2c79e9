"""`gradeschool nbgrader ...` (instructors): an nbgrader course generated from the
solutions, and its autograde checked by the isolated grader."""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 60


def register(sub) -> None:
    from gradeschool.build.notebooks.provided import MODES
    from gradeschool.harness.presets import TEST_TIMEOUT_S

    nb = sub.add_parser("nbgrader", help="(instructors) an nbgrader course from the exercises, graded in isolation")
    nb_sub = nb.add_subparsers(dest="nbgrader_command", metavar="ACTION", required=True)
    build = nb_sub.add_parser(
        "build", help="write nbgrader_config.py and source/<topic>/<topic>.ipynb for each topic")
    build.add_argument("course_dir", metavar="COURSE_DIR")
    build.add_argument("--topic", action="append", default=[], metavar="T",
                       help="a topic to include (repeatable; default: every topic with a solution)")
    build.add_argument("--exercise", action="append", default=[], metavar="NAME",
                       help="only these exercises (repeatable); the others are provided, compiled")
    build.add_argument("--seed", type=int, default=None,
                       help="the course seed of the hidden property tests (default: random, fixed per build)")
    build.add_argument("--provide", choices=MODES, default="compiled",
                       help="how a notebook gets earlier topics' functions without their code: compiled "
                            "from the kit's solutions (default), or from the student's own earlier notebooks")
    build.add_argument("--test-timeout", type=float, default=TEST_TIMEOUT_S, metavar="S",
                       help=f"seconds per test in a grade cell (default {TEST_TIMEOUT_S:g})")
    build.add_argument("--course-id", default="gradeschool")
    build.set_defaults(func=run_build)

    auto = nb_sub.add_parser(
        "autograde", help="nbgrader's autograde, then every submitted notebook regraded in isolation; "
                          "those scores go into the gradebook, differences are flagged")
    auto.add_argument("course_dir", metavar="COURSE_DIR")
    auto.add_argument("assignment", metavar="ASSIGNMENT")
    auto.add_argument("--student", action="append", default=[], metavar="ID", help="only these students")
    auto.add_argument("--jobs", "-j", type=int, default=2, help="notebooks graded at once")
    auto.add_argument("--regrade-only", action="store_true",
                      help="nbgrader's autograde already ran: only regrade and write the gradebook")
    auto.set_defaults(func=run_autograde)


def run_build(args) -> int:
    from gradeschool.build.notebooks.course import build_course
    from gradeschool.build.notebooks.source import NotebookError

    try:
        written = build_course(args.course_dir, args.topic, args.exercise, seed=args.seed,
                               course_id=args.course_id, provide=args.provide, test_timeout=args.test_timeout)
    except (KeyError, NotebookError) as err:
        print(f"gradeschool nbgrader build: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    course = Path(args.course_dir)
    print(f"wrote {course / 'nbgrader_config.py'}")
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {course} && {Path(sys.executable).name} -m nbgrader generate_assignment "
          f"{written[0].parent.name if written else 'TOPIC'} --force")
    return 0


def run_autograde(args) -> int:
    from gradeschool.build.notebooks.gradebook import REPORTS, regrade
    from gradeschool.build.notebooks.source import NotebookError

    try:
        rows = regrade(args.course_dir, args.assignment, args.student, jobs=args.jobs,
                       run_nbgrader=not args.regrade_only)
    except NotebookError as err:
        print(f"gradeschool nbgrader autograde: {err}", file=sys.stderr)
        return 2
    students = {r.student for r in rows}
    flagged = [r for r in rows if r.flagged]
    print(f"regraded {len(students)} submission(s) of {args.assignment} in isolation: {len(rows)} grade cells, "
          f"{len(flagged)} flagged (kernel score differs; marked 'needs manual grade'); "
          f"details: {Path(args.course_dir) / REPORTS / args.assignment / 'regrade.csv'}")
    return 0
