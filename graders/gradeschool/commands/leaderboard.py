"""`gradeschool leaderboard ...`: a SQLite leaderboard of signed reports and its page, and
the course workflow's steps (plan, collect, publish) that grade every roster repository
with the course's own copy of the kit."""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 61
DEFAULT_DB = "leaderboard.sqlite"


def _db_option(p) -> None:
    p.add_argument("--db", default=DEFAULT_DB, metavar="PATH", help=f"the SQLite database (default: ./{DEFAULT_DB})")


def register(sub) -> None:
    lb = sub.add_parser("leaderboard", help="(course CI) rank signed reports and publish the page")
    lb_sub = lb.add_subparsers(dest="leaderboard_command", metavar="ACTION", required=True)

    from gradeschool.leaderboard import actions

    submit = lb_sub.add_parser("submit", help="verify a report.json and store it under its pseudonym")
    submit.add_argument("report", metavar="REPORT")
    submit.add_argument("--name", default=None, metavar="PSEUDONYM",
                        help="the pseudonym the report must be bound to (the name shown on the "
                             "leaderboard, never a real name)")
    actions.submit_options(submit)
    submit.add_argument("--accept-version", action="append", default=[], metavar="V",
                        help="also accept reports of this kit version (repeatable)")
    submit.add_argument("--skip-duplicates", action="store_true",
                        help="a report that is already stored is not an error (CI collects the same "
                             "reports again and again)")
    _db_option(submit)
    submit.set_defaults(func=actions.run_submit)
    actions.register_bind(lb_sub)

    show = lb_sub.add_parser("show", help="print the leaderboard (empty when there is no database yet)")
    _db_option(show)
    show.set_defaults(func=run_show)

    html = lb_sub.add_parser("html", help="write the leaderboard as a self-contained HTML page")
    html.add_argument("out", metavar="OUT")
    html.add_argument("--highlight", default=None, metavar="NAME", help="pseudonym whose row stands out")
    html.add_argument("--title", default="gradeschool leaderboard")
    actions.html_options(html)
    _db_option(html)
    html.set_defaults(func=run_html)

    plan = lb_sub.add_parser("plan", help="(course workflow) the job matrix: shards of the roster, as "
                                          "`shards=[\"0/N\", ...]` for $GITHUB_OUTPUT")
    plan.add_argument("roster", metavar="ROSTER")
    plan.add_argument("--per-shard", type=int, default=10, metavar="K", help="repositories per shard (default 10)")
    plan.set_defaults(func=run_plan)

    collect = lb_sub.add_parser("collect", help="(course workflow) fetch each repository of a shard at its "
                                                "latest commit and grade it with this kit (needs the course key)")
    collect.add_argument("roster", metavar="ROSTER")
    collect.add_argument("--shard", default="0/1", metavar="I/N", help="which shard (default 0/1: all)")
    collect.add_argument("--out", type=Path, required=True, help="reports go to OUT/<pseudonym>/")
    collect.add_argument("--topic", action="append", default=[], metavar="T",
                         help="grade only this topic or exercise (repeatable; default everything)")
    collect.add_argument("--jobs", "-j", type=int, default=2, help="repositories graded at once")
    collect.add_argument("--db", type=Path, default=None, metavar="PATH",
                         help="the leaderboard database: a repository unchanged since its last stored "
                              "report is not graded again")
    collect.set_defaults(func=run_collect)

    publish = lb_sub.add_parser("publish", help="(course workflow) store the collected reports and write the page "
                                                "(needs the course key)")
    publish.add_argument("reports", metavar="REPORTS", help="a folder of <pseudonym>/report.json")
    publish.add_argument("--site", type=Path, required=True, help="the page goes to SITE/index.html")
    publish.add_argument("--accept-version", action="append", default=[], metavar="V")
    _db_option(publish)
    publish.set_defaults(func=run_publish)


def _board(db: str):
    """(standings, history, topics); all empty when there is no database yet (a course's
    first run): reading never creates one."""
    from gradeschool.leaderboard.store import Leaderboard

    if not Path(db).is_file():
        return [], [], []
    with Leaderboard(db) as board:
        return board.standings(), board.history(), board.topics()


def run_show(args) -> int:
    from gradeschool.leaderboard.render import render_text

    standings, _, topics = _board(args.db)
    print(render_text(standings, topics))
    return 0


def run_html(args) -> int:
    from gradeschool.leaderboard.page import render_html

    standings, history, topics = _board(args.db)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(standings, history, topics, highlight=args.highlight, title=args.title,
                                       top=args.top),
                   encoding="utf-8")
    print(f"wrote {out}")
    return 0


def run_plan(args) -> int:
    import json

    from gradeschool.classroom.roster import RosterError, plan, read_roster

    try:
        shards = plan(read_roster(args.roster), args.per_shard)
    except RosterError as err:
        print(f"gradeschool leaderboard plan: {err}", file=sys.stderr)
        return 2
    print(f"shards={json.dumps(shards)}")
    return 0


def run_collect(args) -> int:
    from gradeschool.classroom.collect import collect
    from gradeschool.classroom.keys import MissingKey, require_key
    from gradeschool.classroom.roster import RosterError, parse_shard, read_roster, shard
    from gradeschool.core.catalogue import load_catalogue

    try:
        require_key("gradeschool leaderboard collect")
        index, count = parse_shard(args.shard)
        mine = shard(read_roster(args.roster), index, count)
        load_catalogue().resolve(args.topic)
    except (MissingKey, RosterError, KeyError) as err:
        print(f"gradeschool leaderboard collect: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    print(f"shard {index}/{count}: {len(mine)} repositories")
    collect(mine, args.out, args.topic, jobs=args.jobs, db=args.db)
    return 0


def run_publish(args) -> int:
    from gradeschool.classroom.keys import MissingKey, require_key
    from gradeschool.classroom.publish import publish

    try:
        key = require_key("gradeschool leaderboard publish")
    except MissingKey as err:
        print(f"gradeschool leaderboard publish: {err}", file=sys.stderr)
        return 2
    publish(Path(args.reports), Path(args.db), args.site / "index.html", key, args.accept_version)
    return 0
