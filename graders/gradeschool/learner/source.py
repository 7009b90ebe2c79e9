"""The learner's source, edited one exercise at a time, and the backups that keep it.

- The top-level definitions of an exercise in a topic file are found (also in a file with
  a syntax error elsewhere) and replaced: that is how `reset` restores one exercise's stub
  without touching the rest of the file, and how a fingerprint of one exercise's code
  tells whether it changed since its last check (`list`, `watch`).
- `backups/<topic>/<exercise>-<time>.json` under `.gradeschool/`: the learner's code of an
  exercise, saved before `reset` (or `reset --undo`) replaces it. Never deleted."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import time
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.paths import exercises_dir, kit_root


def state_dir() -> Path:
    """`.gradeschool/` in the learner's copy of the kit: progress and backups."""
    return kit_root() / ".gradeschool"


_TOP_DEF = re.compile(r"^(?:async\s+def|def|class)\s+(?P<name>\w+)")


def definition_spans(source: str, names: tuple[str, ...] | list[str]) -> dict[str, tuple[int, int]]:
    """0-based [start, end) line ranges of the top-level functions/classes `names`
    (decorators included). Works on a file with a syntax error too: then a definition
    runs from its `def` line to the next line that starts at column 0 with code."""
    lines = source.splitlines(keepends=True)
    spans: dict[str, tuple[int, int]] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name in names:
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
                spans[node.name] = (start, node.end_lineno)
        return spans
    for i, line in enumerate(lines):
        m = _TOP_DEF.match(line)
        if not m or m["name"] not in names:
            continue
        start = i
        while start > 0 and lines[start - 1].startswith("@"):
            start -= 1
        end = i + 1
        while end < len(lines):
            text = lines[end]
            if text.strip() and not text[0].isspace() and not text.startswith("#") and not text.startswith(")"):
                break
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        spans[m["name"]] = (start, end)
    return spans


def definitions(source: str, names) -> dict[str, str]:
    """The source text of each top-level definition in `names` found in `source`."""
    lines = source.splitlines(keepends=True)
    return {n: "".join(lines[a:b]) for n, (a, b) in definition_spans(source, names).items()}


def replace_definitions(source: str, new: dict[str, str]) -> str:
    """`source` with each top-level definition named in `new` replaced by its text there;
    a definition the file lacks is appended at the end."""
    lines = source.splitlines(keepends=True)
    spans = definition_spans(source, list(new))
    for name, (a, b) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
        text = new[name] if new[name].endswith("\n") else new[name] + "\n"
        lines[a:b] = [text]
    out = "".join(lines)
    for name in new:
        if name not in spans:
            out = out.rstrip("\n") + "\n\n\n" + new[name].rstrip("\n") + "\n"
    return out


def fingerprint_of(source: str, exercise: Exercise) -> str:
    """A hash of the exercise's definitions in `source` (the whole file if it has none)."""
    found = definitions(source, exercise.functions)
    text = "\n".join(found.get(f, "") for f in exercise.functions) if found else source
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def fingerprints(root: Path | None = None, exercises=None) -> dict[str, str]:
    """The fingerprint of every exercise's code in the learner's files ('' if unreadable);
    each topic file is read once."""
    catalogue = load_catalogue()
    sources: dict[str, str | None] = {}
    out = {}
    for e in exercises if exercises is not None else catalogue.exercises():
        module = catalogue.topic(e.topic).module
        if module not in sources:
            try:
                sources[module] = ((root or exercises_dir()) / module).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                sources[module] = None
        out[e.name] = "" if sources[module] is None else fingerprint_of(sources[module], e)
    return out


def fingerprint(exercise: Exercise, root: Path | None = None) -> str:
    """A hash of the exercise's definitions in the learner's file ('' if unreadable)."""
    return fingerprints(root, [exercise])[exercise.name]


# ---------------------------------------------------------------- backups
def backups_dir() -> Path:
    return state_dir() / "backups"


def save_backup(exercise: Exercise, kind: str, code: dict[str, str], whole_file: str) -> Path:
    """Keep the learner's code of `exercise` (and the whole file, to be safe)."""
    folder = backups_dir() / exercise.topic
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{exercise.name}-{stamp}-{kind}.json"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{exercise.name}-{stamp}-{kind}-{n}.json"
    path.write_text(json.dumps({
        "exercise": exercise.name, "kind": kind, "created": time.time(), "restored": False,
        "definitions": code, "file": whole_file,
    }, indent=1), encoding="utf-8")
    return path


def list_backups(exercise: Exercise) -> list[tuple[Path, dict]]:
    """Backups of an exercise, oldest first."""
    folder = backups_dir() / exercise.topic
    found = []
    for p in folder.glob(f"{exercise.name}-*.json"):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("exercise") == exercise.name:
            found.append((p, data))
    return sorted(found, key=lambda pd: (pd[1].get("created", 0), pd[0].name))


def mark_restored(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["restored"] = True
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


