"""`gradeschool release OUTDIR`: the student-facing copy of the kit.

Copied: exercises/, the public exercise tests (tests/topics/test_<topic>.py of the catalogue's
topics), datasets/, the `graders/` package, docs/ (but the maintainers' guide),
pyproject.toml, constraints*.txt, conftest.py, and a student README (`student_readme`: the
set-up, the learner loop and the topics of the kit's README, no maintainer material, no
link outside the release). Left out: solutions/, tests/mutants/, tests/hidden/, the kit's
own tests, caches, and every hidden test: a test function or class decorated with
`@pytest.mark.hidden` is cut out of its file, and a file with `pytestmark =
pytest.mark.hidden` (or a list holding it) is not copied at all.

tests/kit/build/test_release.py checks that nothing released solves an exercise: no line
of a solution body (hints included), and no released function that behaves as an
exercise's answer."""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import kit_root

TOP_FILES = ("pyproject.toml", "conftest.py", "LICENSE", ".gitignore")
TOP_DIRS = ("exercises", "datasets", "graders", "docs")
SKIP_NAMES = {"__pycache__", ".pytest_cache", ".hypothesis", ".benchmarks", ".ruff_cache",
              ".gradeschool", "solutions", "mutants", "submissions", "maintainers.md"}
# the kit README's sections a student gets, in this order (level-2 headings)
STUDENT_SECTIONS = ("Set up", "The learner loop", "Topics")
STUDENT_INTRO = """\
# gradeschool: your copy

**Deep learning from scratch, graded.** You implement the building blocks of neural
networks in NumPy by filling in the stub functions of `exercises/`. Every stub is checked
by property tests (Hypothesis) against a PyTorch reference, and speed tests make sure your
code is vectorised. Start with `exercises/neuron.py` and `gradeschool check neuron`, or
leave `gradeschool` running beside your editor.
"""


class ReleaseError(Exception):
    pass


@dataclass
class ReleaseReport:
    files: int = 0
    hidden_tests: int = 0
    hidden_files: int = 0


def _is_hidden_mark(node: ast.expr) -> bool:
    """`pytest.mark.hidden` or `mark.hidden`, called or not."""
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr == "hidden" and (
        (isinstance(node.value, ast.Attribute) and node.value.attr == "mark")
        or (isinstance(node.value, ast.Name) and node.value.id == "mark"))


def _file_is_hidden(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            if any(_is_hidden_mark(v) for v in values):
                return True
    return False


def strip_hidden(source: str) -> tuple[str | None, int]:
    """(the source without its hidden tests, how many were cut); None for a hidden file."""
    tree = ast.parse(source)
    if _file_is_hidden(tree):
        return None, 0
    lines = source.splitlines(keepends=True)
    cuts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and any(
                _is_hidden_mark(d) for d in node.decorator_list):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            cuts.append((start - 1, node.end_lineno))
    for start, end in reversed(cuts):
        del lines[start:end]
    return "".join(lines), len(cuts)


def public_test_files(root: Path) -> list[Path]:
    """The topic tests of the catalogue's topics (tests/topics/test_<topic>.py)."""
    tests = root / "tests" / "topics"
    names = [f"test_{t.name}.py" for t in load_catalogue().topics]
    keep = [tests / n for n in names if (tests / n).is_file()]
    keep += [p for p in (tests / "conftest.py",) if p.is_file()]
    return keep


def markdown_sections(text: str) -> dict[str, str]:
    """A README's level-2 sections: heading -> body (up to the next level-2 heading)."""
    found: dict[str, str] = {}
    heading = None
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            heading = line[3:].strip()
            found[heading] = ""
        elif heading is not None:
            found[heading] += line
    return found


def _local_links_only(text: str, outdir: Path) -> str:
    """Markdown links that lead outside the release (the web, ../) become their text."""
    def keep(m: re.Match) -> str:
        target = m.group(2).split("#")[0]
        inside = target and "://" not in target and not target.startswith(("/", "mailto:")) \
            and (outdir / target).resolve().is_relative_to(outdir.resolve())
        return m.group(0) if inside else m.group(1)

    return re.sub(r"\[([^\]]*)\]\(([^)\s]*)\)", keep, text)


def student_readme(readme: str, outdir: Path) -> str:
    """The student README: an introduction, then the kit README's set-up, learner loop and
    topics (section markers dropped, and the blocks between `<!-- kit only -->` and
    `<!-- end kit only -->`: the clone's and instructors' notes), with links only inside
    the release."""
    sections = markdown_sections(readme)
    parts = [STUDENT_INTRO]
    for heading in STUDENT_SECTIONS:
        if heading in sections:
            body = re.sub(r"^<!-- (end )?section: [\w-]+ -->\n", "", sections[heading], flags=re.M)
            body = re.sub(r"<!-- kit only -->\n?.*?<!-- end kit only -->\n?", "", body, flags=re.S)
            body = "".join(line for line in body.splitlines(keepends=True) if "not in a student release" not in line)
            parts.append(f"## {heading}\n{body.rstrip()}\n")
    return _local_links_only("\n".join(parts), outdir)


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIP_NAMES or n.endswith((".pyc", ".egg-info"))}


def build_release(outdir: Path, root: Path | None = None, force: bool = False) -> ReleaseReport:
    root = Path(root or kit_root()).resolve()
    outdir = Path(outdir).resolve()
    if outdir == root or root in outdir.parents:
        raise ReleaseError(f"{outdir} is inside the kit; choose a folder outside it")
    if outdir.exists():
        if not force and any(outdir.iterdir()):
            raise ReleaseError(f"{outdir} exists and is not empty (use --force to replace it)")
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    report = ReleaseReport()
    for name in TOP_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, outdir / name)
    for c in sorted(root.glob("constraints*.txt")):
        shutil.copy2(c, outdir / c.name)
    for name in TOP_DIRS:
        if (root / name).is_dir():
            shutil.copytree(root / name, outdir / name, ignore=_ignore)
    if (root / "README.md").is_file():
        (outdir / "README.md").write_text(student_readme((root / "README.md").read_text(encoding="utf-8"), outdir),
                                          encoding="utf-8")
    (outdir / "tests" / "topics").mkdir(parents=True)
    for path in public_test_files(root):
        text, cut = strip_hidden(path.read_text(encoding="utf-8"))
        if text is None:
            report.hidden_files += 1
            continue
        report.hidden_tests += cut
        (outdir / "tests" / "topics" / path.name).write_text(text, encoding="utf-8")
    report.files = sum(1 for p in outdir.rglob("*") if p.is_file())
    return report
