"""A topic's nbgrader source notebook, generated from `solutions/<topic>.py`:

- markdown cells with the theory (the module docstring) and, per exercise, its summary,
  points and the function docstrings (formulas, shapes, hints);
- a set-up cell with the module's imports;
- what the topic needs but the assignment does not ask for (earlier topics' functions,
  exercises left out), given without their code (gradeschool.build.notebooks.provided);
- a solution cell per exercise, the answer between `### BEGIN SOLUTION` / `### END SOLUTION`;
- a locked grade cell per exercise (gradeschool.build.notebooks.cells)."""

from __future__ import annotations

import ast
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gradeschool.build.notebooks import provided as P
from gradeschool.build.notebooks.cells import grade_cell_source
from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue
from gradeschool.core.paths import solutions_dir
from gradeschool.core.render import points_phrase
from gradeschool.core.version import kit_version
from gradeschool.harness.presets import TEST_TIMEOUT_S

META = "gradeschool"
NBGRADER_SCHEMA = 3
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookError(ValueError):
    """A notebook cannot be built or converted."""


@dataclass
class _Chunk:
    """Consecutive top-level statements of a solution module."""

    source: str
    exercise: Exercise | None = None


@dataclass
class _Parsed:
    docstring: str
    preamble: str
    chunks: list[_Chunk] = field(default_factory=list)
    docs: dict[str, str] = field(default_factory=dict)  # function/class -> docstring
    siblings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # module -> (name, as)


def _start(node: ast.stmt) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def _parse_solution(source: str, catalogue: Catalogue, topic: str) -> _Parsed:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    body = list(tree.body)
    doc = ast.get_docstring(tree) or ""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        first_code = body[0].end_lineno
        body = body[1:]
    else:
        first_code = 0
    defs = [n for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    first_def = _start(defs[0]) if defs else len(lines) + 1
    # `from neuron import relu` cannot run in a notebook: the sibling topic's functions are
    # provided instead, and the import line leaves the set-up cell.
    stems = set(catalogue.module_names())
    siblings: dict[str, list[tuple[str, str]]] = {}
    preamble = lines[first_code:first_def - 1]
    found = [n for n in body if _start(n) < first_def and isinstance(n, ast.ImportFrom)
             and n.level == 0 and n.module in stems]
    for node in found:
        siblings.setdefault(node.module, []).extend((a.name, a.asname or a.name) for a in node.names)
    for node in reversed(found):
        del preamble[node.lineno - 1 - first_code:node.end_lineno - first_code]
    parsed = _Parsed(doc, "".join(preamble).strip("\n"), siblings=siblings)
    ordered = [n for n in body if _start(n) >= first_def]
    for i, node in enumerate(ordered):
        end = _start(ordered[i + 1]) - 1 if i + 1 < len(ordered) else len(lines)
        text = "".join(lines[_start(node) - 1:end]).strip("\n")
        owner = None
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            owner = catalogue.owner_of(node.name)
            if owner is not None and owner.topic != topic:
                owner = None
            parsed.docs[node.name] = ast.get_docstring(node) or ""
        last = parsed.chunks[-1] if parsed.chunks else None
        earlier = next((c for c in parsed.chunks if owner is not None and c.exercise == owner), None)
        if last is not None and last.exercise == owner:
            last.source += "\n\n\n" + text
        elif earlier is not None:  # one solution cell (one grade_id) per exercise
            earlier.source += "\n\n\n" + text
        else:
            parsed.chunks.append(_Chunk(text, owner))
    return parsed


def _to_nbgrader_markers(code: str) -> str:
    """`# BEGIN SOLUTION` -> `### BEGIN SOLUTION` (nbgrader's markers), same for END."""
    code = re.sub(r"^(\s*)#+ BEGIN SOLUTION\s*$", r"\1### BEGIN SOLUTION", code, flags=re.M)
    return re.sub(r"^(\s*)#+ END SOLUTION\s*$", r"\1### END SOLUTION", code, flags=re.M)


def nbgrader_meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _docs_markdown(exercise: Exercise, docs: Mapping[str, str]) -> str:
    parts = [f"## {exercise.name} ({points_phrase(exercise.points)})", "", exercise.summary]
    for fn in exercise.functions:
        if docs.get(fn):
            parts += ["", f"**`{fn}`**", "", "```text", docs[fn], "```"]
    return "\n".join(parts).strip() + "\n"


def _defined_names(code: str) -> list[str]:
    return [n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef | ast.ClassDef)]


