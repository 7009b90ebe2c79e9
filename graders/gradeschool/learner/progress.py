"""What the learner has done, kept in their working copy under `.gradeschool/`.

- `progress.json`: the last checked status of every exercise (with a fingerprint of the
  code it was checked on, so an edit since then shows as "not checked"), the hint step
  reached per exercise, and the exercise `watch` is on.
- `backups/<topic>/<exercise>-<time>.json`: the learner's code of an exercise, saved
  before `reset` (or `reset --undo`) replaces it. Backups are never deleted.

It also finds, and replaces, the top-level definitions of an exercise in a topic file:
that is how `reset` restores one exercise's stub without touching the rest of the file."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.paths import exercises_dir, kit_root

# Statuses shown to the learner (`list`, `watch`), from the checks' statuses.
DONE, FAILING, NOT_STARTED, NOT_CHECKED = "done", "failing", "not started", "not checked"
MARKS = {DONE: "✔", FAILING: "✘", NOT_STARTED: "·", NOT_CHECKED: "?"}


def state_dir() -> Path:
    return kit_root() / ".gradeschool"


def learner_status(check_status: str) -> str:
    """done / not started / failing, from an ExerciseResult.status."""
    if check_status == "passed":
        return DONE
    if check_status == "not started":
        return NOT_STARTED
    return FAILING


# ---------------------------------------------------------------- definitions in a file
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


def fingerprint(exercise: Exercise, root: Path | None = None) -> str:
    """A hash of the exercise's definitions in the learner's file ('' if unreadable)."""
    path = (root or exercises_dir()) / load_catalogue().topic(exercise.topic).module
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    found = definitions(source, exercise.functions)
    text = "\n".join(found.get(f, "") for f in exercise.functions) if found else source
    return hashlib.sha1(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- progress.json
@dataclass
class Saved:
    status: str          # the check's status: passed, failed, not started, error, ...
    earned: float
    points: float
    fingerprint: str
    checked_at: float


class Progress:
    """The learner's progress file; every change is written at once."""

    def __init__(self, path: Path | None = None):
        self.path = path or state_dir() / "progress.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.checked: dict[str, Saved] = {}
        for name, d in data.get("exercises", {}).items():
            try:
                self.checked[name] = Saved(**d)
            except TypeError:
                continue
        self.hints: dict[str, int] = {k: int(v) for k, v in data.get("hints", {}).items()}
        self.current: str | None = data.get("current")

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "exercises": {k: vars(v) for k, v in self.checked.items()},
            "hints": self.hints,
            "current": self.current,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def record(self, groups, root: Path | None = None) -> None:
        """Save the outcome of checks (ExerciseResults) on the learner's files."""
        for g in groups:
            if g.status == "no tests":
                continue
            self.checked[g.exercise.name] = Saved(
                g.status, g.earned, g.exercise.points, fingerprint(g.exercise, root), time.time())
        self.save()

    def status(self, exercise: Exercise, static: str, root: Path | None = None) -> tuple[str, float]:
        """(learner status, points earned) from the static state of the file (`static`:
        Implementation.state(...).status) and the last saved check, if still current."""
        if static == "not started":
            return NOT_STARTED, 0.0
        if static != "ready":
            return FAILING, 0.0
        saved = self.checked.get(exercise.name)
        if saved is None or saved.fingerprint != fingerprint(exercise, root):
            return NOT_CHECKED, 0.0
        return learner_status(saved.status), saved.earned

    def next_hint(self, exercise: Exercise) -> int:
        """Reveal one more hint; returns how many are shown now (at most all of them)."""
        shown = min(self.hints.get(exercise.name, 0) + 1, len(exercise.hints))
        self.hints[exercise.name] = shown
        self.save()
        return shown


def static_states(root: Path | None = None) -> dict[str, str]:
    """Implementation.state(...).status of every exercise, without running any test."""
    from gradeschool.core.local import LocalImplementation

    impl = LocalImplementation(root or exercises_dir(), label="exercises")
    return {e.name: impl.state(e).status for e in load_catalogue().exercises()}


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


# ---------------------------------------------------------------- the learner's overview
@dataclass
class Standing:
    exercise: Exercise
    status: str      # done / failing / not started / not checked
    earned: float
    detail: str = ""  # the check's own status where it says more (error, forbidden import)


def standings(progress: Progress | None = None, root: Path | None = None) -> list[Standing]:
    """Every exercise in catalogue order with its status, from saved progress and a cheap
    static look at the files (no test runs)."""
    progress = progress or Progress()
    static = static_states(root)
    out = []
    for e in load_catalogue().exercises():
        status, earned = progress.status(e, static[e.name], root)
        saved = progress.checked.get(e.name)
        detail = static[e.name] if static[e.name] not in ("ready", "not started") else (
            saved.status if status == FAILING and saved and saved.status != "failed" else "")
        out.append(Standing(e, status, earned, detail))
    return out


def fmt_points(x: float) -> str:
    return f"{x:.4g}"


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def render_overview(rows: list[Standing], width: int = 30) -> str:
    """`Progress [####------]  3/24 exercises done · 5/40 points`."""
    done = sum(1 for r in rows if r.status == DONE)
    earned = sum(r.earned for r in rows)
    total = sum(r.exercise.points for r in rows)
    return (f"Progress {progress_bar(done, len(rows), width)}  {done}/{len(rows)} exercises done"
            f" · {fmt_points(earned)}/{fmt_points(total)} points")


def render_list(rows: list[Standing], current: str | None = None) -> str:
    """Every exercise grouped by topic: mark, name, points, status."""
    catalogue = load_catalogue()
    width = max((len(r.exercise.name) for r in rows), default=10) + 2
    lines: list[str] = []
    for topic in catalogue.topics:
        mine = [r for r in rows if r.exercise.topic == topic.name]
        if not mine:
            continue
        earned = sum(r.earned for r in mine)
        lines.append(f"{topic.name} — {topic.title}   {fmt_points(earned)}/{fmt_points(topic.points)} points")
        for r in mine:
            here = "▶" if r.exercise.name == current else " "
            points = f"{fmt_points(r.earned)}/{fmt_points(r.exercise.points)}"
            status = r.status + (f" ({r.detail})" if r.detail and r.detail != r.status else "")
            lines.append(f"{here} {MARKS[r.status]} {r.exercise.name:<{width}} {points:>9}  {status}")
    return "\n".join(lines)


def render_topics(rows: list[Standing], current: str | None = None) -> str:
    """A compact list for small screens: one line per topic with a mark per exercise,
    and the exercises of the current exercise's topic in full."""
    catalogue = load_catalogue()
    here = next((r.exercise.topic for r in rows if r.exercise.name == current), None)
    width = max((len(t.name) for t in catalogue.topics), default=6)
    lines = []
    for topic in catalogue.topics:
        mine = [r for r in rows if r.exercise.topic == topic.name]
        if not mine:
            continue
        if topic.name == here:
            lines.append(render_list(mine, current))
            continue
        marks = "".join(MARKS[r.status] for r in mine)
        earned = sum(r.earned for r in mine)
        lines.append(f"{topic.name:<{width}}  {marks:<16} {fmt_points(earned)}/{fmt_points(topic.points)} points")
    return "\n".join(lines)
