"""The worker's import and process guards: a second line behind the sandbox, with clear
messages. In the sandbox torch and the kit are simply not there; these guards turn an
attempt into "forbidden import" with the name, instead of a ModuleNotFoundError, and keep
learner code from starting processes. Learner code can undo them (they live in its own
process); nothing relies on them for safety.

Topic modules import each other by their plain names (`from losses import softmax_ce`,
also inside a function body). A topic module that cannot be used (the judge refused its
source: a forbidden import, a syntax error; or it raised while being imported) is given
to its importer as an `Unavailable` module: importing from it works, so the functions that
never use it are graded as usual; using anything from it raises `UnavailableTopic` with
the real cause, as `gradeschool.core.local` does in-process."""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import os
import sys
import types

PROCESS_FUNCTIONS = ("system", "popen", "fork", "forkpty", "execv", "execve", "execl", "execle",
                     "execlp", "execlpe", "execvp", "execvpe", "spawnv", "spawnve", "spawnl",
                     "spawnle", "spawnlp", "spawnlpe", "spawnvp", "spawnvpe", "posix_spawn",
                     "posix_spawnp")


class ForbiddenImportError(ImportError):
    """Learner code tried to import something it may not (torch, subprocess, ...)."""


class UnavailableTopic(ImportError):
    """A sibling topic module that cannot be used was used; `status` and the message say why."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status


class Unavailable:
    """A name imported from an unusable topic module: using it raises UnavailableTopic."""

    def __init__(self, name: str, status: str, cause: str):
        self._name, self._status, self._cause = name, status, cause

    def _fail(self, *args, **kwargs):
        raise UnavailableTopic(f"`{self._name}` cannot be used: {self._cause}", self._status)

    __call__ = _fail

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __mro_entries__(self, bases):
        self._fail()


class UnavailableModule(types.ModuleType):
    def __init__(self, name: str, status: str, cause: str):
        super().__init__(name)
        self._status, self._cause = status, cause

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Unavailable(f"{self.__name__}.{attr}", self._status, self._cause)


class Guards:
    """Installed once in the worker: `hits` lists every forbidden import attempted."""

    def __init__(self, topics: list[str], denied: list[str], learner_denied: list[str],
                 unavailable: dict[str, dict]):
        self.topics = set(topics)
        self.denied = set(denied)
        self.learner_denied = set(learner_denied)
        self.unavailable = {k: (str(v["status"]), str(v["message"])) for k, v in unavailable.items()}
        self.failed: dict[str, tuple[str, str]] = {}  # topic -> (status, why) once its import raised
        self.hits: list[str] = []
        self._import = builtins.__import__
        self._import_module = importlib.import_module

    def install(self) -> None:
        guards = self

        class Blocker(importlib.abc.MetaPathFinder):
            """Refuses the libraries that could do the work, whoever imports them."""

            def find_spec(self, fullname, path=None, target=None):
                if fullname.split(".")[0] in guards.denied:
                    raise guards.refuse(fullname)
                return None

        sys.meta_path.insert(0, Blocker())
        builtins.__import__ = self.guarded_import
        importlib.import_module = self.guarded_import_module
        for name in PROCESS_FUNCTIONS:
            if hasattr(os, name):
                setattr(os, name, self._no_processes(name))

    def refuse(self, name: str) -> ForbiddenImportError:
        self.hits.append(name)
        return ForbiddenImportError(f"import of {name!r} is not allowed: exercises may use NumPy "
                                    "and the Python standard library only")

    def allowed(self, name: str) -> bool:
        top = name.split(".")[0]
        if top in self.denied or top in self.learner_denied or name in self.learner_denied:
            return False
        return top in sys.stdlib_module_names or top in ("numpy", "__future__") or top in self.topics

    def guarded_import(self, name, globals=None, locals=None, fromlist=(), level=0):
        importer = str((globals or {}).get("__name__", "") or "")
        if level == 0 and importer.split(".")[0] in self.topics:
            if not self.allowed(name):
                raise self.refuse(name)
            if name.split(".")[0] in self.topics:
                return self.topic(name.split(".")[0])
        return self._import(name, globals, locals, fromlist, level)

    def guarded_import_module(self, name, package=None):
        if not name.startswith(".") and not self.allowed(name):
            raise self.refuse(name)
        return self._import_module(name, package)

    def topic(self, name: str):
        """The topic module `name` for a sibling's import: the module, or an Unavailable one."""
        why = self.unavailable.get(name) or self.failed.get(name)
        if why is None and name not in sys.modules:
            try:
                self._import_module(name)
            except BaseException as err:  # noqa: BLE001 - a sibling's failure is its own
                status = "forbidden import" if isinstance(err, ForbiddenImportError) else "error"
                why = self.failed[name] = (status, f"importing {name}.py failed: "
                                                   f"{type(err).__name__}: {err}")
                sys.modules.pop(name, None)
        if why is not None:
            return UnavailableModule(name, *why)
        return sys.modules[name]

    def load(self, name: str):
        """A topic module for the judge (its own error if it cannot be used)."""
        if name in self.unavailable:
            raise UnavailableTopic(self.unavailable[name][1], self.unavailable[name][0])
        return self._import_module(name)

    def _no_processes(self, name: str):
        def refused(*args, **kwargs):
            raise self.refuse(f"os.{name}")
        return refused
