"""The Gradescope autograder package, run the way Gradescope runs it but in a local folder
laid out like /autograder/ (no container runtime here): the zip unpacked into
ROOT/source, setup.sh run there (with this environment's Python: GRADESCHOOL_VENV, no
system changes), run_autograder copied to ROOT and run on ROOT/submission. Graded: a
solved submission (in a folder of the upload), a half-done notebook, an adversarial one
(forges results.json where it would go), and a solved one where no sandbox can be made
(a package that requires one, and one that allows grading without)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import kit_root
from gradeschool.gradescope.autograder import find_submission
from gradeschool.learner.source import definitions, replace_definitions

pytestmark = [pytest.mark.kit, pytest.mark.slow]

SELECTION = ["relu", "step"]
POINTS = {e.name: e.points for e in load_catalogue().resolve(SELECTION)}
MODULES = [t.module for t in load_catalogue().topics]
HIDDEN_TEST = '''"""Hidden tests of neuron (kept out of the student release)."""
import numpy as np
import pytest

pytestmark = pytest.mark.hidden


@pytest.mark.exercise("relu")
def test_relu_of_a_hidden_case(impl):
    assert np.array_equal(impl.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
'''


KIT = kit_root()


def _kit_with_hidden_tests(kit: Path) -> Path:
    """The kit's files a package takes (its tests, README, pyproject...), and hidden tests."""
    for name in ("README.md", "pyproject.toml", "conftest.py"):
        shutil.copy(KIT / name, kit / name)
    for name in ("datasets", "tests/topics"):
        shutil.copytree(KIT / name, kit / name, ignore=shutil.ignore_patterns("__pycache__"))
    (kit / "tests" / "hidden").mkdir()
    (kit / "tests" / "hidden" / "test_neuron_hidden.py").write_text(HIDDEN_TEST)
    return kit


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """The package as `gradescope build` writes it, and one built --allow-no-sandbox."""
    kit = _kit_with_hidden_tests(tmp_path_factory.mktemp("kit"))
    out = tmp_path_factory.mktemp("zips")
    made = {}
    for name, extra in (("required", []), ("preferred", ["--allow-no-sandbox"])):
        run = subprocess.run([sys.executable, "-m", "gradeschool", "gradescope", "build", str(out / f"{name}.zip"),
                              *(a for s in SELECTION for a in ("--topic", s)), *extra],
                             env={**os.environ, "GRADESCHOOL_ROOT": str(kit)}, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        made[name] = out / f"{name}.zip"
    return made


def test_the_zip_holds_the_scripts_the_pinned_kit_and_the_hidden_tests_but_no_solutions(packages):
    with zipfile.ZipFile(packages["required"]) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        config = json.loads(z.read("gradescope.json"))
        pins = z.read("pins.txt").decode().split()
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, f"{script} must be executable"
    assert "kit/tests/topics/test_neuron.py" in names and "kit/tests/hidden/test_neuron_hidden.py" in names
    assert "kit/graders/gradeschool/grading/supervise.py" in names and "kit/pyproject.toml" in names
    assert not any(n.startswith(("kit/solutions", "kit/exercises", "kit/tests/mutants", "kit/tests/kit"))
                   or "__pycache__" in n for n in names)
    assert config["selection"] == sorted(SELECTION) and config["sandbox"] == "required"
    assert any(p.startswith("torch==") and "+" not in p for p in pins) and any(p.startswith("numpy==") for p in pins)
    assert all("==" in p for p in pins), "every dependency pinned"


def _layout(zip_path: Path, root: Path) -> Path:
    """ROOT laid out as Gradescope does: source/ unpacked, setup.sh run, run_autograder at ROOT."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=_env(root),
                           capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "grading sandbox" in setup.stdout
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def _env(root: Path, path_first: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "GRADESCHOOL_ROOT"}
    path = f"{path_first}{os.pathsep}{env['PATH']}" if path_first else env["PATH"]
    return {**env, "AUTOGRADER_ROOT": str(root), "GRADESCHOOL_VENV": sys.prefix, "GRADESCHOOL_NO_SYSTEM": "1",
            "PATH": path}


def _autograde(root: Path, path_first: Path | None = None) -> dict:
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=_env(root, path_first),
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def solved(sub: Path) -> None:
    (sub / "exercises").mkdir()
    shutil.copy(KIT / "solutions" / "neuron.py", sub / "exercises" / "neuron.py")
    (sub / "README.md").write_text("my submission\n")


def half_done_notebook(sub: Path) -> None:
    stub = definitions((KIT / "exercises" / "neuron.py").read_text(), ["step"])["step"]
    code = replace_definitions((KIT / "solutions" / "neuron.py").read_text(), {"step": stub})
    nb = {"cells": [{"cell_type": "code", "id": "answer", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": code}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (sub / "neuron.ipynb").write_text(json.dumps(nb))


def adversarial(sub: Path) -> None:
    """fake_report (forges report.json/results.json wherever the grader might write), and
    at import a perfect results.json written where Gradescope reads it."""
    forged = {"score": 99.0, "output": "forged", "tests": []}
    target = sub.parent / "results" / "results.json"
    code = (KIT / "tests" / "submissions" / "fake_report" / "neuron.py").read_text()
    (sub / "neuron.py").write_text(
        f"import json as _j\ntry:\n    open({str(target)!r}, 'w').write(_j.dumps({forged!r}))\n"
        f"except OSError:\n    pass\n{code}")


def no_bwrap(folder: Path) -> Path:
    """A folder whose `bwrap` fails as it does in a container without namespaces."""
    folder.mkdir()
    fake = folder / "bwrap"
    fake.write_text("#!/bin/sh\ncase \"$1\" in --version) echo 'bubblewrap 0.8.0';; *) "
                    "echo 'bwrap: No permissions to create new namespace' >&2; exit 1;; esac\n")
    fake.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def graded(packages, tmp_path_factory):
    """Each case in its own /autograder-like folder, two at a time."""
    cases = {"solved": ("required", solved, False), "half-done notebook": ("required", half_done_notebook, False),
             "adversarial": ("required", adversarial, False), "no sandbox, required": ("required", solved, True),
             "no sandbox, preferred": ("preferred", solved, True)}

    def one(name):
        package, fill, broken = cases[name]
        root = _layout(packages[package], tmp_path_factory.mktemp("autograder"))
        fill(root / "submission")
        return name, _autograde(root, no_bwrap(root / "fake-bin") if broken else None), root

    with ThreadPoolExecutor(2) as pool:
        return {name: (results, root) for name, results, root in pool.map(one, cases)}


def _rows(results: dict) -> dict[str, tuple[float, float]]:
    """(score, max_score) per exercise: its row plus its hidden tests' row, when it has one."""
    rows: dict[str, tuple[float, float]] = {}
    for t in results["tests"]:
        name = t["name"].split(" · ")[-1].removesuffix(" (hidden tests)")
        score, most = rows.get(name, (0.0, 0.0))
        rows[name] = (round(score + t["score"], 4), round(most + t["max_score"], 4))
    return rows


def test_a_solved_submission_in_a_folder_scores_full_marks(graded):
    results, _ = graded["solved"]
    short = [t["name"] + ": " + t.get("output", "")[-1500:] for t in results["tests"] if t["score"] < t["max_score"]]
    assert results["score"] == sum(POINTS.values()), short
    assert _rows(results) == {n: (p, p) for n, p in POINTS.items()}, "one row per exercise"
    hidden = [t for t in results["tests"] if t["name"].endswith("(hidden tests)")]
    assert [t["name"].split(" · ")[-1] for t in hidden] == ["relu (hidden tests)"], "the package's hidden test"
    assert all(t["visibility"] == "after_published" for t in hidden)
    assert "Graded in the bubblewrap sandbox" in results["output"] and "exercises/" in results["output"]


def test_a_half_done_notebook_scores_what_it_solved(graded):
    results, _ = graded["half-done notebook"]
    assert _rows(results) == {"relu": (POINTS["relu"], POINTS["relu"]), "step": (0.0, POINTS["step"])}
    assert results["score"] == POINTS["relu"]


def test_an_adversarial_submission_scores_zero_and_forges_nothing(graded):
    results, root = graded["adversarial"]
    assert results["score"] == 0 and "forged" not in json.dumps(results)
    assert _rows(results) == {n: (0.0, p) for n, p in POINTS.items()}
    assert sum(t["max_score"] for t in results["tests"]) == sum(POINTS.values())


def test_without_a_sandbox_a_package_that_requires_one_grades_nothing_and_says_why(graded):
    results, _ = graded["no sandbox, required"]
    assert results["score"] == 0 and _rows(results) == {n: (0.0, p) for n, p in POINTS.items()}
    text = json.dumps(results)
    assert "could not make its sandbox" in text and "No permissions to create new namespace" in text


def test_without_a_sandbox_a_package_that_allows_it_grades_and_says_so(graded):
    results, _ = graded["no sandbox, preferred"]
    assert results["score"] == sum(POINTS.values())
    assert "Graded WITHOUT the bubblewrap sandbox" in results["output"]


def test_a_grader_that_fails_before_grading_gives_no_points(packages, tmp_path):
    root = _layout(packages["required"], tmp_path / "autograder")
    solved(root / "submission")
    env = {**_env(root), "GRADESCHOOL_VENV": str(tmp_path / "no-such-venv")}
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True)
    assert run.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "failed before it could grade" in results["output"]


@pytest.mark.parametrize("files, expected", [
    (["neuron.py", "sub/losses.py"], "."),
    (["README.md", "work/exercises/neuron.py", "work/notes/neuron.py"], "work/exercises"),
    (["a/b/neuron.ipynb", "x/neuron.py"], "x"),
    (["deep/er/still/neuron.py"], "deep/er/still"),
    (["deeper/than/three/folders/neuron.py"], None),
    (["README.md"], None),
])
def test_find_submission(tmp_path, files, expected):
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("")
    found = find_submission(tmp_path, MODULES)
    assert (None if found is None else found.relative_to(tmp_path).as_posix()) == expected
