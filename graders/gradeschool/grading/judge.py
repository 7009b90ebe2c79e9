"""The judge: one process per submission that runs the kit's tests against an isolated
worker and writes the signed reports. Started by `gradeschool grade` (see supervise.py);
`python -m gradeschool.grading.judge --help` for its arguments."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gradeschool.core.catalogue import load_catalogue
from gradeschool.grading import outputs
from gradeschool.grading.proxy import IsolatedImplementation, Limits
from gradeschool.grading.sandbox import make as make_sandbox
from gradeschool.harness import presets


def judge(submission: Path, out: Path, selectors: list[str], label: str, limits: Limits,
          hide: list[str], extra: dict | None = None, refused: dict[str, str] | None = None,
          sandboxed: bool = True) -> dict:
    """Run the kit's tests against the submission's worker and write the reports. The
    worker runs in the bubblewrap sandbox; `sandboxed=False` (`--no-sandbox`) runs it
    without one, and the report's environment.sandbox says so."""
    from gradeschool.harness.runner import run_checks

    catalogue = load_catalogue()
    exercises = catalogue.resolve(selectors)
    start = time.monotonic()
    preset = presets.judge()  # every test, hidden ones too, and the course seed
    impl = IsolatedImplementation(submission, label=label, catalogue=catalogue, limits=limits,
                                  hide=hide, refused=refused,
                                  sandbox=make_sandbox(limits.rlimits()) if sandboxed else None)
    try:
        results = run_checks(selectors, impl=impl, preset=preset)
        tested = {r.exercise for r in results}
        untested = {e.name: impl.state(e).status for e in exercises if e.name not in tested}
        sandbox = impl.sandbox
        info = {"worker_starts": impl.worker_starts}
    finally:
        impl.close()
    report = outputs.build_report(results, exercises, label, sandbox=sandbox, untested=untested,
                                  extra={**(extra or {}), "grading": info, "course_seed": preset.course_seed})
    return outputs.write_outputs(report, out, time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gradeschool.grading.judge")
    p.add_argument("submission", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--select", action="append", default=[])
    p.add_argument("--label", required=True)
    p.add_argument("--digest", default="")
    p.add_argument("--hide", action="append", default=[])
    p.add_argument("--no-sandbox", action="store_true", help="run the worker without bubblewrap")
    p.add_argument("--refused", action="append", default=[], metavar="FILE=WHY",
                   help="a file of the submission that the intake refused, and why")
    p.add_argument("--call-timeout", type=float, default=Limits.call_timeout)
    p.add_argument("--total-timeout", type=float, default=Limits.total_timeout)
    p.add_argument("--memory-mb", type=int, default=Limits.memory // 2**20)
    args = p.parse_args(argv)
    limits = Limits(call_timeout=args.call_timeout, total_timeout=args.total_timeout,
                    memory=args.memory_mb * 2**20)
    extra = {"submission_digest": args.digest, "selection": sorted(args.select)}
    refused = dict(r.partition("=")[::2] for r in args.refused)
    judge(args.submission, args.out, args.select, args.label, limits, args.hide, extra, refused,
          sandboxed=not args.no_sandbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
