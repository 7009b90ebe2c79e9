"""Helpers shared by the kit's own tests (tests/kit/ is on pytest's pythonpath):
temporary copies of the kit, the gradeschool command line run on them, and editing one
exercise's definition in a copy."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from gradeschool.build.sync import make_exercise
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import kit_root
from gradeschool.learner.source import definitions, replace_definitions

KIT = kit_root()
CATALOGUE = load_catalogue()


def copy_kit(dest: Path, topics=("neuron",)) -> Path:
    """exercises/, solutions/ and the tests of `topics`, in `dest`."""
    shutil.copytree(KIT / "exercises", dest / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(KIT / "solutions", dest / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "tests" / "topics").mkdir(parents=True)
    for topic in topics:
        shutil.copy(KIT / "tests" / "topics" / f"test_{topic}.py", dest / "tests" / "topics")
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(KIT / name, dest / name)
    return dest


def gradeschool_cli(kit: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADESCHOOL_ROOT": str(kit)}
    return subprocess.run([sys.executable, "-m", "gradeschool", *args], cwd=kit, env=env,
                          capture_output=True, text=True, timeout=timeout)


def module_of(topic: str) -> str:
    return CATALOGUE.topic(topic).module


def solution_code(name: str, topic: str = "neuron") -> str:
    return definitions((KIT / "solutions" / module_of(topic)).read_text(), [name])[name]


def write_definition(kit: Path, name: str, code: str, topic: str = "neuron") -> None:
    path = kit / "exercises" / module_of(topic)
    path.write_text(replace_definitions(path.read_text(), {name: code}))


def stub_of(name: str) -> str:
    return definitions(make_exercise((KIT / "solutions" / "neuron.py").read_text()), [name])[name]


