"""Notebooks: nbgrader source notebooks generated from solutions/, and submitted notebooks
turned back into topic modules.

A topic's notebook is built from `solutions/<topic>.py` (no third copy to maintain):

- markdown cells with the theory (the module docstring) and, per exercise, its summary,
  points and the function docstrings (formulas, shapes, hints);
- a set-up cell with the module's imports;
- a solution cell per exercise, the answer between `### BEGIN SOLUTION` / `### END SOLUTION`;
- a locked grade cell per exercise that runs the kit's tests of that exercise (property
  tests against PyTorch, speed tests) on the notebook's own functions, exactly as
  `gradeschool grade` runs them on a module, and ends with the numeric score (nbgrader reads a float
  result as partial credit). Its `### BEGIN HIDDEN TESTS` region switches the run to the
  full test set (tests marked `hidden` too) and to an instructor's Hypothesis seed.

`notebook_to_modules` goes the other way: the code cells of submitted notebooks, grade cells
left out, become `<topic>.py` files that `gradeschool grade` grades like any submission."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import secrets
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue
from gradeschool.core.paths import solutions_dir

GRADE_MARK = "# gradeschool grade cell"
META = "gradeschool"
NBGRADER_SCHEMA = 3
# Per-test limit inside a grade cell (pytest-timeout) and nbgrader's per-cell limit: a
# hanging submission fails its tests one by one instead of killing the whole notebook.
TEST_TIMEOUT_S = 60
CELL_TIMEOUT_S = 900
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
MAGIC = re.compile(r"^\s*[%!]")


class NotebookError(ValueError):
    """A notebook cannot be built or converted."""


# ------------------------------------------------------------------ solution -> notebook
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


def _sibling_code(siblings: Mapping[str, list[tuple[str, str]]], solutions: Path,
                  stems: set[str]) -> tuple[list[str], str]:
    """(import lines, solved code) that define what a topic imports from sibling topics:
    the named functions and classes with everything of their module they use, recursively
    through further sibling imports, solution markers dropped."""
    imports: list[str] = []
    blocks: list[str] = []
    done: set[tuple[str, str]] = set()

    def need(module: str, wanted: list[str]) -> None:
        source = (solutions / f"{module}.py").read_text(encoding="utf-8")
        tree = ast.parse(source)
        defs: dict[str, ast.stmt] = {}
        via: dict[str, tuple[str, str]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defs[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        defs[target.id] = node
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in stems:
                via.update({a.asname or a.name: (node.module, a.name) for a in node.names})
            elif isinstance(node, ast.Import | ast.ImportFrom):
                line = ast.get_source_segment(source, node)
                if line and line not in imports:
                    imports.append(line)
        chosen: set[str] = set()
        todo = list(wanted)
        while todo:
            name = todo.pop()
            if name in via and via[name] not in done:
                done.add(via[name])
                need(*via[name][:1], [via[name][1]])
            elif name in defs and name not in chosen and (module, name) not in done:
                chosen.add(name)
                done.add((module, name))
                todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
        lines = source.splitlines(keepends=True)
        nodes = sorted({id(defs[n]): defs[n] for n in chosen}.values(), key=lambda n: n.lineno)
        for node in nodes:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            blocks.append(_strip_markers("".join(lines[first - 1:node.end_lineno])))

    for module, names in siblings.items():
        need(module, [n for n, _ in names])
    aliases = [f"{alias} = {name}" for names in siblings.values() for name, alias in names if alias != name]
    return imports, "\n\n\n".join(blocks + (["\n".join(aliases)] if aliases else []))


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

    def start(node: ast.stmt) -> int:
        return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])

    defs = [n for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    first_def = start(defs[0]) if defs else len(lines) + 1
    # `from neuron import relu` cannot run in a notebook: the sibling topic's functions are
    # provided in the notebook instead, and the import line leaves the set-up cell.
    stems = {t.module.removesuffix(".py") for t in catalogue.topics}
    siblings: dict[str, list[tuple[str, str]]] = {}
    preamble = lines[first_code:first_def - 1]
    found = [n for n in body if start(n) < first_def and isinstance(n, ast.ImportFrom)
             and n.level == 0 and n.module in stems]
    for node in found:
        siblings.setdefault(node.module, []).extend((a.name, a.asname or a.name) for a in node.names)
    for node in reversed(found):
        del preamble[node.lineno - 1 - first_code:node.end_lineno - first_code]
    parsed = _Parsed(doc, "".join(preamble).strip("\n"), siblings=siblings)
    ordered = [n for n in body if start(n) >= first_def]
    for i, node in enumerate(ordered):
        end = start(ordered[i + 1]) - 1 if i + 1 < len(ordered) else len(lines)
        text = "".join(lines[start(node) - 1:end]).strip("\n")
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


def _points(x: float) -> str:
    return f"{x:g} point" + ("" if x == 1 else "s")


def _strip_markers(code: str) -> str:
    """Solved code handed out as is: the solution markers dropped."""
    return re.sub(r"^\s*#+ (BEGIN|END) SOLUTION\s*\n", "", code + "\n", flags=re.M).rstrip("\n")


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def grade_cell_source(exercise: Exercise, seed: int) -> str:
    """The locked cell that scores one exercise; its last line is the numeric score."""
    functions = ", ".join(f"`{f}`" for f in exercise.functions)
    return textwrap.dedent(f"""\
        {GRADE_MARK}: {exercise.name} ({_points(exercise.points)})
        # Runs the kit's tests of {exercise.name} (property tests against PyTorch, speed
        # tests) on your {functions}, prints what differs. The number below is your score.
        from gradeschool.build.nbgrader import grade
        tests = dict(hidden=False)
        ### BEGIN HIDDEN TESTS
        tests = dict(hidden=True, seed={seed})
        ### END HIDDEN TESTS
        grade({exercise.name!r}, globals(), **tests)""")


def _docs_markdown(exercise: Exercise, docs: Mapping[str, str]) -> str:
    parts = [f"## {exercise.name} ({_points(exercise.points)})", "", exercise.summary]
    for fn in exercise.functions:
        if docs.get(fn):
            parts += ["", f"**`{fn}`**", "", "```text", docs[fn], "```"]
    return "\n".join(parts).strip() + "\n"


def build_notebook(topic: str, exercises: Sequence[str] | None = None, seed: int | None = None,
                   catalogue: Catalogue | None = None, solutions: Path | None = None):
    """The nbgrader source notebook of one topic (nbformat v4 NotebookNode).

    `exercises` limits the assignment to some exercises; the functions of the others are
    provided, solved, in a locked cell (so that what is asked may still call them)."""
    import nbformat.v4 as nbf

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
        cell.metadata = {"nbgrader": _nbgrader(grade_id, locked=True),
                         META: {"role": role, **({"exercise": exercise} if exercise else {})}}
        cells.append(cell)

    def code(text: str, role: str, nbgrader: dict | None, exercise: str | None = None):
        cell = nbf.new_code_cell(text)
        cell.metadata = {META: {"role": role, **({"exercise": exercise} if exercise else {})}}
        if nbgrader is not None:
            cell.metadata["nbgrader"] = nbgrader
        cells.append(cell)

    intro = (f"# {info.name}: {info.title}\n\n{parsed.docstring}\n\n"
             f"This assignment: {', '.join(f'`{e.name}`' for e in asked)} — {_points(points)}. "
             "Write each answer in place of `raise NotImplementedError()`, using NumPy and the "
             "standard library only. The cell after each answer runs the kit's tests (property "
             "tests against PyTorch, speed tests) and prints your score; run it as often as you like.\n")
    markdown(intro, "theory", "intro")
    setup = parsed.preamble or "import numpy as np"
    if parsed.siblings:
        stems = {t.module.removesuffix(".py") for t in catalogue.topics}
        extra, sibling_code = _sibling_code(parsed.siblings, path.parent, stems)
        setup = "\n".join([*(i for i in extra if i not in setup), setup])
    code(setup, "setup", None)
    if parsed.siblings:
        names = ", ".join(f"`{n}`" for names in parsed.siblings.values() for n, _ in names)
        markdown(f"Provided from earlier topics ({', '.join(parsed.siblings)}): {names}, solved, with "
                 "what they use.\n", "theory", "siblings_intro")
        code(sibling_code, "provided", _nbgrader("siblings", locked=True))
    given = [c.source for c in parsed.chunks if c.exercise is not None and c.exercise.name not in wanted]
    if given:
        markdown("Provided: the functions this assignment does not ask for, solved, so that "
                 "the exercises below may use them.\n", "theory", "provided_intro")
        code(_strip_markers("\n\n\n".join(given)), "provided", _nbgrader("provided", locked=True))
    for chunk in parsed.chunks:
        ex = chunk.exercise
        if ex is None:
            code(chunk.source, "helper", None)
            continue
        if ex.name not in wanted:
            continue
        markdown(_docs_markdown(ex, parsed.docs), "theory", f"{ex.name}_theory", ex.name)
        code(_to_nbgrader_markers(chunk.source), "solution",
             _nbgrader(f"{ex.name}_solution", solution=True), ex.name)
        code(grade_cell_source(ex, seed), "grade",
             _nbgrader(f"{ex.name}_tests", grade=True, locked=True, points=ex.points), ex.name)
    nb = nbf.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[META] = {"topic": topic, "exercises": [e.name for e in asked], "points": points,
                         "kit_version": kit_version()}
    return nb


def kit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradeschool")
    except PackageNotFoundError:
        return "0+unknown"


NBGRADER_CONFIG = '''\
"""nbgrader configuration written by `gradeschool nbgrader build` (edit freely)."""

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = {course_id!r}
# Grade cells write nothing here (their temporary files live outside the course), and
# nothing stray is released or fed back either.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".hypothesis", ".pytest_cache",
    ".benchmarks", "gradeschool-*", "*.results.json",
]
# The property tests of one exercise run in one cell; each test has its own limit too.
c.Execute.timeout = {cell_timeout}
c.Execute.interrupt_on_timeout = True
c.Execute.kernel_name = "python3"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# Grade cells keep torch's warnings off stderr; should a warning still reach stderr, it
# must not zero a correct answer (nbgrader counts any stderr output as a failure).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?i)warn"
# Feedback must not show the hidden tests that autograde put back.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


def build_course(course_dir: str | Path, topics: Sequence[str] = (), exercises: Sequence[str] = (),
                 seed: int | None = None, course_id: str = "gradeschool") -> list[Path]:
    """Write nbgrader_config.py and source/<topic>/<topic>.ipynb for each topic; returns the
    notebooks written. `exercises` (names) limits the topics to those exercises."""
    import nbformat

    catalogue = load_catalogue()
    course = Path(course_dir)
    chosen_ex = [catalogue.exercise(n) for n in exercises]
    topics = list(topics) or sorted({e.topic for e in chosen_ex}, key=catalogue.topic_names().index) \
        or [t.name for t in catalogue.topics if (solutions_dir() / t.module).is_file()]
    for t in topics:
        catalogue.topic(t)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(course_id=course_id, cell_timeout=CELL_TIMEOUT_S), encoding="utf-8")
    written = []
    for t in topics:
        mine = [e.name for e in chosen_ex if e.topic == t]
        nb = build_notebook(t, mine or None, seed=seed, catalogue=catalogue)
        out = course / "source" / t / f"{t}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
        written.append(out)
    return written


# ------------------------------------------------------------------ grading inside a notebook
def _run_quietly(fn):
    """Run fn() with stdout and stderr (the file descriptors too) captured; returns
    (result, captured text). Keeps torch's warnings out of the cell's stderr."""
    with tempfile.TemporaryFile(mode="w+b") as sink, io.StringIO() as text:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                result = fn()
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
        sink.seek(0)
        return result, text.getvalue() + sink.read().decode("utf-8", "replace")


def grade(exercise: str, namespace: Mapping[str, Any], hidden: bool = False,
          seed: int | None = None, echo: bool = True) -> float:
    """Score `exercise` on the functions found in `namespace` (a notebook's globals()):
    catalogue points x passed test weight / total test weight. `hidden=True` runs the
    full test set (tests marked hidden too); `seed` replaces the derandomized examples.
    Output of the run (pytest's, torch's warnings) is kept off the cell's stderr, which
    nbgrader would count as a failure; the table and first problem are printed."""
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.scan import find_stubs
    from gradeschool.core.paths import exercises_dir
    from gradeschool.core.render import render_summary
    from gradeschool.core.results import by_exercise
    from gradeschool.harness.runner import run_checks

    ex = load_catalogue().exercise(exercise)
    missing = [f for f in ex.functions if f not in namespace]
    if missing:
        print(f"{exercise}: not defined in this notebook: {', '.join(missing)} (run its cell first)")
        return 0.0
    functions = {f: namespace[f] for f in ex.functions}
    stubbed = [f for f, obj in functions.items() if _is_stub(obj, find_stubs)]
    if stubbed:
        print(f"{exercise}: not started ({', '.join(stubbed)} still raises NotImplementedError)")
        return 0.0
    # Every catalogue function the notebook defines (its own and those provided from earlier
    # topics) replaces the stub, so a test that also calls another exercise's function, say
    # backprop's test calling dense_forward, gets the notebook's version.
    overrides: dict[str, dict[str, Any]] = {}
    for other in load_catalogue().exercises():
        for f in other.functions:
            if f in namespace and callable(namespace[f]):
                overrides.setdefault(other.topic, {})[f] = namespace[f]
    impl = LocalImplementation(exercises_dir(), label="notebook", overrides=overrides)
    # The exercise's tests as `gradeschool grade` runs them (property and speed tests), so a
    # notebook scores what the same code scores as a module; tests marked hidden only in
    # the instructor's run.
    extra = ["--color=no", "-p", "no:randomly", f"--timeout={TEST_TIMEOUT_S}"]
    if not hidden:
        extra += ["-m", "not hidden"]
    if seed is not None:
        extra.append(f"--hypothesis-seed={seed}")
    with tempfile.TemporaryDirectory(prefix="gradeschool-nb-") as tmp:
        old_cwd = os.getcwd()
        old_store = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(tmp) / ".hypothesis")
        os.chdir(tmp)
        try:
            results, noise = _run_quietly(lambda: run_checks([exercise], impl=impl, extra=extra))
        finally:
            os.chdir(old_cwd)
            if old_store is None:
                os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
            else:
                os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = old_store
    del noise  # pytest's own output and library warnings: not the learner's business here
    group = by_exercise(results, only=[ex])[0]
    if echo:
        print(render_summary(results, only=[ex]))
    return float(group.earned)


def _is_stub(obj: Any, find_stubs) -> bool:
    import inspect

    try:
        source = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return False
    try:
        return bool(find_stubs(source))
    except SyntaxError:
        return False


# ------------------------------------------------------------------ notebook -> modules
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
    statements that use gradeschool left out."""
    blocks = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or is_grade_cell(cell):
            continue
        source = "".join(cell.get("source", ""))
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


def notebook_to_modules(paths: Iterable[str | Path] | str | Path, out_dir: str | Path) -> Path:
    """Write `<topic>.py` in `out_dir` for each notebook (its code cells but the grade
    cells); returns `out_dir`, a folder of topic modules to grade like a submission."""
    import nbformat

    catalogue = load_catalogue()
    if isinstance(paths, str | Path):
        paths = [paths]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Path] = {}
    for p in map(Path, paths):
        try:
            nb = nbformat.read(str(p), as_version=4)
        except (OSError, json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
            raise NotebookError(f"{p}: not a readable notebook ({err})") from None
        code = notebook_code(nb)
        topic = notebook_topic(p, nb, code, catalogue)
        if topic in seen:
            raise NotebookError(f"{p.name} and {seen[topic].name} are both notebooks of topic {topic!r}")
        seen[topic] = p
        header = f"# Generated by gradeschool from the notebook {p.name} (code cells, grade cells left out).\n"
        (out / catalogue.topic(topic).module).write_text(header + code, encoding="utf-8")
    return out
