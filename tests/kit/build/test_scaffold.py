"""A topic in every place the kit looks for one: each catalogue topic has all its files,
and `gradeschool new-topic` writes a skeleton that runs (its stub is "not started", its
solution passes, its mutant is caught) in a copy of the kit."""

import os
import shutil
import subprocess
import sys

import pytest

from gradeschool.build.scaffold import ScaffoldError, new_topic, topic_files
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import kit_root

pytestmark = pytest.mark.kit
TOPICS = load_catalogue().topic_names()
ROLES = ["solution", "catalogue", "strategies", "tests", "hidden tests", "mutants"]


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("role", ROLES)
def test_every_topic_has_all_its_files(topic, role):
    path = topic_files(topic)[role]
    assert path.is_file(), f"topic {topic!r} has no {role} file {path} (docs/maintainers.md, 'Adding a topic')"


def test_every_exercise_says_what_it_is_checked_against():
    missing = [e.name for e in load_catalogue().exercises() if not e.oracle.strip()]
    assert not missing, f"catalogue exercises without an `oracle`: {missing}"


@pytest.mark.parametrize("name", ["neuron", "Bad-Name", "class", "9lives"])
def test_new_topic_refuses_a_bad_or_existing_name(name):
    with pytest.raises(ScaffoldError):
        new_topic(name)


def _kit_copy(dest):
    root = kit_root()
    for name in ("graders", "solutions", "exercises", "datasets", "docs", "tests/topics", "tests/mutants"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (dest / "tests" / "kit" / "harness").mkdir(parents=True)
    shutil.copy(root / "tests" / "kit" / "harness" / "test_mutants.py", dest / "tests" / "kit" / "harness")
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(root / name, dest / name)
    return dest


@pytest.mark.slow
def test_new_topic_writes_a_skeleton_that_runs(tmp_path):
    kit = _kit_copy(tmp_path / "kit")
    env = {**os.environ, "GRADESCHOOL_ROOT": str(kit), "PYTHONPATH": str(kit / "graders")}

    def run(*args, timeout=300):
        return subprocess.run([sys.executable, *args], cwd=kit, env=env, capture_output=True, text=True,
                              timeout=timeout)

    made = run("-m", "gradeschool", "new-topic", "demo", "--title", "a demonstration", "--example", "double")
    assert made.returncode == 0, made.stdout + made.stderr
    for path in ("solutions/demo.py", "exercises/demo.py", "tests/topics/test_demo.py", "tests/mutants/demo.py",
                 "tests/hidden/test_demo_hidden.py", "graders/gradeschool/core/catalogue/demo.toml",
                 "graders/gradeschool/testing/strategies/demo.py"):
        assert (kit / path).is_file(), f"new-topic did not write {path}:\n{made.stdout}"
    assert "| `double` |" in (kit / "docs" / "curriculum.md").read_text(), "the curriculum lists the new exercise"
    assert run("-m", "gradeschool", "sync", "--check").returncode == 0

    tests = ["tests/topics/test_demo.py", "tests/hidden/test_demo_hidden.py", "tests/kit/harness/test_mutants.py"]
    graded = run("-m", "pytest", *tests, "--impl", "solutions", "--mutants", "-p", "no:randomly", "-q", "-m", "demo")
    assert graded.returncode == 0, graded.stdout[-3000:]
    assert "gradeschool mutants: 1 of 1 caught" in graded.stdout
    stub = run("-m", "gradeschool", "check", "demo")
    assert stub.returncode != 0 and "not started" in stub.stdout, stub.stdout
    again = run("-m", "gradeschool", "new-topic", "demo")
    assert again.returncode == 1 and "exists already" in again.stdout
