"""The judge: one process per submission that runs the kit's tests against an isolated
worker and writes what it found, unsigned, for the supervisor (gradeschool.grading.
supervise) to check, score and sign. The judge never holds the signing key: the
supervisor starts it without $GRADESCHOOL_KEY and signs after it has exited.
`python -m gradeschool.grading.judge --help` for its arguments."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from gradeschool.core.catalogue import load_catalogue
from gradeschool.grading import outputs
from gradeschool.grading.errors import WorkerStartFailed
from gradeschool.grading.isolated import IsolatedImplementation
from gradeschool.grading.process import Limits
from gradeschool.grading.sandbox import SandboxUnavailable
from gradeschool.harness import presets


def judge(submission: Path, selectors: list[str], label: str, limits: Limits,
          refused: dict[str, str] | None = None, sandboxed: bool = True) -> dict:
    """Run the kit's tests against the submission's worker (in the bubblewrap sandbox, or
    without one when `sandboxed` is False) and return what the supervisor needs: every
    test's outcome, the state of exercises without tests, the environment, and whether the
    grading was disturbed (a worker or sandbox that could not be started)."""
    from gradeschool.harness.runner import run_checks

    catalogue = load_catalogue()
    exercises = catalogue.resolve(selectors)
    preset = presets.judge()  # every test, hidden ones too, and the course seed
    try:
        impl = IsolatedImplementation(submission, label=label, catalogue=catalogue, limits=limits,
                                      refused=refused, sandbox=sandboxed)
    except SandboxUnavailable as err:
        return {"results": [], "untested": {e.name: "error" for e in exercises}, "environment": outputs.environment(),
                "grading": {"worker_starts": 0, "disturbed": [f"no sandbox could be made: {err}"]}}
    try:
        results = run_checks(selectors, impl=impl, preset=preset)
        tested = {r.exercise for r in results}
        untested = {}
        for e in exercises:
            if e.name not in tested:
                try:
                    untested[e.name] = impl.state(e).status
                except WorkerStartFailed:
                    untested[e.name] = "error"
    finally:
        impl.close()
    return {"results": [asdict(r) for r in results], "untested": untested,
            "environment": outputs.environment(sandbox=impl.sandbox),
            "grading": {"worker_starts": impl.worker_starts, "disturbed": impl.disturbed[:20]}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gradeschool.grading.judge")
    p.add_argument("submission", type=Path)
    p.add_argument("--result", type=Path, required=True, help="where to write the (unsigned) findings")
    p.add_argument("--select", action="append", default=[])
    p.add_argument("--label", required=True)
    p.add_argument("--no-sandbox", action="store_true", help="run the worker without bubblewrap")
    p.add_argument("--refused", action="append", default=[], metavar="FILE=WHY",
                   help="a file of the submission that the intake refused, and why")
    p.add_argument("--call-timeout", type=float, default=Limits.call_timeout)
    p.add_argument("--total-timeout", type=float, default=Limits.total_timeout)
    p.add_argument("--memory-mb", type=int, default=Limits.memory // 2**20)
    args = p.parse_args(argv)
    if os.environ.get("GRADESCHOOL_KEY"):
        print("the judge must not be given the signing key ($GRADESCHOOL_KEY)", file=sys.stderr)
        return 2
    limits = Limits(call_timeout=args.call_timeout, total_timeout=args.total_timeout,
                    memory=args.memory_mb * 2**20)
    refused = dict(r.partition("=")[::2] for r in args.refused)
    found = judge(args.submission, args.select, args.label, limits, refused, sandboxed=not args.no_sandbox)
    tmp = args.result.with_name(f".{args.result.name}.tmp")
    tmp.write_text(json.dumps(found, allow_nan=False), encoding="utf-8")
    tmp.replace(args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
