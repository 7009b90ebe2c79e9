"""`gradeschool new-topic NAME`: the skeleton of a new topic (maintainers)."""

from __future__ import annotations

ORDER = 85


def register(sub) -> None:
    p = sub.add_parser("new-topic", help="(maintainers) write the skeleton of a new topic in every place the "
                                         "kit looks for one")
    p.add_argument("name", help="the topic's name, also its module name (lowercase)")
    p.add_argument("--title", default="", help="a short title, e.g. 'recurrent networks'")
    p.add_argument("--example", default="", help="the name of the first exercise (default NAME_example)")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradeschool.build.scaffold import ScaffoldError, new_topic
    from gradeschool.build.sync import plan, write

    try:
        written = new_topic(args.name, args.title, args.example)
    except ScaffoldError as err:
        print(f"gradeschool new-topic: {err}")
        return 1
    for path in written:
        print(f"wrote {path}")
    write(*plan())
    print("Next: docs/maintainers.md, \"Adding a topic\".")
    return 0
