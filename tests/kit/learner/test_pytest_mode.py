"""Problem 7 of issue 14: plain pytest in learner mode. `pytest -m neuron` fails while a
selected exercise is not started or failing, ends with one line per exercise, lists no
skips (CUDA, mutants, not started) and no benchmark table; `pytest -m softmax` (an
exercise marker) works, as does `--exercise softmax`."""

import subprocess
import sys

import pytest
from kitutils import CATALOGUE, KIT, copy_kit, solution_code, write_definition

pytestmark = pytest.mark.kit


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    kit = copy_kit(tmp_path_factory.mktemp("pytest-mode") / "kit")
    write_definition(kit, "relu", solution_code("relu"))
    return kit


def pytest_in(kit, *args):
    """pytest as a learner runs it: from the kit's folder (the clone's own, with the
    kit's tests, so that mutant verdicts are collected too), on the copy's exercises."""
    return subprocess.run([sys.executable, "-m", "pytest", *args, f"--impl={kit / 'exercises'}",
                           "-p", "no:randomly"], cwd=KIT, capture_output=True, text=True, timeout=900)


def test_a_topic_with_exercises_not_started_fails_with_one_line_per_exercise(kit):
    out = pytest_in(kit, "-m", "neuron")
    text = out.stdout
    assert out.returncode == 1, text[-3000:]
    table = text.split("-- gradeschool --")[-1] if "-- gradeschool --" in text else text
    for e in CATALOGUE.topic("neuron").exercises:
        assert sum(1 for line in table.splitlines() if f" {e.name} " in line) == 1, e.name
    assert "✔ relu" in table and "· softmax" in table
    assert "not done yet:" in text and "so this run fails" in text
    assert "SKIPPED" not in text and "CUDA" not in text and "mutants run with --mutants" not in text
    assert "Name (time in" not in text, "no pytest-benchmark table by default"
    assert " not started" in text.splitlines()[-1], "not-started tests are counted as such"


def test_an_exercise_marker_selects_one_exercise(kit):
    out = pytest_in(kit, "-m", "relu")
    assert "Unknown marker" not in out.stdout + out.stderr and "not found in `markers`" not in out.stdout
    assert out.returncode == 0, out.stdout[-3000:]
    assert "✔ relu" in out.stdout and "· softmax" not in out.stdout
    out = pytest_in(kit, "--exercise", "softmax")
    assert out.returncode == 1 and "· softmax" in out.stdout, out.stdout[-3000:]


def test_the_readme_names_the_learner_pytest_commands():
    readme = (KIT / "README.md").read_text()
    assert "pytest -m softmax" in readme and "pytest --exercise softmax" in readme and "pytest -m neuron" in readme
