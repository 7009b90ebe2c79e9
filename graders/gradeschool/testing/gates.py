"""Gate shapes and gate builders shared by the topics' speed tests (the policy is in
`gradeschool.testing.speed`).

A function that takes an array of any shape (element-wise ones, losses, penalties) is
gated on a 1-D array of 8192 numbers, along whose only axis every loop a learner writes
(over elements with np.ndindex or .flat, over range(len(x)), over the last axis) runs 8192
cheap iterations, and on a (2048, 4) array, for a loop over the rows of a 2-D input that
treats 1-D inputs apart. 8192 float64 numbers are 64 KiB: below glibc's mmap threshold
whatever MALLOC_MMAP_THRESHOLD_ says (above 64 KiB), and quick to time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradeschool.testing.speed import Gate

ELEMENTWISE_SHAPES = ((8192,), (2048, 4))


def label(*shapes: tuple[int, ...]) -> str:
    """'2048x4' (or '2048x4-4x4' for several arrays): the id of a gate's shapes."""
    return "-".join("x".join(map(str, s)) for s in shapes)


def normal(rng: np.random.Generator, shape, dtype, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(dtype)


def learner(name: str) -> Callable:
    """fn(impl) for a gate that times one learner function by name."""
    return lambda impl: impl.get(name)


def elementwise_gates(exercise: str, torch_fn: Callable, *, name: str | None = None,
                      kwargs: dict[str, Any] | None = None, torch_kwargs: dict[str, Any] | None = None,
                      make: Callable | None = None, fn: Callable | None = None,
                      shapes=ELEMENTWISE_SHAPES, tag: str = "", **options) -> list[Gate]:
    """One gate per shape of `shapes` for a function of one array (`make(rng, shape, dtype)`
    builds the arguments, default one standard normal array times 3)."""
    name = name or exercise
    make = make or (lambda rng, shape, dtype: (normal(rng, shape, dtype, 3.0),))

    def arguments(shape):
        def build(rng, dtype):
            return tuple(make(rng, shape, dtype)), dict(kwargs or {})

        return build

    return [Gate(exercise, f"{name}{tag}-{label(shape)}", arguments(shape), fn or learner(name), torch_fn,
                 name=name, torch_kwargs=torch_kwargs, **options) for shape in shapes]
