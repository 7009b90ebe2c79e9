"""Grading one submission or a whole class: a judge process per submission (which runs
the learner's code in its own sandboxed worker), a hard time limit on it, and a report
written in every case: when the judge itself fails, every exercise of that submission
scores 0 with the reason.

The supervisor is the only part that holds the signing key. It starts the judge without
$GRADESCHOOL_KEY, under a memory limit, reads its unsigned findings once it has exited
(gradeschool.grading.findings: checked, never trusted), computes the points from the
catalogue and signs. A grading that was disturbed (a worker or sandbox that could not be
started, a judge that crashed, ran out of time or wrote no valid findings) says so in
the report's `grading.disturbed`, and resuming `grade-all` grades it again."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gradeschool.core.catalogue import load_catalogue
from gradeschool.grading import findings, intake, outputs, signing
from gradeschool.grading.process import Limits
from gradeschool.harness import presets

JUDGE_OVERHEAD = 120.0  # seconds beyond the learner's total time: torch, pytest, start-up
JUDGE_MEMORY = 6 * 2**30  # bytes of address space of a judge (torch, pytest; replies are capped)
LOG_BYTES = 2**20  # the end of the judge's output kept in judge.log


class UnreadableSubmission(Exception):
    """The submission cannot be read at all (no such folder, notebook converter missing)."""


@dataclass
class Graded:
    name: str
    report: dict
    seconds: float
    skipped: bool = False


def topic_files() -> list[str]:
    return [t.module for t in load_catalogue().topics]


def digest(path: Path) -> str:
    """SHA-256 of what grading would take of `path` ("" when it cannot be taken at all)."""
    try:
        taken = intake.take(path, topic_files())
    except intake.SubmissionRefused:
        return ""
    shutil.rmtree(taken.folder, ignore_errors=True)
    return taken.digest


def prepare(taken: intake.Intake, workdir: Path) -> Path:
    """The folder of topic modules to grade: the intake's private copy, or the modules
    converted from its copied notebooks. The judge and the worker never see the original."""
    if not taken.notebooks:
        return taken.folder
    if taken.refused:
        raise UnreadableSubmission("; ".join(taken.refused.values()))
    try:
        from gradeschool.build.notebooks.convert import notebook_to_modules
    except ImportError as err:
        raise UnreadableSubmission("grading notebooks needs gradeschool.build.notebooks.convert."
                              f"notebook_to_modules, which is not available ({err})") from None
    return Path(notebook_to_modules([taken.folder / n for n in taken.files], workdir / "converted"))


def _judge_command(sub: Path, result: Path, label: str, selectors: list[str], limits: Limits,
                   refused: dict[str, str], sandboxed: bool) -> list[str]:
    cmd = [sys.executable, "-m", "gradeschool.grading.judge", str(sub), "--result", str(result),
           "--label", label, "--call-timeout", str(limits.call_timeout),
           "--total-timeout", str(limits.total_timeout), "--memory-mb", str(limits.memory // 2**20)]
    for s in selectors:
        cmd += ["--select", s]
    for name, why in refused.items():
        cmd += ["--refused", f"{name}={why}"]
    return cmd if sandboxed else [*cmd, "--no-sandbox"]


def judge_environment() -> dict[str, str]:
    """The judge's environment: this one without the signing key."""
    return {k: v for k, v in os.environ.items() if k != signing.KEY_ENV}


def _judge_limits(limits: Limits):
    memory = max(JUDGE_MEMORY, limits.memory + 4 * 2**30)

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def check_sandbox(sandboxed: bool) -> dict:
    """How learner code will be isolated (the report's environment.sandbox). Refuses to
    grade (SandboxUnavailable, saying why) when no sandbox can be made here, unless the
    person grading chose to grade without one."""
    if not sandboxed:
        from gradeschool.grading.isolated import NO_SANDBOX

        return dict(NO_SANDBOX)
    from gradeschool.grading.sandbox import make

    return make().describe()


