"""`gradeschool sync [--check]`: regenerate exercises/ from solutions/ and docs/curriculum.md
from the catalogue."""

from __future__ import annotations

ORDER = 80


def register(sub) -> None:
    p = sub.add_parser("sync", help="(maintainers) regenerate exercises/ from solutions/ and "
                                    "docs/curriculum.md from the catalogue")
    p.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    p.add_argument("--force", action="store_true", help="overwrite exercises a learner has started")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradeschool.build.sync import SyncError, plan, write

    try:
        wanted, drift = plan()
    except SyncError as err:
        print(f"gradeschool sync: {err}")
        return 1
    if args.check:
        for d in drift:
            print(f"{d.path}: {d.problem}\n{d.diff}", end="" if d.diff else "\n")
        print(f"gradeschool sync --check: {len(drift)} file(s) out of sync" if drift
              else f"gradeschool sync --check: {len(wanted)} generated files (exercises/, docs/curriculum.md) "
                   "match their sources")
        return 1 if drift else 0
    refused = write(wanted, drift, force=args.force)
    return 1 if refused else 0
