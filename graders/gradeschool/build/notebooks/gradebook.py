"""`gradeschool nbgrader autograde COURSE ASSIGNMENT`: nbgrader's autograde, then every
submitted notebook regraded by the isolated grader, whose scores replace the kernel's in
nbgrader's gradebook.

nbgrader runs a grade cell in the student's own kernel, where the student's code ran
first and can patch anything (gradeschool.build.notebooks.cells says what the cell
itself resists). So the kernel's scores are only a first pass: each submitted notebook is
graded again by `gradeschool.grading.supervise.grade_one` (learner code in an isolated
worker, the hidden tests and the course seed of the notebook's grade cells), and for each
grade cell the isolated score is written into the gradebook as its `auto_score`. A cell
whose kernel score differs is flagged: `needs_manual_grade` is set (formgrader lists it)
and the difference is printed and kept in `isolated/<assignment>/regrade.csv`, beside
each notebook's reports (report.json, judge.log). `nbgrader export` and
`generate_feedback` then read the isolated scores."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from gradeschool.build.notebooks.convert import read_notebook
from gradeschool.build.notebooks.provided import earlier_imports
from gradeschool.build.notebooks.source import META, NotebookError
from gradeschool.core.render import fmt_points
from gradeschool.grading.intake import read_file
from gradeschool.harness.presets import COURSE_SEED_ENV

SEED = re.compile(r"course_seed=(\d+)")
REPORTS = "isolated"


@dataclass
class Regraded:
    """One grade cell of one student's notebook: the kernel's score and the isolated one."""

    student: str
    notebook: str
    exercise: str
    kernel: float | None
    isolated: float
    max_points: float
    status: str
    flagged: bool


@dataclass
class _Source:
    name: str
    topic: str
    exercises: list[str]
    seed: int | None
    earlier: list[str]  # topic modules whose notebooks the student's own cell imports from


def _sources(course: Path, assignment: str) -> list[_Source]:
    found = []
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        nb = read_notebook(path)
        meta = nb.metadata.get(META, {})
        if not meta.get("topic"):
            continue
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        seeds = {int(m) for src in code for m in SEED.findall(src)}
        imports = [earlier_imports(src) for src in code]
        earlier = [line.split()[1] for text in imports if text for line in text.splitlines()]
        found.append(_Source(path.stem, meta["topic"], list(meta.get("exercises", [])),
                             seeds.pop() if len(seeds) == 1 else None, earlier))
    if not found:
        raise NotebookError(f"{course / 'source' / assignment} has no gradeschool notebook")
    return found


def _students(course: Path, assignment: str, only: list[str]) -> list[str]:
    folder = course / "submitted"
    names = sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.is_dir() else []
    return [s for s in names if not only or s in only]


def _topic_of(data: bytes) -> str | None:
    """The topic a notebook's metadata names (the kit's release writes it), or None."""
    try:
        topic = json.loads(data).get("metadata", {}).get(META, {}).get("topic")
    except (ValueError, AttributeError):
        return None
    return topic if isinstance(topic, str) else None


def _submission(course: Path, student: str, assignment: str, source: _Source, into: Path) -> Path | None:
    """A folder holding the student's notebook and, for an `own`-mode notebook, the
    student's own notebooks of the earlier topics it imports from."""
    notebook = course / "submitted" / student / assignment / f"{source.name}.ipynb"
    if not os.path.lexists(notebook):
        return None
    into.mkdir(parents=True)
    # read as the grader's intake reads (no link followed, regular files under the cap): a
    # notebook that is refused is graded as missing, so its exercises get 0, never the
    # kernel's score
    data = read_file(notebook)
    if isinstance(data, bytes):
        (into / notebook.name).write_bytes(data)
    wanted = set(source.earlier)
    for other in sorted((course / "submitted" / student).glob("*/*.ipynb")):
        if other.parent.name == assignment or not wanted:
            continue
        data = read_file(other)
        topic = _topic_of(data) if isinstance(data, bytes) else None
        if topic in wanted:
            wanted.discard(topic)
            (into / f"{topic}.ipynb").write_bytes(data)
    return into


def run_nbgrader_autograde(course: Path, assignment: str, students: list[str]) -> None:
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"]
    for s in students:
        command.append(f"--student={s}")
    # nbgrader runs `alembic` from PATH: this Python's own scripts come first
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    run = subprocess.run(command, cwd=course, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise NotebookError(f"nbgrader autograde failed:\n{run.stdout}\n{run.stderr}")


def regrade(course: str | Path, assignment: str, students: list[str] = (), jobs: int = 2,
            limits=None, run_nbgrader: bool = True, echo=print) -> list[Regraded]:
    """nbgrader's autograde (unless `run_nbgrader` is False), then the isolated regrade of
    every submitted notebook of `assignment`, written into the gradebook."""
    from nbgrader.api import Gradebook

    from gradeschool.grading.supervise import grade_one

    course = Path(course).resolve()
    sources = _sources(course, assignment)
    names = _students(course, assignment, list(students))
    if run_nbgrader:
        run_nbgrader_autograde(course, assignment, list(students))
    reports = course / REPORTS / assignment
    work = Path(tempfile.mkdtemp(prefix="gradeschool-regrade-"))
    rows: list[Regraded] = []
    try:
        for seed in sorted({s.seed for s in sources}, key=lambda s: -1 if s is None else s):
            group = [s for s in sources if s.seed == seed]
            if seed is None:
                os.environ.pop(COURSE_SEED_ENV, None)
            else:
                os.environ[COURSE_SEED_ENV] = str(seed)

            def one(job: tuple[str, _Source]) -> tuple[str, _Source, dict | None]:
                student, source = job
                folder = _submission(course, student, assignment, source, work / student / source.name)
                if folder is None:
                    return student, source, None
                return student, source, grade_one(folder, reports / student / source.name, source.exercises,
                                                  label=student, limits=limits)

            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                graded = list(pool.map(one, [(st, src) for st in names for src in group]))
            with Gradebook(_db_url(course)) as gb:
                for student, source, report in graded:
                    if report is not None:
                        rows += _write_scores(gb, assignment, student, source, report)
                gb.db.commit()
    finally:
        os.environ.pop(COURSE_SEED_ENV, None)
        shutil.rmtree(work, ignore_errors=True)
    _write_csv(rows, reports / "regrade.csv")
    for r in rows:
        if r.flagged:
            kernel = "no score" if r.kernel is None else fmt_points(r.kernel)
            echo(f"FLAGGED {r.student} {r.notebook} {r.exercise}: kernel {kernel}, isolated {fmt_points(r.isolated)}"
                 f"/{fmt_points(r.max_points)} ({r.status})")
    return rows


def _db_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def _write_scores(gb, assignment: str, student: str, source: _Source, report: dict) -> list[Regraded]:
    rows = []
    by_name = {e["name"]: e for e in report["exercises"]}
    for name in source.exercises:
        e = by_name.get(name, {"points": 0.0, "max_points": 0.0, "status": "error"})
        grade = gb.find_grade(f"{name}_tests", source.name, assignment, student)
        kernel = None if grade.auto_score is None else float(grade.auto_score)
        isolated = float(e["points"])
        flagged = kernel is None or abs(kernel - isolated) > 1e-6
        grade.auto_score = isolated
        if flagged:
            grade.needs_manual_grade = True
        rows.append(Regraded(student, source.name, name, kernel, isolated, float(grade.max_score),
                             e["status"], flagged))
    return rows


def _write_csv(rows: list[Regraded], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(Regraded.__dataclass_fields__), lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
