"""`gradeschool grade`, `grade-all` and `release`: grading untrusted submissions in
isolation, and the student-facing copy of the kit."""

from __future__ import annotations

from pathlib import Path

ORDER = 60


def _limits_args(p) -> None:
    from gradeschool.grading.process import Limits

    p.add_argument("--topic", action="append", default=[], metavar="T",
                   help="grade only this topic or exercise (repeatable); default everything")
    p.add_argument("--out", type=Path, required=True, help="folder for the reports")
    p.add_argument("--call-timeout", type=float, default=Limits.call_timeout,
                   help=f"seconds per call into the submission (default {Limits.call_timeout:g})")
    p.add_argument("--total-timeout", type=float, default=Limits.total_timeout,
                   help=f"seconds of learner code per submission (default {Limits.total_timeout:g})")
    p.add_argument("--memory-mb", type=int, default=Limits.memory // 2**20,
                   help=f"memory limit of the learner's process (default {Limits.memory // 2**20})")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade even where no bubblewrap sandbox can be made (learner code can then "
                        "read and change what this user can; the report says so)")
    p.add_argument("--course-seed", type=int, default=None, metavar="N",
                   help="Hypothesis seed of the hidden property tests (default 0; a course sets its own)")
    p.add_argument("--require-key", action="store_true",
                   help="refuse to grade unless $GRADESCHOOL_KEY holds the course key (CI: a missing "
                        "secret must fail, not sign with a key made up on the spot)")


def register(sub) -> None:
    p = sub.add_parser("grade", help="grade one submission in isolation: report.json, results.json, CSV")
    p.add_argument("--impl", default="exercises",
                   help="the submission: a folder of topic modules, a notebook, or a folder of "
                        "notebooks (default: exercises)")
    _limits_args(p)
    p.add_argument("--label", default=None, help="the submission's name in the reports")
    p.set_defaults(func=run_grade)

    p = sub.add_parser("grade-all", help="grade every submission of a folder, in parallel")
    p.add_argument("submissions", type=Path, help="a folder of submissions (folders or notebooks)")
    p.add_argument("--jobs", "-j", type=int, default=2, help="submissions graded at once")
    _limits_args(p)
    p.set_defaults(func=run_grade_all)

    p = sub.add_parser("release", help="build the student copy of the kit (no solutions, hidden tests)")
    p.add_argument("outdir", type=Path)
    p.add_argument("--force", action="store_true", help="replace OUTDIR if it exists")
    p.set_defaults(func=run_release)


def _limits(args):
    from gradeschool.grading.process import Limits

    return Limits(call_timeout=args.call_timeout, total_timeout=args.total_timeout,
                  memory=args.memory_mb * 2**20)


def _check_selectors(selectors: list[str], command: str) -> bool:
    from gradeschool.core.catalogue import load_catalogue

    try:
        load_catalogue().resolve(selectors)
    except KeyError as err:
        print(f"gradeschool {command}: {err.args[0]}")
        return False
    return True


def _ready(args, command: str) -> bool:
    """The selection is valid, the course key is there when required, and the course seed
    is handed to the judges (gradeschool.harness.presets.judge reads it)."""
    import os
    import sys

    from gradeschool.classroom.keys import MissingKey, require_key
    from gradeschool.harness.presets import COURSE_SEED_ENV

    if not _check_selectors(args.topic, command):
        return False
    if args.require_key:
        try:
            require_key(f"gradeschool {command}")
        except MissingKey as err:
            print(f"gradeschool {command}: {err}", file=sys.stderr)
            return False
    if args.course_seed is not None:
        os.environ[COURSE_SEED_ENV] = str(args.course_seed)
    return True


def run_grade(args) -> int:
    from gradeschool.core.paths import exercises_dir, solutions_dir
    from gradeschool.grading import outputs
    from gradeschool.grading.sandbox import SandboxUnavailable
    from gradeschool.grading.supervise import grade_one

    if not _ready(args, "grade"):
        return 2
    named = {"exercises": exercises_dir(), "solutions": solutions_dir()}
    path = named.get(args.impl, Path(args.impl))
    try:
        report = grade_one(path, args.out, args.topic, label=args.label or args.impl,
                           limits=_limits(args), sandboxed=not args.no_sandbox)
    except SandboxUnavailable as err:
        print(f"gradeschool grade: {err}\n(--no-sandbox grades without one, unsafely)")
        return 2
    print(outputs.points_line(report))
    return 0


def run_grade_all(args) -> int:
    from gradeschool.grading.sandbox import SandboxUnavailable
    from gradeschool.grading.supervise import grade_all

    if not _ready(args, "grade-all"):
        return 2
    if not args.submissions.is_dir():
        print(f"gradeschool grade-all: {args.submissions} is not a folder")
        return 2
    try:
        graded = grade_all(args.submissions, args.out, jobs=args.jobs, selectors=args.topic,
                           limits=_limits(args), sandboxed=not args.no_sandbox)
    except SandboxUnavailable as err:
        print(f"gradeschool grade-all: {err}\n(--no-sandbox grades without one, unsafely)")
        return 2
    done = sum(not g.skipped for g in graded)
    print(f"graded {done}, resumed {len(graded) - done}; gradebook: {args.out / 'gradebook.csv'}, "
          f"hardest tests: {args.out / 'pass_rates.csv'}")
    return 0


def run_release(args) -> int:
    from gradeschool.build.release import ReleaseError, build_release

    try:
        report = build_release(args.outdir, force=args.force)
    except ReleaseError as err:
        print(f"gradeschool release: {err}")
        return 2
    print(f"released {report.files} files into {args.outdir}: removed {report.hidden_tests} hidden "
          f"test(s), {report.hidden_files} hidden test file(s); no solutions, no mutants")
    return 0
