"""Submitted notebooks turned back into topic modules.

The code cells of a notebook, grade cells left out, become `<topic>.py`, which
`gradeschool grade` grades like any submission; a learner's own `gradeschool.check(...)`
calls are left out (a topic module may import NumPy and the standard library only), and
an `own`-mode cell that takes functions from the student's earlier notebooks becomes the
sibling import it stands for (`from neuron import relu`)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gradeschool.build.notebooks.cells import GRADE_MARK
from gradeschool.build.notebooks.provided import earlier_imports
from gradeschool.build.notebooks.source import META, NotebookError
from gradeschool.core.catalogue import Catalogue, load_catalogue

MAGIC = re.compile(r"^\s*[%!]")


def is_grade_cell(cell: Mapping[str, Any]) -> bool:
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {})
    if nbg.get("grade") and not nbg.get("solution"):
        return True
    if meta.get(META, {}).get("role") == "grade":
        return True
    return GRADE_MARK in "".join(cell.get("source", ""))


def _without_checks(source: str) -> str:
    """Drop the top-level statements of a cell that import or use gradeschool (a learner's
    own `gradeschool.check(...)` calls): a topic module may import NumPy and the standard
    library only. Definitions are always kept."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # graded as it is: the import reports the syntax error
    names = {"gradeschool"}
    drop: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] == "gradeschool" for m in mods):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
                drop.append(node)
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and any(
                isinstance(n, ast.Name) and n.id in names for n in ast.walk(node)):
            drop.append(node)
    lines = source.splitlines()
    for node in reversed(drop):
        lines[node.lineno - 1:node.end_lineno] = [f"# (left out: uses gradeschool) {lines[node.lineno - 1].strip()}"]
    return "\n".join(lines)


def notebook_code(nb: Mapping[str, Any]) -> str:
    """The code of a notebook's code cells, grade cells left out, IPython magics commented,
    statements that use gradeschool left out, `own`-mode cells as sibling imports."""
    blocks = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or is_grade_cell(cell):
            continue
        source = "".join(cell.get("source", ""))
        imports = earlier_imports(source)
        if imports is not None:
            blocks.append(imports)
            continue
        lines = [("# (notebook magic) " + line if MAGIC.match(line) else line)
                 for line in source.splitlines()]
        text = _without_checks("\n".join(lines)).strip("\n")
        if text:
            blocks.append(text)
    return "\n\n\n".join(blocks) + "\n"


def notebook_topic(path: Path, nb: Mapping[str, Any], code: str, catalogue: Catalogue) -> str:
    """The topic from the notebook's metadata, else its file name, else the catalogue
    functions its code defines."""
    names = catalogue.topic_names()
    topic = nb.get("metadata", {}).get(META, {}).get("topic")
    if topic in names:
        return topic
    if path.stem in names:
        return path.stem
    try:
        defined = {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    except SyntaxError:
        defined = set()
    counts = {t.name: sum(1 for e in t.exercises for f in e.functions if f in defined) for t in catalogue.topics}
    best = max(counts, key=counts.get, default=None)
    if best is None or counts[best] == 0:
        raise NotebookError(f"{path.name}: cannot tell its topic (no gradeschool metadata, the file "
                            f"name is not a topic, and it defines no exercise function)")
    return best


def read_notebook(path: Path):
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        raise NotebookError(f"{path}: not a readable notebook ({err})") from None


def notebook_to_modules(paths: Iterable[str | Path] | str | Path, out_dir: str | Path) -> Path:
    """Write `<topic>.py` in `out_dir` for each notebook (its code cells but the grade
    cells); returns `out_dir`, a folder of topic modules to grade like a submission."""
    catalogue = load_catalogue()
    if isinstance(paths, str | Path):
        paths = [paths]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Path] = {}
    for p in map(Path, paths):
        nb = read_notebook(p)
        code = notebook_code(nb)
        topic = notebook_topic(p, nb, code, catalogue)
        if topic in seen:
            raise NotebookError(f"{p.name} and {seen[topic].name} are both notebooks of topic {topic!r}")
        seen[topic] = p
        header = f"# Generated by gradeschool from the notebook {p.name} (code cells, grade cells left out).\n"
        (out / catalogue.topic(topic).module).write_text(header + code, encoding="utf-8")
    return out
