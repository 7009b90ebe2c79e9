"""`gradeschool check [TOPIC|EXERCISE ...]`: run the checks and show the table."""

from __future__ import annotations

ORDER = 10


def register(sub) -> None:
    p = sub.add_parser("check", help="check exercises: a points table and the first problem explained")
    p.add_argument("selectors", nargs="*", metavar="TOPIC|EXERCISE", help="default: everything")
    p.add_argument("--impl", default="exercises", help="exercises (default), solutions, or a folder")
    p.add_argument("--verbose", "-v", action="store_true", help="show pytest's own output too")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.core.render import render_summary
    from gradeschool.core.results import PASSED, by_exercise
    from gradeschool.harness.runner import run_checks

    try:
        chosen = load_catalogue().resolve(args.selectors)
    except KeyError as err:
        print(f"gradeschool check: {err.args[0]}")
        return 2
    results = run_checks(args.selectors, impl=args.impl, echo=args.verbose)
    print(render_summary(results, only=chosen))
    groups = by_exercise(results, only=chosen)
    return 0 if all(g.status == PASSED for g in groups) else 1
