"""Grading one submission or a whole class: a judge process per submission (which runs
the learner's code in its own worker), a hard time limit on it, and a report written in
every case: when the judge itself fails, every exercise of that submission scores 0 with
the reason."""

from __future__ import annotations

import json
import os
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
from gradeschool.core.paths import kit_root
from gradeschool.grading import intake, outputs, signing
from gradeschool.grading.proxy import Limits

JUDGE_OVERHEAD = 120.0  # seconds beyond the learner's total time: torch, pytest, start-up


class SubmissionError(Exception):
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
        raise SubmissionError("; ".join(taken.refused.values()))
    try:
        from gradeschool.build.notebooks.convert import notebook_to_modules
    except ImportError as err:
        raise SubmissionError("grading notebooks needs gradeschool.build.notebooks.convert."
                              f"notebook_to_modules, which is not available ({err})") from None
    return Path(notebook_to_modules([taken.folder / n for n in taken.files], workdir / "converted"))


def _judge_command(sub: Path, out: Path, label: str, selectors: list[str], limits: Limits,
                   hide: list[Path], dig: str, refused: dict[str, str], sandboxed: bool) -> list[str]:
    cmd = [sys.executable, "-m", "gradeschool.grading.judge", str(sub), "--out", str(out),
           "--label", label, "--digest", dig,
           "--call-timeout", str(limits.call_timeout), "--total-timeout", str(limits.total_timeout),
           "--memory-mb", str(limits.memory // 2**20)]
    for s in selectors:
        cmd += ["--select", s]
    for h in hide:
        cmd += ["--hide", str(h)]
    for name, why in refused.items():
        cmd += ["--refused", f"{name}={why}"]
    return cmd if sandboxed else [*cmd, "--no-sandbox"]


def check_sandbox(sandboxed: bool) -> None:
    """Refuse to grade (SandboxUnavailable, saying why) when no sandbox can be made here,
    unless the person grading chose to grade without one."""
    if sandboxed:
        from gradeschool.grading.sandbox import make

        make()


def grade_one(path: Path, out: Path, selectors: list[str] = (), label: str | None = None,
              limits: Limits | None = None, hide: list[Path] = (), sandboxed: bool = True) -> dict:
    """Grade one submission (folder of topic modules, notebook, or folder of notebooks)
    into `out`; always returns (and writes) a signed report. Raises SandboxUnavailable,
    before anything else, when `sandboxed` and no sandbox can be made here."""
    check_sandbox(sandboxed)
    limits = limits or Limits()
    selectors = list(selectors)
    path = Path(os.path.abspath(path))  # not resolved: a submission that is a link is refused
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    label = label or path.stem
    exercises = load_catalogue().resolve(selectors)
    signing.load_key()  # created once here, not raced by parallel judges
    for name in ("report.json", "results.json", "grades.csv"):
        (out / name).unlink(missing_ok=True)
    extra = {"selection": sorted(selectors)}
    if not os.path.lexists(path):
        report = outputs.failed_report(exercises, label, "error", f"{path} does not exist", extra)
        return outputs.write_outputs(report, out)
    workdir = Path(tempfile.mkdtemp(prefix="gradeschool-sub-"))
    try:
        try:
            taken = intake.take(path, topic_files(), workdir)
            dig = extra["submission_digest"] = taken.digest
            sub = prepare(taken, workdir)
        except Exception as err:  # noqa: BLE001 - an unreadable submission still gets a report
            report = outputs.failed_report(exercises, label, "error",
                                           f"the submission could not be read: {err}", extra)
            return outputs.write_outputs(report, out)
        hidden = [kit_root(), out, path if path.is_dir() else path.parent, *map(Path, hide)]
        cmd = _judge_command(sub, out, label, selectors, limits, hidden, dig,
                             {} if taken.notebooks else taken.refused, sandboxed)
        with open(out / "judge.log", "wb") as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, cwd=workdir)
            try:
                proc.wait(timeout=limits.total_timeout + JUDGE_OVERHEAD)
                problem = None if proc.returncode == 0 else \
                    f"the grader stopped with exit code {proc.returncode} (see judge.log)"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                problem = "timeout"
        report = _read_report(out / "report.json")
        if report is not None and report.get("submission_digest") == dig and problem is None:
            return report
        status = "timeout" if problem == "timeout" else "error"
        message = ("grading did not finish in time" if problem == "timeout" else
                   problem or "the grader ended without a valid report")
        report = outputs.failed_report(exercises, label, status, message, extra)
        return outputs.write_outputs(report, out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _read_report(path: Path) -> dict | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and outputs.is_complete(report) else None


# ---------------------------------------------------------------- a whole class
def list_submissions(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".ipynb"))


def grade_all(folder: Path, out: Path, jobs: int = 2, selectors: list[str] = (),
              limits: Limits | None = None, echo=print, sandboxed: bool = True) -> list[Graded]:
    """Grade every submission of `folder` (sub-folders or notebooks) in parallel, each in its
    own judge process; resume: a submission whose signed report matches its files and the
    selection is not graded again. Writes gradebook.csv and pass_rates.csv into `out`."""
    check_sandbox(sandboxed)
    folder, out = Path(folder).resolve(), Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    signing.load_key()
    subs = list_submissions(folder)

    def one(path: Path) -> Graded:
        name = path.stem
        target = out / name
        start = time.monotonic()
        old = _read_report(target / "report.json")
        if old is not None and old.get("submission_digest") == digest(path) \
                and old.get("selection") == sorted(selectors):
            return Graded(name, old, 0.0, skipped=True)
        try:
            report = grade_one(path, target, selectors, label=name, limits=limits,
                               hide=[folder, out], sandboxed=sandboxed)
        except Exception as err:  # noqa: BLE001 - one submission never stops the others
            exercises = load_catalogue().resolve(list(selectors))
            report = outputs.write_outputs(outputs.failed_report(
                exercises, name, "error", f"grading failed: {err}",
                {"selection": sorted(selectors)}), target)
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
