"""`gradeschool gradescope build OUT.zip` (an autograder package for Gradescope) and the
commands its scripts run in Gradescope's container: `gradescope run` and `gradescope check`."""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 62


def register(sub) -> None:
    gs = sub.add_parser("gradescope", help="(instructors) a Gradescope autograder package of the kit")
    gs_sub = gs.add_subparsers(dest="gradescope_command", metavar="ACTION", required=True)
    build = gs_sub.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build.add_argument("out", type=Path, metavar="OUT.zip")
    build.add_argument("--topic", action="append", default=[], metavar="T",
                       help="grade only this topic or exercise (repeatable; default: everything)")
    build.add_argument("--allow-no-sandbox", action="store_true",
                       help="where Gradescope's container cannot run bubblewrap, grade without it (as an "
                            "unprivileged user; results say so) instead of refusing to grade")
    build.set_defaults(func=run_build)

    run = gs_sub.add_parser("run", help="(run_autograder) grade ROOT/submission into ROOT/results/results.json")
    run.add_argument("--root", type=Path, default=Path("/autograder"))
    run.set_defaults(func=run_run)

    check = gs_sub.add_parser("check", help="(setup.sh) say whether this image can make the grading sandbox")
    check.add_argument("--root", type=Path, default=Path("/autograder"))
    check.set_defaults(func=run_check)


def run_build(args) -> int:
    from gradeschool.gradescope.package import PackageError, build_package

    try:
        package = build_package(args.out, args.topic, allow_no_sandbox=args.allow_no_sandbox)
    except PackageError as err:
        print(f"gradeschool gradescope build: {err}", file=sys.stderr)
        return 2
    print(f"wrote {package.path}: {len(package.members)} files, {len(package.pins)} pinned packages, "
          f"{len(package.hidden)} hidden test file(s); without a sandbox it "
          + ("grades anyway (--allow-no-sandbox)" if args.allow_no_sandbox else "refuses to grade"))
    print("upload it in Gradescope: Configure Autograder > Zip file upload (base image: Ubuntu 22.04 or newer)")
    return 0


def run_run(args) -> int:
    from gradeschool.gradescope.autograder import run

    results = run(args.root)
    print(results.get("output", ""))
    return 0


def run_check(args) -> int:
    from gradeschool.gradescope.autograder import Layout
    from gradeschool.grading.sandbox import SandboxUnavailable, make

    policy = Layout(args.root).config().get("sandbox")
    try:
        box = make()
    except SandboxUnavailable as err:
        then = ("grade WITHOUT it (allowed at build)" if policy == "preferred"
                else "refuse to grade (0 points, says why)")
        print(f"gradeschool: WARNING: no grading sandbox can be made in this image ({err}); unless the "
              f"container that grades allows it, the autograder will {then}.")
        return 0
    print(f"gradeschool: the grading sandbox works here: {box.summary()}")
    return 0
