"""`gradeschool sync [--check]`: regenerate exercises/ from solutions/."""

from __future__ import annotations

ORDER = 80


def register(sub) -> None:
    p = sub.add_parser("sync", help="(maintainers) regenerate exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    p.add_argument("--force", action="store_true", help="overwrite exercises a learner has started")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradeschool.build.sync import SyncError, learner_work, plan

    try:
        wanted, drift = plan()
    except SyncError as err:
        print(f"gradeschool sync: {err}")
        return 1
    if args.check:
        for d in drift:
            print(f"{d.path}: {d.problem}\n{d.diff}", end="" if d.diff else "\n")
        print(f"gradeschool sync --check: {len(drift)} file(s) out of sync" if drift
              else f"gradeschool sync --check: {len(wanted)} exercise files match their solutions")
        return 1 if drift else 0
    refused = 0
    for path, text in wanted.items():
        started = learner_work(path, text)
        if started and not args.force:
            print(f"{path}: not overwritten, it holds your work on {', '.join(started)} (--force to overwrite)")
            refused += 1
            continue
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    for d in drift:
        if d.problem == "has no solution file":
            print(f"{d.path}: has no solution file (left alone)")
    return 1 if refused else 0
