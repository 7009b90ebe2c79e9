"""Mutants: deliberately wrong implementations that the checkers must catch.

A mutant is a solution module with one name replaced. They live in tests/mutants/<topic>.py:

    from gradeschool.harness.mutants import mutant

    @mutant("relu", "identity", "negative values pass through unchanged")
    def relu(x):
        return x.copy()

`pytest --impl solutions --mutants` runs every exercise's tests against each of its
mutants too, and tests/kit/harness/test_mutants.py asserts that every mutant failed at least one."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import mutants_dir, solutions_dir


@dataclass(frozen=True)
class Mutant:
    exercise: str
    name: str
    why: str
    replaces: str
    obj: Any

    @property
    def id(self) -> str:
        return f"{self.exercise}:{self.name}"

    @property
    def topic(self) -> str:
        return load_catalogue().exercise(self.exercise).topic


_registry: list[Mutant] = []


def mutant(exercise: str, name: str, why: str, replaces: str | None = None) -> Callable:
    """Register the decorated function or class as a wrong version of `replaces`
    (default: the exercise's own name) that the exercise's tests must reject."""

    def register(obj: Any) -> Any:
        _registry.append(Mutant(exercise, name, why, replaces or exercise, obj))
        return obj

    return register


def solution(topic: str) -> ModuleType:
    """A fresh copy of solutions/<topic>.py, for mutants that subclass or reuse a solution."""
    from gradeschool.core.local import LocalImplementation

    return LocalImplementation(solutions_dir(), label="solutions-for-mutants").module(topic)


def _load_file(path: Path) -> list[Mutant]:
    start = len(_registry)
    spec = importlib.util.spec_from_file_location(f"_gradeschool_mutants_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _registry[start:]


@functools.cache
def load_mutants(folder: Path | None = None) -> tuple[Mutant, ...]:
    """Every mutant under tests/mutants/ (or `folder`), in file order; ids are unique."""
    folder = folder or mutants_dir()
    found: list[Mutant] = []
    for path in sorted(folder.glob("*.py")):
        found.extend(_load_file(path))
    ids = [m.id for m in found]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate mutant ids: {sorted(dupes)}")
    return tuple(found)


def mutants_for(exercise: str) -> list[Mutant]:
    return [m for m in load_mutants() if m.exercise == exercise]


def implementation_for(m: Mutant):
    """The solutions with `m.replaces` swapped for the mutant."""
    from gradeschool.core.local import LocalImplementation

    return LocalImplementation(
        solutions_dir(), label=f"mutant {m.id}", overrides={m.topic: {m.replaces: m.obj}}
    )
