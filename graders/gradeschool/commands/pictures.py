"""`gradeschool pictures [TOPIC ...]`: draw a topic's teaching pictures from your code."""

from __future__ import annotations

ORDER = 20


def register(sub) -> None:
    p = sub.add_parser("pictures", help="draw a topic's pictures (loss curves, decision boundaries, edges, "
                                        "optimizer paths) from your own code")
    p.add_argument("topics", nargs="*", metavar="TOPIC", help="default: every topic that has pictures")
    p.add_argument("--impl", default="exercises", help="exercises (default), solutions, or a folder")
    p.add_argument("--out", default=None, help="folder to draw into (default: pictures/<topic>/ in the kit)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from gradeschool.core.local import LocalImplementation, learner_frame
    from gradeschool.core.paths import exercises_dir, solutions_dir
    from gradeschool.learner.names import suggestion
    from gradeschool.pictures import PICTURES, NotWritten, draw, folder, shown_path

    topics = args.topics or list(PICTURES)
    unknown = [t for t in topics if t not in PICTURES]
    if unknown:
        print(f"gradeschool pictures: {unknown[0]!r} has no pictures{suggestion(unknown[0], topics=True)} "
              f"(topics with pictures: {', '.join(PICTURES)})")
        return 2
    root = {"exercises": exercises_dir(), "solutions": solutions_dir()}.get(args.impl, Path(args.impl))
    impl = LocalImplementation(root, label=args.impl)
    ok = True
    for topic in topics:
        out = Path(args.out) / topic if args.out and len(topics) > 1 else Path(args.out or folder(topic))
        print(f"{topic}: drawing {PICTURES[topic].what} ...", flush=True)
        try:
            written = draw(topic, impl, out)
        except NotWritten as err:
            print(f"{topic}: {err}")
            ok = False
            continue
        except Exception as err:  # noqa: BLE001 - the learner's code failed: say where, no traceback
            where = learner_frame(err, [impl.root])
            print(f"{topic}: drawing with your code failed: {type(err).__name__}: {err}"
                  + (f" at {where}" if where else "") + f"\n  (`gradeschool check {topic}` tests it)")
            ok = False
            continue
        count = f"{len(written)} picture{'' if len(written) == 1 else 's'}"
        print(f"{topic}: {count} in {shown_path(out)}/: " + ", ".join(p.name for p in written))
    return 0 if ok else 1
