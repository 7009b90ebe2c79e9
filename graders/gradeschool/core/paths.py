"""Where the kit lives on disk.

The kit is used from a clone (or a student release): exercises/, solutions/, tests/ and
datasets/ sit at the top of the kit, beside the `graders/` source folder that holds this
package (`graders/gradeschool/`). `GRADESCHOOL_ROOT` points elsewhere (a released copy, a
student's repository).

The kit's file-name conventions are stated here once: a topic's public tests are
`tests/topics/test_<topic>.py`, its hidden tests `tests/hidden/test_<topic>_hidden.py` (never
released; a name of its own: pytest imports test files by their base name), its mutants
`tests/mutants/<topic>.py`, its catalogue entry `core/catalogue/<topic>.toml` and its
strategies `testing/strategies/<topic>.py` (gradeschool.build.scaffold.topic_files)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def kit_root() -> Path:
    """The folder holding exercises/, solutions/, tests/ and datasets/."""
    env = os.environ.get("GRADESCHOOL_ROOT")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent.parent


def exercises_dir() -> Path:
    return kit_root() / "exercises"


def solutions_dir() -> Path:
    return kit_root() / "solutions"


def tests_dir() -> Path:
    return kit_root() / "tests"


def topic_tests_dir() -> Path:
    """The public (released) tests, one file per topic."""
    return tests_dir() / "topics"


def topic_test_file(topic: str) -> Path:
    return topic_tests_dir() / f"test_{topic}.py"


def hidden_tests_dir() -> Path:
    """The hidden tests, one file per topic: never released, never run by `check`."""
    return tests_dir() / "hidden"


def hidden_test_file(topic: str) -> Path:
    return hidden_tests_dir() / f"test_{topic}_hidden.py"


def mutants_dir() -> Path:
    return tests_dir() / "mutants"


def datasets_dir() -> Path:
    return kit_root() / "datasets"


def catalogue_dir() -> Path:
    return PACKAGE_DIR / "core" / "catalogue"


def strategies_file(topic: str) -> Path:
    return PACKAGE_DIR / "testing" / "strategies" / f"{topic}.py"