def _keep_log(log: Path, out: Path) -> None:
    try:
        with open(log, "rb") as f:
            f.seek(max(0, os.path.getsize(log) - LOG_BYTES))
            (out / "judge.log").write_bytes(f.read(LOG_BYTES))
    except OSError:
        pass


def _run_judge(cmd: list[str], workdir: Path, out: Path, limits: Limits) -> str | None:
    """Run the judge to its end; None, or what went wrong."""
    log = workdir / "judge.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, cwd=workdir,
                                env=judge_environment(), start_new_session=True,
                                preexec_fn=_judge_limits(limits))
        try:
            proc.wait(timeout=limits.total_timeout + JUDGE_OVERHEAD)
            problem = None if proc.returncode == 0 else \
                f"the grader stopped with exit code {proc.returncode} (see judge.log)"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            problem = "timeout"
    _keep_log(log, out)
    return problem


def grade_one(path: Path, out: Path, selectors: list[str] = (), label: str | None = None,
              limits: Limits | None = None, sandboxed: bool = True) -> dict:
    """Grade one submission (folder of topic modules, notebook, or folder of notebooks)
    into `out`; always returns (and writes) a signed report. Raises SandboxUnavailable,
    before anything else, when `sandboxed` and no sandbox can be made here."""
    sandbox = check_sandbox(sandboxed)
    limits = limits or Limits()
    selectors = list(selectors)
    path = Path(os.path.abspath(path))  # not resolved: a submission that is a link is refused
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    label = label or path.stem
    exercises = load_catalogue().resolve(selectors)
    signing.load_key()  # created once here, not raced by parallel judges
    for name in ("report.json", "results.json", "grades.csv", "judge.log"):
        (out / name).unlink(missing_ok=True)
    # the judge's preset reads the same course seed from the environment it inherits
    extra = {"selection": sorted(selectors), "course_seed": presets.judge().course_seed}
    env = outputs.environment(sandbox=sandbox)

    def failed(status: str, message: str, disturbed: list[str] = ()) -> dict:
        grading = {"worker_starts": 0, "disturbed": list(disturbed)}
        report = outputs.failed_report(exercises, label, status, message, {**extra, "grading": grading}, env)
        return outputs.write_outputs(report, out)

    if not os.path.lexists(path):
        return failed("error", f"{path} does not exist")
    workdir = Path(tempfile.mkdtemp(prefix="gradeschool-sub-"))
    try:
        try:
            taken = intake.take(path, topic_files(), workdir)
            extra["submission_digest"] = taken.digest
            sub = prepare(taken, workdir)
        except Exception as err:  # noqa: BLE001 - an unreadable submission still gets a report
            return failed("error", f"the submission could not be read: {err}")
        result = workdir / "judged.json"
        cmd = _judge_command(sub, result, label, selectors, limits,
                             {} if taken.notebooks else taken.refused, sandboxed)
        problem = _run_judge(cmd, workdir, out, limits)
        if problem == "timeout":
            return failed("timeout", "grading did not finish in time", ["the judge ran out of time"])
        try:
            found = findings.read(result, exercises)
        except findings.FindingsRefused as err:
            why = problem or f"the grader's findings were refused: {err}"
            return failed("error", why, [why])
        if problem:
            return failed("error", problem, [problem])
        grading = {"worker_starts": found.worker_starts, "disturbed": found.disturbed}
        report = outputs.build_report(found.results, exercises, label, {**found.environment, "sandbox": sandbox},
                                      {**extra, "grading": grading}, found.untested)
        return outputs.write_outputs(report, out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _read_report(path: Path) -> dict | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and outputs.is_complete(report) else None


def trusted_for_resume(report: dict | None, digest_now: str, selectors: list[str]) -> bool:
    """A report that resuming may keep: signed, of these files and this selection, and not
    disturbed (a grading that could not run properly is graded again)."""
    if report is None or report.get("submission_digest") != digest_now \
            or report.get("selection") != sorted(selectors):
        return False
    grading = report.get("grading")
    return isinstance(grading, dict) and grading.get("disturbed") == []


# ---------------------------------------------------------------- a whole class
def list_submissions(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".ipynb"))


