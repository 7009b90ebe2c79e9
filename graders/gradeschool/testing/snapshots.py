"""Snapshots of a call's arguments, taken before learner code runs.

Every argument is copied, positional or keyword, and so is every array inside a list, a
tuple or a dict (a list of weight arrays, a dict of parameters). The oracle computes its
reference from the copies, never from the arrays after the call, and a learner who changed
an input in place is told which one: `weights[1]`, `pos_weight`, `params['W']`.

Anything else (a number, a string, a function, an object) is kept as it is: immutable
values cannot change, and an object's own state is the test's business."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def snapshot(value: Any) -> Any:
    """A deep copy of the arrays in `value` (nested lists, tuples and dicts included)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, tuple):
        return tuple(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    return value


def _same_array(now: Any, before: np.ndarray) -> bool:
    return (isinstance(now, np.ndarray) and now.shape == before.shape and now.dtype == before.dtype
            and np.array_equal(now, before, equal_nan=before.dtype.kind in "fc"))


def first_change(now: Any, before: Any, name: str) -> str | None:
    """The name of the first array (or container) in `now` that differs from its snapshot
    `before`, or None when nothing changed."""
    if isinstance(before, np.ndarray):
        return None if _same_array(now, before) else name
    if isinstance(before, list | tuple):
        if not isinstance(now, list | tuple) or len(now) != len(before):
            return name
        for i, (a, b) in enumerate(zip(now, before, strict=True)):
            found = first_change(a, b, f"{name}[{i}]")
            if found:
                return found
        return None
    if isinstance(before, dict):
        if not isinstance(now, dict) or list(now) != list(before):
            return name
        for key, b in before.items():
            found = first_change(now[key], b, f"{name}[{key!r}]")
            if found:
                return found
    return None


def argument_names(args: Sequence[Any], kwargs: dict[str, Any], argnames: Sequence[str] | None) -> list[str]:
    """The name of each positional argument (`argnames`, else `argument 1`, ...) then of each
    keyword argument."""
    names = [argnames[i] if argnames and i < len(argnames) else f"argument {i + 1}" for i in range(len(args))]
    return names + list(kwargs)


def changed_argument(args: Sequence[Any], kwargs: dict[str, Any], before: tuple[list, dict],
                     argnames: Sequence[str] | None) -> str | None:
    """The name of the first argument (or array inside one) that differs from its snapshot."""
    names = argument_names(args, kwargs, argnames)
    values = [*args, *kwargs.values()]
    snapshots = [*before[0], *before[1].values()]
    for name, now, then in zip(names, values, snapshots, strict=True):
        found = first_change(now, then, name)
        if found:
            return found
    return None


def take(args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[list, dict]:
    """(snapshots of the positional arguments, snapshots of the keyword arguments)."""
    return [snapshot(a) for a in args], {k: snapshot(v) for k, v in kwargs.items()}
