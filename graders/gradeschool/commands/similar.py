"""`gradeschool similar SUBMISSIONS/`: similarity hints per exercise (gradeschool.similarity)."""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 63


def register(sub) -> None:
    p = sub.add_parser("similar", help="(instructors) rank pairs of submissions by code similarity, per exercise")
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                   help="a class folder: one folder (topic modules or notebooks) or notebook per student")
    p.add_argument("--out", type=Path, default=Path("similarity.html"), metavar="HTML",
                   help="the report (default: ./similarity.html)")
    p.add_argument("--top", type=int, default=10, metavar="N", help="pairs shown per exercise (default 10)")
    p.set_defaults(func=run_similar)


def run_similar(args) -> int:
    from gradeschool.grading.supervise import list_submissions
    from gradeschool.leaderboard.verify import shown
    from gradeschool.similarity.extract import read_submission, reference, stubs
    from gradeschool.similarity.rank import rank_class
    from gradeschool.similarity.report import render_html, summary

    if not args.submissions.is_dir():
        print(f"gradeschool similar: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    codes = {p.stem: read_submission(p) for p in list_submissions(args.submissions)}
    solutions = reference()
    rankings = rank_class(codes, stubs(), solutions)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_html(rankings, codes, solutions, args.top), encoding="utf-8")
    for line in summary(rankings).splitlines():
        print(shown(line))
    print(f"wrote {args.out}")
    return 0
