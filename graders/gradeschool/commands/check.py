"""`gradeschool check [TOPIC|EXERCISE ...]`: run the checks and show the table."""

from __future__ import annotations

ORDER = 10


def register(sub) -> None:
    p = sub.add_parser("check", help="check exercises: a points table and the first problem explained")
    p.add_argument("selectors", nargs="*", metavar="TOPIC|EXERCISE", help="default: everything")
    p.add_argument("--impl", default="exercises", help="exercises (default), solutions, or a folder")
    p.add_argument("--skip-speed", action="store_true",
                   help="leave the speed tests out: quicker; their points show as not checked")
    p.add_argument("--verbose", "-v", action="store_true", help="show pytest's own output too")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradeschool.core.render import render_summary
    from gradeschool.core.results import PASSED
    from gradeschool.learner.names import resolve
    from gradeschool.learner.report import pictures_note
    from gradeschool.learner.runs import check_and_record, loop_args

    try:
        chosen = resolve(args.selectors)
    except KeyError as err:
        print(f"gradeschool check: {err.args[0]}")
        return 2
    results, groups = check_and_record(chosen, impl=args.impl, extra=loop_args(speed=not args.skip_speed),
                                       echo=args.verbose)
    print(render_summary(results, only=chosen))
    note = pictures_note(groups)
    if note:
        print("\n" + note)
    return 0 if all(g.status == PASSED for g in groups) else 1
