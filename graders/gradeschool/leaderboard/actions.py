"""What `gradeschool leaderboard submit` and `bind` do, and the options they add (the
command module registers the subcommands; the work and its messages are here). Every
message is printed escaped (gradeschool.leaderboard.verify.shown)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gradeschool.core.render import fmt_points
from gradeschool.leaderboard.verify import shown


def submit_options(p) -> None:
    """`submit`'s options beyond the report, the database and --name."""
    p.add_argument("--accept-unbound", action="store_true",
                   help="also take reports that are not bound to a pseudonym (graded in a student's "
                        "own workflow), stored under --name: a classmate's replayed report then goes "
                        "unnoticed")
    p.add_argument("--accept-unsandboxed", action="store_true",
                   help="also take reports graded without a sandbox (environment.sandbox 'none: ...')")


def html_options(p) -> None:
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="participants drawn in the chart: the N best and the highlighted one (default 10)")


def run_submit(args) -> int:
    from gradeschool.leaderboard.store import DuplicateSubmission, Leaderboard, SubmissionError

    try:
        with Leaderboard(args.db) as board:
            row = board.submit_file(args.report, args.name, accept_versions=args.accept_version,
                                    accept_unbound=args.accept_unbound,
                                    accept_unsandboxed=args.accept_unsandboxed)
    except DuplicateSubmission as err:
        if args.skip_duplicates:
            print(f"{shown(args.report)}: already stored, skipped ({shown(err)})")
            return 0
        print(f"gradeschool leaderboard submit: rejected: {shown(err)}", file=sys.stderr)
        return 1
    except SubmissionError as err:
        print(f"gradeschool leaderboard submit: rejected: {shown(err)}", file=sys.stderr)
        return 1
    points = f"{fmt_points(row.points)}/{fmt_points(row.max_points)}"
    print(f"stored submission {row.id} of {shown(row.name)}: {points} points"
          + (f", speed {row.speed:.3g}" if row.speed is not None else ""))
    return 0


def register_bind(lb_sub) -> None:
    p = lb_sub.add_parser("bind", help="(where reports are graded, with the course key) bind a report.json "
                                       "to a pseudonym, so that it is refused under any other")
    p.add_argument("report", metavar="REPORT")
    p.add_argument("--name", required=True, metavar="PSEUDONYM")
    p.add_argument("--out", default=None, metavar="PATH", help="where to write it (default: in place)")
    p.set_defaults(func=run_bind)


def run_bind(args) -> int:
    from gradeschool.grading.outputs import write_json
    from gradeschool.leaderboard.store import default_key
    from gradeschool.leaderboard.verify import SubmissionError, bind

    try:
        report = json.loads(Path(args.report).read_text(encoding="utf-8"))
        bound = bind(report, args.name, default_key())
    except (OSError, ValueError) as err:
        message = err if isinstance(err, SubmissionError) else f"cannot read {args.report}: {err}"
        print(f"gradeschool leaderboard bind: {shown(message)}", file=sys.stderr)
        return 1
    out = Path(args.out or args.report)
    write_json(out, bound)
    print(f"bound {shown(out)} to {shown(bound['pseudonym'])}")
    return 0
