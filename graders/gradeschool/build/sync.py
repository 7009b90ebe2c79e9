"""Generated files: exercises are generated from solutions (everything between `# BEGIN
SOLUTION` and `# END SOLUTION` becomes `raise NotImplementedError`), and docs/curriculum.md
from the catalogue (gradeschool.build.curriculum). `sync --check` fails on drift."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from gradeschool.build.curriculum import curriculum_path, render_curriculum
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import exercises_dir, solutions_dir
from gradeschool.core.scan import find_stubs

BEGIN = re.compile(r"^(?P<indent>\s*)#+ BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#+ END SOLUTION\s*$")
DEF = re.compile(r"^\s*(?:async\s+)?def\s+(?P<name>\w+)")


class SyncError(ValueError):
    """A solution file's markers are malformed, or it would leak an answer."""


def make_exercise(source: str, filename: str = "solution") -> str:
    """The learner's stub file for a solution file."""
    out: list[str] = []
    inside_since: int | None = None
    function = "this function"
    for lineno, line in enumerate(source.splitlines(keepends=True), 1):
        if m := DEF.match(line):
            function = m["name"]
        if m := BEGIN.match(line):
            if inside_since is not None:
                raise SyncError(f"{filename}:{lineno}: BEGIN SOLUTION inside the region opened at line {inside_since}")
            inside_since = lineno
            indent = m["indent"]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f'{indent}raise NotImplementedError("{function} is not written yet: see its docstring")\n')
        elif END.match(line):
            if inside_since is None:
                raise SyncError(f"{filename}:{lineno}: END SOLUTION without BEGIN SOLUTION")
            inside_since = None
        elif inside_since is None:
            out.append(line)
    if inside_since is not None:
        raise SyncError(f"{filename}:{inside_since}: BEGIN SOLUTION is never closed")
    return "".join(out)


@dataclass
class Drift:
    path: Path
    problem: str
    diff: str = ""


def _leaks(topic_module: str, stub_source: str) -> list[str]:
    """Catalogue functions of this module that the generated stub still implements."""
    catalogue = load_catalogue()
    stubs = find_stubs(stub_source)
    names = [f for t in catalogue.topics if t.module == topic_module for e in t.exercises for f in e.functions]
    return [n for n in names if n not in stubs]


def plan(solutions: Path | None = None, exercises: Path | None = None) -> tuple[dict[Path, str], list[Drift]]:
    """(files to write, problems found): generated text for every solution module, and
    drift between it and what exercises/ holds now."""
    solutions = solutions or solutions_dir()
    exercises = exercises or exercises_dir()
    wanted: dict[Path, str] = {}
    drift: list[Drift] = []
    for sol in sorted(solutions.glob("*.py")):
        text = make_exercise(sol.read_text(encoding="utf-8"), f"solutions/{sol.name}")
        leaks = _leaks(sol.name, text)
        if leaks:
            raise SyncError(f"solutions/{sol.name}: {', '.join(leaks)} has no BEGIN/END SOLUTION "
                            "region, so the exercise would hand out the answer")
        _plan_generated(exercises / sol.name, text, f"generated from solutions/{sol.name}", wanted, drift)
    for extra in sorted(exercises.glob("*.py")):
        if extra not in wanted:
            drift.append(Drift(extra, "has no solution file"))
    _plan_generated(curriculum_path(exercises.parent), render_curriculum(), "generated from the catalogue",
                    wanted, drift)
    return wanted, drift


def _plan_generated(target: Path, text: str, source: str, wanted: dict[Path, str], drift: list[Drift]) -> None:
    wanted[target] = text
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if current is None:
        drift.append(Drift(target, "missing"))
    elif current != text:
        diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), current.splitlines(keepends=True),
                                            source, str(target.name), n=1))
        drift.append(Drift(target, f"differs from what is {source}", diff))


def learner_work(path: Path, generated: str) -> list[str]:
    """Functions a learner has started in `path` (stubs in the generated text, not in the file)."""
    if not path.exists() or path.suffix != ".py":
        return []
    now = find_stubs(path.read_text(encoding="utf-8"))
    return [name for name in find_stubs(generated) if name not in now]


def write(wanted: dict[Path, str], drift: list[Drift], force: bool = False, echo=print) -> int:
    """Write the generated files that changed; a file a learner has started is left alone
    unless `force`. Returns how many files were left alone for that reason."""
    refused = 0
    for path, text in wanted.items():
        started = learner_work(path, text)
        if started and not force:
            echo(f"{path}: not overwritten, it holds your work on {', '.join(started)} (--force to overwrite)")
            refused += 1
            continue
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            echo(f"wrote {path}")
    for d in drift:
        if d.problem == "has no solution file":
            echo(f"{d.path}: has no solution file (left alone)")
    return refused