def build_notebook(topic: str, exercises: Sequence[str] | None = None, seed: int | None = None,
                   catalogue: Catalogue | None = None, solutions: Path | None = None,
                   provide: str = "compiled", test_timeout: float = TEST_TIMEOUT_S):
    """The nbgrader source notebook of one topic (nbformat v4 NotebookNode).

    `exercises` limits the assignment to some exercises; the others, and what the topic
    takes from earlier topics, are given without their code (`provide`: see
    gradeschool.build.notebooks.provided). `seed` is the course seed of the hidden tests
    (random when None); `test_timeout` the per-test limit of the grade cells."""
    import nbformat.v4 as nbf

    if provide not in P.MODES:
        raise NotebookError(f"--provide {provide}: choose one of {', '.join(P.MODES)}")
    catalogue = catalogue or load_catalogue()
    info = catalogue.topic(topic)
    path = (solutions or solutions_dir()) / info.module
    if not path.is_file():
        raise NotebookError(f"there is no solution module {path} for topic {topic!r}")
    wanted = set(exercises) if exercises else {e.name for e in info.exercises}
    unknown = wanted - {e.name for e in info.exercises}
    if unknown:
        raise NotebookError(f"topic {topic!r} has no exercise {', '.join(sorted(unknown))}")
    seed = seed if seed is not None else secrets.randbelow(2**31)
    parsed = _parse_solution(path.read_text(encoding="utf-8"), catalogue, topic)
    asked = [e for e in info.exercises if e.name in wanted]
    points = sum(e.points for e in asked)
    cells = []

    def markdown(text: str, role: str, grade_id: str, exercise: str | None = None):
        cell = nbf.new_markdown_cell(text)
        cell.metadata = {"nbgrader": nbgrader_meta(grade_id, locked=True),
                         META: {"role": role, **({"exercise": exercise} if exercise else {})}}
        cells.append(cell)

    def code(text: str, role: str, nbgrader: dict | None, exercise: str | None = None):
        cell = nbf.new_code_cell(text)
        cell.metadata = {META: {"role": role, **({"exercise": exercise} if exercise else {})}}
        if nbgrader is not None:
            cell.metadata["nbgrader"] = nbgrader
        cells.append(cell)

    intro = (f"# {info.name}: {info.title}\n\n{parsed.docstring}\n\n"
             f"This assignment: {', '.join(f'`{e.name}`' for e in asked)} — {points_phrase(points)}. "
             "Write each answer in place of `raise NotImplementedError()`, using NumPy and the "
             "standard library only. The cell after each answer runs the kit's tests (property "
             "tests against PyTorch, speed tests) and prints your score; run it as often as you like.\n")
    markdown(intro, "theory", "intro")
    setup = parsed.preamble or "import numpy as np"
    sibling_source = ""
    if parsed.siblings:
        extra, sibling_source = P.sibling_code(parsed.siblings, path.parent, set(catalogue.module_names()))
        setup = "\n".join([*(i for i in extra if i not in setup), setup])
        sibling_source = "\n".join(extra) + "\n\n\n" + sibling_source
    code(setup, "setup", None)
    if parsed.siblings:
        names = ", ".join(f"`{n}`" for names in parsed.siblings.values() for n, _ in names)
        origin = "from your own notebooks of" if provide == "own" else "from"
        markdown(f"Provided {origin} earlier topics ({', '.join(parsed.siblings)}): {names}.\n",
                 "theory", "siblings_intro")
        if provide == "own":
            code(P.earlier_cell(parsed.siblings), "earlier", nbgrader_meta("siblings", locked=True))
        else:
            given = [alias for names in parsed.siblings.values() for _, alias in names]
            code(P.compiled_cell(sibling_source, given, f"earlier topics: {', '.join(parsed.siblings)}"),
                 "provided", nbgrader_meta("siblings", locked=True))
    left_out = [c.source for c in parsed.chunks if c.exercise is not None and c.exercise.name not in wanted]
    if left_out:
        source = P.strip_markers("\n\n\n".join(left_out))
        # the topic's helpers (public code, shown in their own cells below) come along: a
        # class left out may derive from one
        helpers = "\n\n\n".join(c.source for c in parsed.chunks if c.exercise is None)
        markdown("Provided: the functions this assignment does not ask for, so that the exercises "
                 "below may use them.\n", "theory", "provided_intro")
        code(P.compiled_cell(f"{setup}\n\n\n{helpers}\n\n\n{source}", _defined_names(source),
                             f"{topic}, not asked"), "provided", nbgrader_meta("provided", locked=True))
    for chunk in parsed.chunks:
        ex = chunk.exercise
        if ex is None:
            code(chunk.source, "helper", None)
            continue
        if ex.name not in wanted:
            continue
        markdown(_docs_markdown(ex, parsed.docs), "theory", f"{ex.name}_theory", ex.name)
        code(_to_nbgrader_markers(chunk.source), "solution",
             nbgrader_meta(f"{ex.name}_solution", solution=True), ex.name)
        code(grade_cell_source(ex, seed, test_timeout), "grade",
             nbgrader_meta(f"{ex.name}_tests", grade=True, locked=True, points=ex.points), ex.name)
    nb = nbf.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[META] = {"topic": topic, "exercises": [e.name for e in asked], "points": points,
                         "provide": provide, "kit_version": kit_version()}
    return nb


