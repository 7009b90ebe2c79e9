"""Rules on learner code that the plugin applies around an exercise's test.

- Before it runs: a call the exercise forbids (the catalogue's `forbidden`, e.g.
  numpy.tanh in tanh) and, for functions handed in from a notebook, the same import rule
  as a file (gradeschool.core.scan.rule_problem). Checked once per exercise and session.
- While it runs: a floating-point warning (overflow, divide by zero, invalid value) raised
  by learner code fails the test, naming the warning and the line
  (gradeschool.testing.fpwarnings). The oracle catches those of the calls it makes, with
  the call; this catches the rest.

Mutant runs are left out: a mutant must be caught by the tests themselves."""

from __future__ import annotations

import contextlib

from gradeschool.core.catalogue import Exercise, load_catalogue
from gradeschool.core.implementation import Implementation


def broken_rule(cache: dict, impl: Implementation, exercise: Exercise) -> tuple[str, str] | None:
    """(status, message) of the first rule the exercise's code breaks, or None."""
    from gradeschool.core.scan import rule_problem

    if exercise.name not in cache:
        catalogue = load_catalogue()
        cache[exercise.name] = rule_problem(impl, exercise, catalogue.topic(exercise.topic).module,
                                            frozenset(catalogue.module_names()))
    return cache[exercise.name]


def fp_warnings(item, exercise: str | None):
    """A context in which a floating-point warning from learner code fails the test."""
    if exercise is None:
        return contextlib.nullcontext()
    from gradeschool.testing.fpwarnings import fail_on_fp_warnings

    return fail_on_fp_warnings(f"{exercise}: {item.name}")
