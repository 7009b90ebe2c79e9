"""`gradeschool nbgrader ...` (an nbgrader course from the solutions) and
`gradeschool leaderboard ...` (a SQLite leaderboard of signed reports, and its page)."""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 60
DEFAULT_DB = "leaderboard.sqlite"


def register(sub) -> None:
    nb = sub.add_parser("nbgrader", help="(instructors) generate an nbgrader course from the exercises")
    nb_sub = nb.add_subparsers(dest="nbgrader_command", metavar="ACTION", required=True)
    build = nb_sub.add_parser(
        "build", help="write nbgrader_config.py and source/<topic>/<topic>.ipynb for each topic")
    build.add_argument("course_dir", metavar="COURSE_DIR")
    build.add_argument("--topic", action="append", default=[], metavar="T",
                       help="a topic to include (repeatable; default: every topic with a solution)")
    build.add_argument("--exercise", action="append", default=[], metavar="NAME",
                       help="only these exercises (repeatable); the others are provided solved")
    build.add_argument("--seed", type=int, default=None,
                       help="Hypothesis seed of the hidden tests (default: random, fixed per build)")
    build.add_argument("--course-id", default="gradeschool")
    build.set_defaults(func=run_nbgrader_build)

    lb = sub.add_parser("leaderboard", help="(course CI) rank signed reports and publish the page")
    lb_sub = lb.add_subparsers(dest="leaderboard_command", metavar="ACTION", required=True)

    def db_option(p):
        p.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                       help=f"the SQLite database (default: ./{DEFAULT_DB})")

    submit = lb_sub.add_parser("submit", help="verify a report.json and store it under a pseudonym")
    submit.add_argument("report", metavar="REPORT")
    submit.add_argument("--name", required=True, metavar="PSEUDONYM",
                        help="the name shown on the leaderboard (a pseudonym, never a real name)")
    submit.add_argument("--accept-version", action="append", default=[], metavar="V",
                        help="also accept reports of this kit version (repeatable)")
    submit.add_argument("--skip-duplicates", action="store_true",
                        help="a report that is already stored is not an error (CI collects the same "
                             "reports again and again)")
    db_option(submit)
    submit.set_defaults(func=run_submit)

    show = lb_sub.add_parser("show", help="print the leaderboard")
    db_option(show)
    show.set_defaults(func=run_show)

    html = lb_sub.add_parser("html", help="write the leaderboard as a self-contained HTML page")
    html.add_argument("out", metavar="OUT")
    html.add_argument("--highlight", default=None, metavar="NAME", help="pseudonym whose row stands out")
    html.add_argument("--title", default="gradeschool leaderboard")
    db_option(html)
    html.set_defaults(func=run_html)


def run_nbgrader_build(args) -> int:
    from gradeschool.build.nbgrader import NotebookError, build_course

    try:
        written = build_course(args.course_dir, args.topic, args.exercise, seed=args.seed,
                               course_id=args.course_id)
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


def run_submit(args) -> int:
    from gradeschool.leaderboard.store import DuplicateSubmission, Leaderboard, SubmissionError

    try:
        with Leaderboard(args.db) as board:
            row = board.submit_file(args.report, args.name, accept_versions=args.accept_version)
    except DuplicateSubmission as err:
        if args.skip_duplicates:
            print(f"{args.report}: already stored, skipped ({err})")
            return 0
        print(f"gradeschool leaderboard submit: rejected: {err}", file=sys.stderr)
        return 1
    except SubmissionError as err:
        print(f"gradeschool leaderboard submit: rejected: {err}", file=sys.stderr)
        return 1
    print(f"stored submission {row.id} of {row.name}: {row.points:g}/{row.max_points:g} points"
          + (f", speed {row.speed:.3g}" if row.speed is not None else ""))
    return 0


def _missing(args, command: str) -> bool:
    if Path(args.db).is_file():
        return False
    print(f"gradeschool leaderboard {command}: there is no database {args.db} "
          "(`gradeschool leaderboard submit` creates it)", file=sys.stderr)
    return True


def run_show(args) -> int:
    from gradeschool.leaderboard.render import render_text
    from gradeschool.leaderboard.store import Leaderboard

    if _missing(args, "show"):
        return 1
    with Leaderboard(args.db) as board:
        print(render_text(board.standings(), board.topics()))
    return 0


def run_html(args) -> int:
    from gradeschool.leaderboard.page import render_html
    from gradeschool.leaderboard.store import Leaderboard

    if _missing(args, "html"):
        return 1
    with Leaderboard(args.db) as board:
        page = render_html(board.standings(), board.history(), board.topics(),
                           highlight=args.highlight, title=args.title)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out}")
    return 0
