"""Implementations under test: a folder of topic modules loaded by path.

`exercises/`, `solutions/`, a student's submission or a mutant (a solution with one
function replaced) are all an `Implementation`. Tests reach learner code only through one,
so the grader can swap in an isolated worker without touching a test.

Before a module runs, its source is scanned: an import of anything but NumPy and the
standard library is refused with the line that does it, and every function whose body is
still `raise NotImplementedError` is known to be "not started" without calling it."""

from __future__ import annotations

import ast
import hashlib
import importlib.abc
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue

ALLOWED_THIRD_PARTY = frozenset({"numpy"})
IMPORT_FUNCTIONS = frozenset({"__import__", "import_module"})


class ImplementationError(Exception):
    """A topic module cannot be used: missing, forbidden import, or it fails to import."""

    status = "error"


class MissingModule(ImplementationError):
    status = "not started"


class ForbiddenImport(ImplementationError):
    status = "forbidden import"


class ImportFailed(ImplementationError):
    status = "error"


@dataclass(frozen=True)
class ExerciseState:
    """Whether an exercise can be tested: 'ready', 'not started', 'forbidden import', 'error'."""

    status: str
    message: str = ""


def _is_allowed(module: str, siblings: frozenset[str]) -> bool:
    top = module.split(".")[0]
    return (
        top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
        or top in siblings
        or top == "__future__"
    )


def find_forbidden_imports(source: str, siblings: frozenset[str] = frozenset()) -> list[str]:
    """Describe every import of something other than NumPy, the standard library and the
    sibling topic modules: `import x`, `from x import y`, `__import__("x")` and
    `importlib.import_module("x")` with a literal name."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call):
            func = node.func
            fname = getattr(func, "id", None) or getattr(func, "attr", None)
            if fname in IMPORT_FUNCTIONS and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names = [arg.value]
        for name in names:
            if not _is_allowed(name, siblings):
                line = ast.get_source_segment(source, node) or name
                problems.append(f"line {node.lineno}: `{line.strip()}` imports {name!r}")
    return problems


def _body_is_stub(body: list[ast.stmt]) -> bool:
    """True for a body that is only a docstring, `pass`/`...` and `raise NotImplementedError`."""
    rest = [
        s
        for s in body
        if not (isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)))
    ]
    if len(rest) != 1 or not isinstance(rest[0], ast.Raise) or rest[0].exc is None:
        return False
    exc = rest[0].exc
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def find_stubs(source: str) -> dict[str, list[str]]:
    """Top-level functions and classes that are still stubs, mapped to the stubbed parts:
    a function whose body only raises NotImplementedError, a class with such a method."""
    stubs: dict[str, list[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _body_is_stub(node.body):
            stubs[node.name] = [node.name]
        elif isinstance(node, ast.ClassDef):
            methods = [
                f"{node.name}.{m.name}"
                for m in node.body
                if isinstance(m, ast.FunctionDef) and _body_is_stub(m.body)
            ]
            if methods:
                stubs[node.name] = methods
    return stubs


class _SiblingFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Lets `import neuron` inside losses.py find the same implementation's neuron.py."""

    def __init__(self, impl: Implementation):
        self.impl = impl

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.impl.topic_modules() and fullname != self.impl._loading:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return self.impl.module(spec.name)

    def exec_module(self, module):
        pass


