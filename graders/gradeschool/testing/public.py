"""A topic's public tests as a module, for its hidden tests (tests/hidden/): a hidden test
runs a public test's property (its body, without its examples) on the course's examples,
and builds its fixed edge cases from the public tests' checking helpers, so that each
property and each check is written once."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from types import ModuleType

from gradeschool.core.paths import topic_test_file


@functools.cache
def public_tests(topic: str) -> ModuleType:
    """tests/topics/test_<topic>.py, loaded once under a private name (pytest does not
    collect it a second time: its tests are attributes of the module, not of the caller)."""
    spec = importlib.util.spec_from_file_location(f"_public_test_{topic}", topic_test_file(topic))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_property(topic: str, name: str) -> Callable:
    """The body of the public Hypothesis test `name` of `topic`, to be given other examples:
    one statement of the property, two sets of examples."""
    return getattr(public_tests(topic), name).hypothesis.inner_test
