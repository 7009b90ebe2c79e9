"""What the package's `run_autograder` does in Gradescope's container
(`gradeschool gradescope run --root /autograder`): find the submission, grade it with
`gradeschool grade` (the same grader, sandbox and scores as everywhere), and write
`results/results.json`, always, failing closed.

**Where bubblewrap cannot run.** Gradescope runs each submission in a fresh container of
its own; whether that container lets bubblewrap make namespaces (root with CAP_SYS_ADMIN,
or unprivileged user namespaces) depends on how Gradescope starts it. Each run checks
(gradeschool.grading.sandbox.make) and then, as the package was built:

* `sandbox = "required"` (the default): nothing is graded; every exercise scores 0 and the
  output says why, so the instructor sees it on the first test submission;
* `sandbox = "preferred"` (`gradescope build --allow-no-sandbox`): graded without the sandbox
  (`grade --no-sandbox`; report.json's `environment.sandbox.tool` is then "none" and
  results.json's output says so), as the dedicated unprivileged user `gsgrader` made by
  setup.sh (when it exists), whose leftover processes are killed afterwards; the kit, the
  virtual environment and `results/` belong to root and are out of its reach. The residual
  risk, stated in the README: learner code runs beside the judge as the same user, so a
  submission could forge its own score (it reaches nobody else's: one container per
  submission, and the key is a fresh random one per run)."""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CONFIG = "gradescope.json"
GRADER_USER = "gsgrader"
NOT_FOUND = ("no topic module ({modules}) or notebook was found in the submission: upload your "
             "topic modules (or your notebook) as files, or a folder holding them")


@dataclass(frozen=True)
class Layout:
    """The folders of Gradescope's /autograder (parametrised for local runs and tests)."""
    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    def config(self) -> dict:
        return json.loads((self.source / CONFIG).read_text(encoding="utf-8"))


def find_submission(folder: Path, modules: list[str], depth: int = 3) -> Path | None:
    """The folder to grade: the first (shallowest; `exercises/` first among equals) that
    holds a topic module, else the first holding a notebook. Links are never followed."""
    levels: list[list[Path]] = [[folder]]
    for _ in range(depth):
        below = []
        for d in levels[-1]:
            try:
                children = sorted((p for p in d.iterdir() if p.is_dir() and not p.is_symlink()
                                   and not p.name.startswith((".", "__"))),
                                  key=lambda p: (p.name != "exercises", p.name))
            except OSError:
                continue
            below.extend(children)
        levels.append(below)
    for wanted in (lambda p: any((p / m).is_file() for m in modules), lambda p: any(p.glob("*.ipynb"))):
        for level in levels:
            for d in level:
                if wanted(d):
                    return d
    return None


def _grader_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(GRADER_USER)
    except KeyError:
        return None


def _as_user(user: pwd.struct_passwd | None) -> list[str]:
    if user is None:
        return []
    return [shutil.which("setpriv") or "setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
            "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def _kill_leftovers(user: pwd.struct_passwd | None) -> None:
    """Every process of the dedicated grading user (a daemon the submission left behind)."""
    if user is not None:
        subprocess.run([*_as_user(user), "kill", "-KILL", "-1"], capture_output=True, timeout=30)


def grade(layout: Layout, sub: Path, selectors: list[str], sandboxed: bool, work: Path) -> tuple[dict | None, str]:
    """Run `gradeschool grade` on `sub`; (the signed report or None, what happened)."""
    from gradeschool.grading import outputs, signing

    key = secrets.token_hex(32)
    user = None if sandboxed else _grader_user()
    out = work / "out"
    out.mkdir()
    if user is not None:
        for p in (work, out):
            os.chown(p, user.pw_uid, user.pw_gid)
    cmd = [*_as_user(user), sys.executable, "-m", "gradeschool", "grade", "--impl", str(sub), "--out", str(out),
           "--label", "submission", *(a for s in selectors for a in ("--topic", s))]
    if not sandboxed:
        cmd.append("--no-sandbox")
    env = {**os.environ, signing.KEY_ENV: key, "HOME": str(work), "TMPDIR": str(work),
           "GRADESCHOOL_ROOT": str(layout.source / "kit")}
    try:
        run = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=3600)
        said = (run.stdout + run.stderr).strip()[-2000:]
    except subprocess.TimeoutExpired:
        said = "grading did not finish in an hour"
    finally:
        _kill_leftovers(user)
    try:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, said
    ok = outputs.is_complete(report, key.encode()) and report.get("submission") == "submission"
    return (report if ok else None), said


def results_for(report: dict, elapsed: float, notes: list[str]) -> dict:
    from gradeschool.grading import outputs

    results = outputs.gradescope(report, elapsed)
    results["output"] = "\n".join([results["output"], *notes])
    return results


def run(root: Path) -> dict:
    """Grade `root`/submission into `root`/results/results.json; returns what was written."""
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.grading import outputs
    from gradeschool.grading.sandbox import SandboxUnavailable, make

    start = time.monotonic()
    layout = Layout(Path(root))
    config = layout.config()
    selectors = list(config.get("selection", []))
    catalogue = load_catalogue()
    exercises = catalogue.resolve(selectors)
    modules = [t.module for t in catalogue.topics]
    notes: list[str] = []
    try:
        box = make()
        sandboxed = True
        notes.append(f"Graded in the bubblewrap sandbox ({box.mode} mode).")
    except SandboxUnavailable as err:
        sandboxed = False
        if config.get("sandbox") != "preferred":
            report = outputs.failed_report(exercises, "submission", "error", (
                "not graded: the autograder could not make its sandbox in this container, and this "
                f"package requires one ({err}). Instructors: see the README's Gradescope section "
                "(`gradeschool gradescope build --allow-no-sandbox`)."))
            return write_results(layout, results_for(report, time.monotonic() - start, []))
        notes.append(f"Graded WITHOUT the bubblewrap sandbox, as the package allows ({err}).")
    sub = find_submission(layout.submission, modules)
    if sub is None:
        report = outputs.failed_report(exercises, "submission", "not started",
                                       NOT_FOUND.format(modules=", ".join(modules)))
        return write_results(layout, results_for(report, time.monotonic() - start, notes))
    work = Path(tempfile.mkdtemp(prefix="gradeschool-gradescope-"))
    try:
        report, said = grade(layout, sub, selectors, sandboxed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if report is None:
        report = outputs.failed_report(exercises, "submission", "error",
                                       f"grading did not produce a valid report: {said[-500:]}")
    if sub != layout.submission:
        notes.append(f"Graded the folder {sub.relative_to(layout.submission)}/ of the submission.")
    return write_results(layout, results_for(report, time.monotonic() - start, notes))


def write_results(layout: Layout, results: dict) -> dict:
    from gradeschool.grading.outputs import write_json

    layout.results.parent.mkdir(parents=True, exist_ok=True)
    write_json(layout.results, results)
    return results
