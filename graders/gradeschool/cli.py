"""`gradeschool` command line. Each module in gradeschool/commands/ adds its subcommands
with `register(subparsers)`, so a new command is a new module, not an edit here."""

from __future__ import annotations

import os

# One BLAS thread, as the tests measure with, set before any command module imports NumPy
# (the pytest plugin sets the same, but a command may load NumPy before it runs).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402

from gradeschool import commands  # noqa: E402


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    parser = argparse.ArgumentParser(
        prog="gradeschool",
        description="Deep learning from scratch in NumPy, checked against PyTorch.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [importlib.import_module(f"{commands.__name__}.{m.name}")
               for m in pkgutil.iter_modules(commands.__path__)]
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 50)):
        module.register(sub)
    return parser, set(sub.choices)


def main(argv: list[str] | None = None) -> int:
    parser, names = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv and "watch" in names:
        argv = ["watch"]
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
