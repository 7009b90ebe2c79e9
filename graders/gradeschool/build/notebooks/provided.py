"""What a topic's notebook needs but does not ask for, given without showing its code.

A topic may call earlier topics' functions (`from neuron import relu` in
solutions/backprop.py), and an assignment may leave some of its own topic's exercises out
(`--exercise`). Neither may appear as solved code in a student's notebook. The
instructor chooses how they are given (`gradeschool nbgrader build --provide`):

- `compiled` (default): the kit's solutions of exactly those functions (with what they
  use), compiled to Python bytecode (docstrings dropped) and embedded in a locked cell that
  loads it with `marshal`. It runs in the student's kernel and, as plain standard-library
  code, in the isolated grader's worker too. Bytecode is tied to the Python minor version
  that built the notebook (the cell says so when the kernel's differs), and it is not
  encrypted: a determined student can disassemble it (`dis`) and read the operations,
  though never the source.
- `own`: earlier topics' functions come from the student's own notebooks of those topics
  (`../<assignment>/<topic>.ipynb` beside this one, as nbgrader lays out release,
  submitted and autograded folders); the grader converts that cell into a sibling import
  (`from neuron import relu`) and grades with the student's earlier notebooks beside this
  one. A function the student has not written fails only what uses it, naming the cause.
  Exercises of this topic left out of the assignment are always `compiled`."""

from __future__ import annotations

import ast
import base64
import marshal
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

MODES = ("compiled", "own")
EARLIER_CALL = "earlier"


def strip_markers(code: str) -> str:
    """Solution code with its `# BEGIN/END SOLUTION` marker lines dropped."""
    return re.sub(r"^\s*#+ (BEGIN|END) SOLUTION\s*\n", "", code + "\n", flags=re.M).rstrip("\n")


def sibling_code(siblings: Mapping[str, list[tuple[str, str]]], solutions: Path,
                 stems: set[str]) -> tuple[list[str], str]:
    """(import lines, solved code) that define what a topic imports from sibling topics:
    the named functions and classes with everything of their module they use, recursively
    through further sibling imports, solution markers dropped. Instructor-side only."""
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
                need(via[name][0], [via[name][1]])
            elif name in defs and name not in chosen and (module, name) not in done:
                chosen.add(name)
                done.add((module, name))
                todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
        lines = source.splitlines(keepends=True)
        nodes = sorted({id(defs[n]): defs[n] for n in chosen}.values(), key=lambda n: n.lineno)
        for node in nodes:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            blocks.append(strip_markers("".join(lines[first - 1:node.end_lineno])))

    for module, names in siblings.items():
        need(module, [n for n, _ in names])
    aliases = [f"{alias} = {name}" for names in siblings.values() for name, alias in names if alias != name]
    return imports, "\n\n\n".join(blocks + (["\n".join(aliases)] if aliases else []))


def compiled_cell(source: str, names: Sequence[str], what: str) -> str:
    """A cell that defines `names` from `source` compiled to bytecode (docstrings and
    asserts dropped), using only the standard library, so the cell runs in a kernel and in
    the grader's worker alike. The source itself is not in the cell."""
    code = compile(source, f"<provided: {what}>", "exec", optimize=2)
    blob = base64.b64encode(marshal.dumps(code)).decode("ascii")
    lines = textwrap.wrap(blob, 96)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    listed = ", ".join(names)
    body = "\n".join(f'    "{line}"' for line in lines)
    return (f"# Provided ({what}), compiled, not source: {listed}.\n"
            f"# Call them as you like; their code is not part of this assignment.\n"
            f"import sys as _sys\n"
            f"if f\"{{_sys.version_info.major}}.{{_sys.version_info.minor}}\" != {version!r}:\n"
            f"    raise RuntimeError(\"the provided functions were compiled for Python {version}; this kernel \"\n"
            f"                       f\"runs Python {{_sys.version_info.major}}.{{_sys.version_info.minor}}: \"\n"
            f"                       \"ask your instructor for a notebook built for it\")\n"
            f"exec(__import__(\"marshal\").loads(__import__(\"base64\").b64decode(\n{body})))\n"
            f"del _sys")


def earlier_cell(siblings: Mapping[str, list[tuple[str, str]]]) -> str:
    """The `own` mode's cell: each earlier topic's functions from the student's own
    notebook of that topic, found beside this one."""
    lines = ["# Provided from your own notebooks of earlier topics (found beside this one):",
             f"from gradeschool.build.notebooks.provided import {EARLIER_CALL}"]
    for module, names in siblings.items():
        targets = ", ".join(alias for _, alias in names)
        args = ", ".join(repr(name) for name, _ in names)
        lines.append(f"{targets} = {EARLIER_CALL}({module!r}, {args})")
    return "\n".join(lines)


def earlier_imports(source: str) -> str | None:
    """The sibling imports that an `own` mode cell stands for (`from neuron import relu`),
    or None when `source` is not such a cell: how the grader reads it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    out = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == __name__:
            continue
        call = node.value if isinstance(node, ast.Assign) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == EARLIER_CALL
                and call.args and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)):
            return None
        module, *names = [a.value for a in call.args]
        target = node.targets[0]
        aliases = [e.id for e in target.elts] if isinstance(target, ast.Tuple) else [target.id]
        if not (module.isidentifier() and len(aliases) == len(names) and all(map(str.isidentifier, names))):
            return None
        parts = [n if n == a else f"{n} as {a}" for n, a in zip(names, aliases, strict=True)]
        out.append(f"from {module} import {', '.join(parts)}")
    return "\n".join(out) if out else None


def find_earlier_notebook(topic: str, here: Path | None = None) -> Path | None:
    """The student's notebook of `topic` beside this one: `../*/*.ipynb` whose gradeschool
    metadata names the topic (nbgrader keeps one folder per assignment, side by side)."""
    import json

    here = Path.cwd() if here is None else Path(here)
    for path in sorted(here.resolve().parent.glob("*/*.ipynb")):
        if path.parent == here.resolve() or ".ipynb_checkpoints" in path.parts:
            continue
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            continue
        if meta.get("gradeschool", {}).get("topic") == topic:
            return path
    return None


def earlier(topic: str, *names: str) -> Any:
    """In a kernel: `names` from the student's own notebook of an earlier `topic` (its code
    cells, as the grader converts them). What cannot be had raises when it is used,
    naming why, so that only the exercises that use it fail."""
    import tempfile

    from gradeschool.build.notebooks.convert import notebook_to_modules
    from gradeschool.core.implementation import ImplementationError, MissingModule
    from gradeschool.core.local import LocalImplementation, Unavailable

    path = find_earlier_notebook(topic)
    found: list[Any] = []
    if path is None:
        error: ImplementationError | None = MissingModule(
            f"your {topic} notebook was not found beside this one (looked in {Path.cwd().parent}/*/)")
    else:
        error = None
        folder = Path(tempfile.mkdtemp(prefix="gradeschool-earlier-"))
        impl = LocalImplementation(notebook_to_modules([path], folder), label=f"your {topic} notebook")
        for name in names:
            try:
                found.append(impl.get(name))
            except ImplementationError as err:
                found.append(Unavailable(name, err))
            except AttributeError as err:
                found.append(Unavailable(name, MissingModule(str(err))))
    if error is not None:
        found = [Unavailable(name, error) for name in names]
    return found[0] if len(found) == 1 else tuple(found)
