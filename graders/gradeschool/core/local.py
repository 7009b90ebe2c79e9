"""The in-process implementation: a folder of topic modules loaded by path.

`LocalImplementation(root)` loads `root/<topic>.py` lazily, after scanning its source
(gradeschool.core.scan): a forbidden import is refused with the line that does it, and a
function still raising NotImplementedError is "not started" without being called. Topic
modules import each other by their plain names (`from neuron import relu`), resolved
within the same implementation, also from inside a function body. `overrides` replaces
names after a module runs: a mutant is a solution with one name swapped.

It satisfies gradeschool.core.implementation.Implementation; learner code runs in this
process (the learner loop, notebooks, the kit's own tests). Grading uses the isolated
implementation of gradeschool.grading instead."""

from __future__ import annotations

import builtins
import hashlib
import importlib.util
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue
from gradeschool.core.implementation import (
    ExerciseState,
    ForbiddenImport,
    ImplementationError,
    ImportFailed,
    MissingModule,
)
from gradeschool.core.scan import find_forbidden_imports, find_stubs

# the package an implementation's topic modules are loaded under (`<prefix><digest>.neuron`)
NAMESPACE_PREFIX = "_gradeschool_impl_"


class Unavailable:
    """What `from losses import softmax_ce` gives when losses.py cannot be used: importing
    it succeeds, so the exercises that never call it are graded as usual; using it raises
    the sibling module's own error (forbidden import, syntax error, ...), naming the cause."""

    def __init__(self, name: str, error: ImplementationError):
        self._name, self._error = name, error

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise type(self._error)(f"`{self._name}` cannot be used: {self._error}")

    __call__ = _fail

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __mro_entries__(self, bases):
        self._fail()


class _UnavailableModule(ModuleType):
    def __init__(self, name: str, error: ImplementationError):
        super().__init__(name)
        self._error = error

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Unavailable(f"{self.__name__}.{attr}", self._error)


class LocalImplementation:
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
        self._partial: dict[str, ModuleType] = {}
        digest = hashlib.sha1(f"{self.root}|{self.label}|{id(self)}".encode()).hexdigest()[:10]
        self._namespace = f"{NAMESPACE_PREFIX}{digest}"

    def __repr__(self) -> str:
        return f"LocalImplementation({self.label!r})"

    def topic_modules(self) -> frozenset[str]:
        return frozenset(self.catalogue.module_names())

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        """`__import__` of the learner's modules: a sibling topic module by its plain name
        (at the top of a module or inside a function) is this implementation's; anything
        else is a normal import."""
        top = name.split(".")[0]
        if level or top not in self.topic_modules():
            return builtins.__import__(name, globals, locals, fromlist, level)
        topic = self.catalogue.topic_of_module(top).name
        if topic in self._partial:
            return self._partial[topic]
        try:
            return self.module(topic)
        except ImplementationError as err:
            return _UnavailableModule(top, err)

    def timer(self, fn: Callable[..., Any], args: tuple, kwargs: dict, **options: Any) -> Callable[[], Any]:
        """The call itself: learner code runs in this process (the options of an isolated
        implementation's timer are not needed here)."""
        return lambda: fn(*args, **kwargs)

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
        module.__builtins__ = {**vars(builtins), "__import__": self._import}
        self._partial[topic] = module  # a sibling that imports this one while it runs
        try:
            spec.loader.exec_module(module)
        except KeyboardInterrupt:
            raise
        except ImplementationError as err:  # a sibling used at import time, and unusable
            raise type(err)(f"importing {path.name} failed: {err}") from None
        except BaseException as err:  # SystemExit too: a submission must not end the run
            raise ImportFailed(f"importing {path.name} failed: {_where(err, path)}") from None
        finally:
            self._partial.pop(topic, None)
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

    def scratch_folder(self, tmp_path: Path) -> str:
        """A folder learner code may write files to: the test's own `tmp_path`."""
        return str(tmp_path)

    def list_folder(self, folder: str) -> list[str]:
        """The file names in a scratch folder."""
        return sorted(os.listdir(folder))

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