class Implementation:
    """The topic modules found in `root`, loaded lazily by path.

    `impl.softmax` (or `impl.get("softmax")`) is the function or class that the catalogue
    names, from whichever topic module holds it. `overrides` replaces names after a module
    is executed: that is how a mutant is a solution with one function swapped."""

    def __init__(
        self,
        root: str | Path,
        label: str | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        catalogue: Catalogue | None = None,
    ):
        self.root = Path(root).resolve()
        self.label = label or str(root)
        self.overrides = overrides or {}
        self.catalogue = catalogue or load_catalogue()
        self._modules: dict[str, ModuleType] = {}
        self._errors: dict[str, ImplementationError] = {}
        self._loading: str | None = None
        digest = hashlib.sha1(f"{self.root}|{self.label}|{id(self)}".encode()).hexdigest()[:10]
        self._namespace = f"_gradeschool_impl_{digest}"

    def __repr__(self) -> str:
        return f"Implementation({self.label!r})"

    def topic_modules(self) -> frozenset[str]:
        return frozenset(t.module.removesuffix(".py") for t in self.catalogue.topics)

    def path_of(self, topic: str) -> Path:
        return self.root / self.catalogue.topic(topic).module

    def source(self, topic: str) -> str:
        path = self.path_of(topic)
        if not path.is_file():
            raise MissingModule(f"there is no {path.name} in {self.root}")
        return path.read_text(encoding="utf-8")

    def module(self, topic: str) -> ModuleType:
        """The executed module of a topic; raises ImplementationError if it is unusable."""
        if topic in self._errors:
            raise self._errors[topic]
        if topic not in self._modules:
            try:
                self._modules[topic] = self._load(topic)
            except ImplementationError as err:
                self._errors[topic] = err
                raise
        return self._modules[topic]

    def _load(self, topic: str) -> ModuleType:
        path = self.path_of(topic)
        source = self.source(topic)
        try:
            forbidden = find_forbidden_imports(source, self.topic_modules())
        except SyntaxError as err:
            raise ImportFailed(f"{path.name} line {err.lineno}: syntax error: {err.msg}") from None
        if forbidden:
            raise ForbiddenImport(
                f"{path.name} {forbidden[0]}. Exercises may import NumPy and the Python standard "
                "library only: the tests compare your code with torch, so torch must not do the work."
            )
        name = f"{self._namespace}.{topic}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        finder = _SiblingFinder(self)
        previous = {t: sys.modules.pop(t) for t in self.topic_modules() if t in sys.modules}
        sys.modules[name] = module
        sys.meta_path.insert(0, finder)
        self._loading = topic
        try:
            spec.loader.exec_module(module)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # SystemExit too: a submission must not end the run
            sys.modules.pop(name, None)
            raise ImportFailed(f"importing {path.name} failed: {_where(err, path)}") from None
        finally:
            self._loading = None
            sys.meta_path.remove(finder)
            for t in self.topic_modules():
                sys.modules.pop(t, None)
            sys.modules.update(previous)
        for attr, value in self.overrides.get(topic, {}).items():
            setattr(module, attr, value)
        module.__gradeschool_stubs__ = {
            k: v for k, v in find_stubs(source).items() if k not in self.overrides.get(topic, {})
        }
        return module

    def state(self, exercise: Exercise) -> ExerciseState:
        """Whether the exercise's functions exist, import cleanly and are past the stub."""
        try:
            module = self.module(exercise.topic)
        except ImplementationError as err:
            return ExerciseState(err.status, str(err))
        for fn in exercise.functions:
            if not hasattr(module, fn):
                return ExerciseState(
                    "not started", f"{self.catalogue.topic(exercise.topic).module} has no `{fn}`"
                )
            stubbed = module.__gradeschool_stubs__.get(fn)
            if stubbed:
                return ExerciseState(
                    "not started", f"{', '.join(stubbed)} still raises NotImplementedError"
                )
        return ExerciseState("ready")

    def get(self, name: str) -> Any:
        owner = self.catalogue.owner_of(name)
        if owner is None:
            raise AttributeError(f"{name!r} is not an exercise function of the catalogue")
        module = self.module(owner.topic)
        try:
            return getattr(module, name)
        except AttributeError:
            raise AttributeError(
                f"{self.catalogue.topic(owner.topic).module} has no `{name}`"
            ) from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)


def _where(err: BaseException, path: Path) -> str:
    """`ErrorType: message (file.py line N)`, naming the deepest frame in the learner's file."""
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
    text = f"{type(err).__name__}: {err}"
    return f"{text} ({path.name} line {line})" if line else text


def learner_frame(err: BaseException, roots: list[Path]) -> str | None:
    """`file.py line N: code` for the deepest traceback frame inside one of `roots`."""
    found = None
    for frame in traceback.extract_tb(err.__traceback__):
        p = Path(frame.filename)
        if any(root in p.parents for root in roots):
            found = f"{p.name} line {frame.lineno}: {(frame.line or '').strip()}"
    return found


