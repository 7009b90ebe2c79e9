"""Where the kit lives on disk.

The kit is used from a clone: exercises/, solutions/, tests/ and datasets/ sit beside the
`graders/` folder that holds this package. `GRADESCHOOL_ROOT` points elsewhere (a released
copy, a student's repository)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def kit_root() -> Path:
    """The folder holding exercises/, solutions/, tests/ and datasets/."""
    env = os.environ.get("GRADESCHOOL_ROOT")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent


def exercises_dir() -> Path:
    return kit_root() / "exercises"


def solutions_dir() -> Path:
    return kit_root() / "solutions"


def tests_dir() -> Path:
    return kit_root() / "tests"


def datasets_dir() -> Path:
    return kit_root() / "datasets"


def catalogue_dir() -> Path:
    return PACKAGE_DIR / "catalogue"
