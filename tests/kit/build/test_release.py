"""`gradeschool release`: the student copy has no solutions, no hidden tests, no mutants."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradeschool.build.release import build_release, public_test_files, strip_hidden
from gradeschool.core.paths import kit_root

pytestmark = pytest.mark.kit

HIDDEN_FILE = '''import pytest

pytestmark = pytest.mark.hidden


def test_secret_file_marker():
    assert "hidden-file-canary" != ""
'''

HIDDEN_FUNCTION = '''

@pytest.mark.hidden
@pytest.mark.exercise("softmax")
def test_secret_function_marker(impl):
    assert "hidden-function-canary" != ""


@pytest.mark.hidden
class TestSecretClass:
    def test_inside(self):
        assert "hidden-class-canary" != ""
'''


def solution_lines(root: Path) -> set[str]:
    """Substantive lines of every solution body that no public file of the kit contains
    already (exercises; public tests, which hold loop references of their own; the
    catalogue, whose last hint is meant to be nearly the answer)."""
    public = [*(root / "exercises").glob("*.py"), *public_test_files(root),
              *(root / "graders" / "gradeschool" / "core" / "catalogue").glob("*.toml")]  # the last hint is near the answer
    exercise_text = "\n".join(p.read_text() for p in public)
    found = set()
    for path in (root / "solutions").glob("*.py"):
        for body in re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", path.read_text(), re.S):
            for line in body.splitlines():
                line = line.strip()
                if len(line) >= 24 and not line.startswith("#") and line not in exercise_text:
                    found.add(line)
    return found


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A copy of the kit with hidden tests added, and its release."""
    kit = tmp_path_factory.mktemp("kit")
    root = kit_root()
    for name in ("exercises", "solutions", "datasets", "docs", "graders"):
        if (root / name).is_dir():
            shutil.copytree(root / name, kit / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "tests", kit / "tests", ignore=shutil.ignore_patterns("__pycache__"),
                    symlinks=True)  # the link attacks of tests/submissions stay links
    for name in ("pyproject.toml", "README.md", "conftest.py", "constraints.txt"):
        if (root / name).is_file():
            shutil.copy2(root / name, kit / name)
    with open(kit / "tests" / "topics" / "test_neuron.py", "a") as f:
        f.write(HIDDEN_FUNCTION)
    (kit / "tests" / "topics" / "test_losses.py").write_text(HIDDEN_FILE)  # a wholly hidden file
    out = tmp_path_factory.mktemp("release") / "student"
    report = build_release(out, root=kit)
    return kit, out, report


def _tree_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="ignore") for p in folder.rglob("*")
                     if p.is_file() and p.suffix in (".py", ".md", ".toml", ".txt", ".cfg", ".ipynb"))


def test_release_has_the_student_parts(released):
    _, out, _ = released
    for part in ("exercises/neuron.py", "tests/topics/test_neuron.py", "graders/gradeschool/cli.py", "pyproject.toml",
                 "README.md", "datasets"):
        assert (out / part).exists(), part
    for part in ("solutions", "tests/mutants", "tests/submissions", "tests/kit"):
        assert not (out / part).exists(), part


def test_no_solution_text_leaks(released):
    kit, out, _ = released
    lines = solution_lines(kit)
    assert lines, "the kit's solutions should have bodies to look for"
    text = _tree_text(out)
    leaked = sorted(line for line in lines if line in text)
    assert not leaked, f"solution lines found in the release: {leaked[:5]}"


def test_hidden_tests_are_stripped(released):
    _, out, report = released
    text = _tree_text(out)
    for canary in ("hidden-function-canary", "hidden-class-canary", "hidden-file-canary",
                   "TestSecretClass", "test_secret_function_marker", "test_secret_file_marker"):
        assert canary not in text, canary
    assert report.hidden_tests >= 2 and report.hidden_files == 1
    assert not (out / "tests" / "topics" / "test_losses.py").exists()
    assert "def test_softmax_matches_torch" in (out / "tests" / "topics" / "test_neuron.py").read_text()


def test_strip_hidden_keeps_everything_else():
    source = "import pytest\n\n\ndef test_a():\n    pass\n" + HIDDEN_FUNCTION
    text, cut = strip_hidden(source)
    assert cut == 2 and "def test_a" in text and "Secret" not in text
    compile(text, "stripped", "exec")
    assert strip_hidden(HIDDEN_FILE) == (None, 0)


@pytest.mark.slow
def test_released_copy_runs_check(released):
    _, out, _ = released
    env = {**os.environ, "GRADESCHOOL_ROOT": str(out)}
    run = subprocess.run([sys.executable, "-m", "gradeschool", "check", "neuron"], cwd=out, env=env,
                         capture_output=True, text=True, timeout=300)
    assert "not started" in run.stdout, run.stdout + run.stderr
    assert "total 0/" in run.stdout
