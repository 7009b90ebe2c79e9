"""`gradeschool new-topic NAME`: the skeleton of a new topic, in every place the kit looks
for one (the list is `topic_files`, which a kit test also checks for every catalogue
topic), so that a maintainer starts from files that already run: a solution module with
one example exercise, its catalogue entry, strategies, public tests, mutants and hidden
tests. `gradeschool sync` then generates the exercise stub and the curriculum."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from gradeschool.core.catalogue import Catalogue, load_catalogue
from gradeschool.core.paths import (
    catalogue_dir,
    hidden_test_file,
    mutants_dir,
    solutions_dir,
    strategies_file,
    topic_test_file,
)


class ScaffoldError(ValueError):
    """The topic cannot be created (bad name, or it exists already)."""


def topic_files(topic: str) -> dict[str, Path]:
    """Every file a topic has, by role."""
    return {
        "solution": solutions_dir() / f"{topic}.py",
        "catalogue": catalogue_dir() / f"{topic}.toml",
        "strategies": strategies_file(topic),
        "tests": topic_test_file(topic),
        "mutants": mutants_dir() / f"{topic}.py",
        "hidden tests": hidden_test_file(topic),
    }


SOLUTION = '''"""Topic {order} — {name}: {title}.

The theory of the topic, for a learner reading this file first: what the exercises build
and why. State here, once, the contract every function of the module shares (shapes,
caches, dtype, what is never modified).

Conventions: every function returns the input's dtype (float32 in, float32 out) and never
modifies its inputs. Use NumPy and the standard library only.
"""

import numpy as np


def {example}(x):
    """One line: what the function computes.

        the formula, e.g. out = 2 * x

    Inputs:
    - x: an array of any shape.

    Returns:
    - out: x's shape and dtype.

    Hint: a first nudge that does not give the answer away.
    """
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
'''

CATALOGUE = '''# The catalogue of one topic (see docs/maintainers.md, "Adding a topic").
topic = "{name}"
order = {order}
title = "{title}"
module = "{name}.py"

[[exercise]]
name = "{example}"
points = 1
summary = "One line: what the function computes."
oracle = "what the tests compare with, e.g. `torch.mul`"
hints = [
  "A first, gentle hint.",
  "A more explicit one, still short of the answer.",
]
'''

STRATEGIES = '''"""Hypothesis strategies of the {name} topic ({title})."""

from gradeschool.testing.strategies import arrays, dtypes, shapes


def inputs():
    """(dtype, x): the documented domain of the topic's inputs."""
    return dtypes.flatmap(lambda dtype: arrays(dtype, shapes(1, 4)).map(lambda x: (dtype, x)))
'''

TESTS = '''"""Topic {order} — {name}: property tests against torch."""

import pytest
import torch
from hypothesis import given

from gradeschool.testing import check_forward
from gradeschool.testing.strategies import {name} as ts


@pytest.mark.exercise("{example}")
@given(case=ts.inputs())
def test_{example}_matches_torch(impl, device, case):
    _, x = case
    check_forward(impl.{example}, lambda t: torch.mul(t, 2), x, argnames=["x"], device=device)
'''

MUTANTS = '''"""Wrong implementations of the {name} exercises; each must fail at least one test."""

from gradeschool.harness.mutants import mutant


@mutant("{example}", "adds_instead", "x + 2 instead of 2 * x")
def {example}(x):
    return x + 2
'''

HIDDEN = '''"""Hidden tests of the {name} topic: kept out of the student release and the feedback.
Edge cases, and a property run whose examples follow the course's seed."""

import numpy as np
import pytest
import torch
from hypothesis import given

from gradeschool.testing import check_forward
from gradeschool.testing.strategies import {name} as ts

pytestmark = pytest.mark.hidden


@pytest.mark.exercise("{example}")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_{example}_on_an_empty_array(impl, dtype):
    check_forward(impl.{example}, lambda t: torch.mul(t, 2), np.zeros((0, 3), dtype=dtype), argnames=["x"])


@pytest.mark.exercise("{example}")
@given(case=ts.inputs())
def test_{example}_course_seeded(impl, case):
    check_forward(impl.{example}, lambda t: torch.mul(t, 2), case[1], argnames=["x"])
'''


def _check_name(name: str, catalogue: Catalogue) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is not a topic name: lowercase letters, digits and _, a valid module name")
    if name in catalogue.topic_names():
        raise ScaffoldError(f"the topic {name!r} exists already")


def new_topic(name: str, title: str = "", example: str = "") -> list[Path]:
    """Write the skeleton of topic `name`; returns the files written. Refuses to overwrite."""
    catalogue = load_catalogue()
    _check_name(name, catalogue)
    example = example or f"{name}_example"
    fields = dict(name=name, title=title or name, example=example,
                  order=max((t.order for t in catalogue.topics), default=0) + 1)
    texts = {"solution": SOLUTION, "catalogue": CATALOGUE, "strategies": STRATEGIES, "tests": TESTS,
             "mutants": MUTANTS, "hidden tests": HIDDEN}
    files = topic_files(name)
    existing = [str(p) for p in files.values() if p.exists()]
    if existing:
        raise ScaffoldError(f"not overwriting {', '.join(existing)}")
    for role, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[role].format(**fields), encoding="utf-8")
    load_catalogue.cache_clear()
    return list(files.values())