# what grade-all writes beside the submissions' folders
CLASS_FILES = frozenset({"gradebook.csv", "pass_rates.csv"})


def output_names(subs: list[Path]) -> dict[Path, str]:
    """Each submission's folder name under grade-all's OUT: a folder's own name, a
    notebook's name without `.ipynb` unless that is taken (by a folder `alice` beside
    `alice.ipynb`), then its full name. Never one of grade-all's own files
    (`gradebook.csv`), never another submission's: one submission never writes over
    another's report, and the class files are always written."""
    folders = {p.name for p in subs if p.is_dir()}
    names: dict[Path, str] = {}
    for p in subs:
        name = p.name if p.is_dir() or p.stem in folders | CLASS_FILES else p.stem
        while name in CLASS_FILES or name in names.values() or (name in folders and name != p.name):
            name += "_"
        names[p] = name
    return names


def grade_all(folder: Path, out: Path, jobs: int = 2, selectors: list[str] = (),
              limits: Limits | None = None, echo=print, sandboxed: bool = True) -> list[Graded]:
    """Grade every submission of `folder` (sub-folders or notebooks) in parallel, each in its
    own judge process; resume: a submission whose signed report matches its files and the
    selection, and whose grading was not disturbed, is not graded again. Writes
    gradebook.csv and pass_rates.csv into `out`."""
    check_sandbox(sandboxed)
    folder, out = Path(folder).resolve(), Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    signing.load_key()
    subs = list_submissions(folder)
    names = output_names(subs)

    def one(path: Path) -> Graded:
        name = names[path]
        target = out / name
        start = time.monotonic()
        old = _read_report(target / "report.json")
        if trusted_for_resume(old, digest(path), list(selectors)):
            return Graded(name, old, 0.0, skipped=True)
        try:
            report = grade_one(path, target, selectors, label=name, limits=limits, sandboxed=sandboxed)
        except Exception as err:  # noqa: BLE001 - one submission never stops the others
            exercises = load_catalogue().resolve(list(selectors))
            why = f"grading failed: {err}"
            report = outputs.write_outputs(outputs.failed_report(
                exercises, name, "error", why,
                {"selection": sorted(selectors), "grading": {"worker_starts": 0, "disturbed": [why]}}), target)
        graded = Graded(name, report, time.monotonic() - start)
        echo(f"{name}: {outputs.points_line(report)} ({graded.seconds:.1f} s)")
        return graded

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        graded = list(pool.map(one, subs))
    reports = [g.report for g in graded]
    (out / "gradebook.csv").write_text(
        outputs.csv_text([outputs.nbgrader_row(r) for r in reports]), encoding="utf-8")
    write_pass_rates(reports, out)
    return graded


def pass_rates(reports: list[dict]) -> list[dict]:
    """Per test across the class: how many passed, of how many graded; hardest first."""
    rows: dict[tuple[str, str], dict] = {}
    for report in reports:
        for e in report.get("exercises", []):
            for t in e.get("tests", []):
                if t["status"] == "skipped":
                    continue
                row = rows.setdefault((e["name"], t["name"]), {
                    "exercise": e["name"], "topic": e["topic"], "test": t["name"],
                    "passed": 0, "graded": 0})
                row["graded"] += 1
                row["passed"] += t["status"] == "passed"
    out = list(rows.values())
    for r in out:
        r["pass_rate"] = round(r["passed"] / r["graded"], 4) if r["graded"] else 0.0
    return sorted(out, key=lambda r: (r["pass_rate"], r["exercise"], r["test"]))


def write_pass_rates(reports: list[dict], out: Path) -> None:
    import csv

    rows = pass_rates(reports)
    with open(out / "pass_rates.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["exercise", "topic", "test", "passed", "graded",
                                          "pass_rate"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
