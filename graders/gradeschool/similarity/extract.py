"""Each submission's code per exercise: the source of the exercise's functions and
classes, read with the grader's safe intake (no link followed, size caps) from topic
modules or notebooks. Learner code is only read, never run. An exercise whose code is
still the stub (or missing) has none."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from gradeschool.core.catalogue import Catalogue, load_catalogue
from gradeschool.core.paths import exercises_dir, solutions_dir
from gradeschool.grading import intake
from gradeschool.learner.source import definitions


def exercise_code(modules: dict[str, str], catalogue: Catalogue) -> dict[str, str]:
    """{exercise: its functions' source} from {module file name: text}."""
    out = {}
    for t in catalogue.topics:
        text = modules.get(t.module)
        if text is None:
            continue
        try:
            found = definitions(text, [f for e in t.exercises for f in e.functions])
        except SyntaxError:
            continue
        for e in t.exercises:
            parts = [found[f] for f in e.functions if f in found]
            if parts:
                out[e.name] = "\n\n".join(parts)
    return out


def read_submission(path: Path, catalogue: Catalogue | None = None) -> dict[str, str]:
    """{exercise: code} of one submission (a folder of topic modules, notebooks, or a notebook)."""
    catalogue = catalogue or load_catalogue()
    work = Path(tempfile.mkdtemp(prefix="gradeschool-similar-"))
    try:
        taken = intake.take(path, [t.module for t in catalogue.topics], work)
        if taken.notebooks:
            from gradeschool.build.notebooks.convert import notebook_to_modules
            from gradeschool.build.notebooks.source import NotebookError

            try:
                folder = notebook_to_modules([taken.folder / n for n in taken.files], work / "converted")
            except NotebookError:
                return {}
            modules = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.py")}
        else:
            modules = {n: b.decode("utf-8", "replace") for n, b in taken.files.items()}
    except intake.SubmissionRefused:
        return {}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return exercise_code(modules, catalogue)


def kit_code(folder: Path, catalogue: Catalogue | None = None) -> dict[str, str]:
    catalogue = catalogue or load_catalogue()
    modules = {t.module: (folder / t.module).read_text(encoding="utf-8")
               for t in catalogue.topics if (folder / t.module).is_file()}
    return exercise_code(modules, catalogue)


def stubs() -> dict[str, str]:
    """The exercises as handed out: what every submission shares (boilerplate)."""
    return kit_code(exercises_dir())


def reference() -> dict[str, str]:
    """The reference solutions (absent from a student release: then nothing is flagged)."""
    return kit_code(solutions_dir()) if solutions_dir().is_dir() else {}
