"""A topic's grading depends only on the functions its exercises call (issue 13): an
`import torch` in losses.py must not cost cnn's pad2d anything, and CNN, which uses the
losses, fails naming the real cause: `gradeschool check`, `gradeschool grade` and a
notebook's grade cells (what nbgrader's feedback shows) alike. Interrupts and timeouts read
"timeout", a forbidden import "forbidden import", never "no tests" or "No module named"."""

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gradeschool.core import results as R
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import solutions_dir
from gradeschool.core.results import by_exercise
from gradeschool.harness import presets
from gradeschool.harness.runner import run_checks

pytestmark = pytest.mark.kit
CATALOGUE = load_catalogue()
SELECTION = ["pad2d", "CNN"]
TORCH_LINE = "import torch  # the tests compare with torch, so why not use it\n"


def broken_losses(folder: Path) -> Path:
    """The solutions, with `import torch` at the top of losses.py."""
    shutil.copytree(solutions_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    losses = folder / "losses.py"
    losses.write_text(TORCH_LINE + losses.read_text())
    return folder


def assert_only_cnn_fails(statuses: dict[str, tuple[str, float, str]]) -> None:
    """pad2d keeps its points; CNN, whose loss tests call the broken module, is a forbidden
    import that names losses and torch (its forward and backward tests, which never touch
    the losses, still pass)."""
    status, points, _ = statuses["pad2d"]
    full = CATALOGUE.exercise("pad2d").points
    # all its correctness points; its speed tests are left out of a quick check (not checked)
    assert (status, points) in {("passed", full), (R.SPEED_NOT_CHECKED, round(full * (1 - R.SPEED_SHARE), 4))}, \
        statuses["pad2d"]
    status, points, message = statuses["CNN"]
    assert status == "forbidden import" and points < CATALOGUE.exercise("CNN").points, statuses["CNN"]
    assert "losses" in message and "torch" in message and "No module named" not in message, message


@pytest.mark.slow
def test_check_fails_only_what_uses_the_broken_module(tmp_path):
    results = run_checks(SELECTION, impl=str(broken_losses(tmp_path / "sub")), preset=presets.learner(speed=False))
    groups = by_exercise(results, only=[CATALOGUE.exercise(n) for n in SELECTION])
    assert_only_cnn_fails({g.exercise.name: (g.status, g.earned, g.first_problem.message if g.first_problem else "")
                           for g in groups})


@pytest.mark.slow
def test_grade_fails_only_what_uses_the_broken_module(tmp_path):
    from gradeschool.grading.supervise import grade_one

    report = grade_one(broken_losses(tmp_path / "sub"), tmp_path / "out", SELECTION, label="torch in losses")
    statuses = {e["name"]: (e["status"], e["points"], " ".join(t["message"] for t in e["tests"]))
                for e in report["exercises"]}
    assert_only_cnn_fails(statuses)


# ------------------------------------------------------------------ notebooks (what feedback shows)
NOTEBOOK_SCRIPT = """
import json, os
from gradeschool.build.notebooks.cells import grade
namespace = {"__name__": "__main__"}
for source in json.loads(open("cells.json").read()):
    exec(compile(source, "<cell>", "exec"), namespace)
print(json.dumps({name: grade(name, namespace) for name in ["pad2d", "CNN"]}))
"""


def own_mode_notebooks(tmp_path: Path) -> Path:
    """(folder, run): the student's cnn notebook takes earlier topics' functions from their
    own notebooks (`--provide own`) and their losses notebook imports torch; the notebook's
    code cells and its grade cells run as a kernel runs them."""
    import nbformat

    from gradeschool.build.notebooks.convert import is_grade_cell
    from gradeschool.build.notebooks.source import build_notebook

    for topic in ("neuron", "losses", "backprop", "optimizers"):
        nb = build_notebook(topic, seed=1)  # the source notebook: every answer written
        if topic == "losses":
            nb.cells.insert(1, nbformat.v4.new_code_cell(TORCH_LINE))
        (tmp_path / topic).mkdir()
        nbformat.write(nb, str(tmp_path / topic / f"{topic}.ipynb"))
    cnn = build_notebook("cnn", ["pad2d", "CNN"], seed=1, provide="own")
    (tmp_path / "cnn").mkdir()
    nbformat.write(cnn, str(tmp_path / "cnn" / "cnn.ipynb"))
    cells = [c.source for c in cnn.cells if c.cell_type == "code" and not is_grade_cell(c)]
    (tmp_path / "cnn" / "cells.json").write_text(json.dumps(cells))
    (tmp_path / "cnn" / "kernel.py").write_text(NOTEBOOK_SCRIPT)
    run = subprocess.run([sys.executable, "kernel.py"], cwd=tmp_path / "cnn", capture_output=True, text=True,
                         timeout=600)
    return tmp_path, run


@pytest.fixture(scope="module")
def own_mode(tmp_path_factory):
    return own_mode_notebooks(tmp_path_factory.mktemp("own"))


@pytest.mark.slow
def test_an_own_mode_notebook_fails_only_what_uses_a_broken_earlier_notebook(own_mode):
    _, run = own_mode
    assert run.returncode == 0, run.stdout + run.stderr
    scores = json.loads(run.stdout.strip().splitlines()[-1])
    assert scores["pad2d"] == CATALOGUE.exercise("pad2d").points and scores["CNN"] < CATALOGUE.exercise("CNN").points
    shown = run.stdout  # the grade cells' output: what nbgrader's feedback shows
    assert "forbidden import" in shown and "losses" in shown and "No module named" not in shown, shown


@pytest.mark.slow
def test_the_grader_agrees_on_the_own_mode_notebooks(own_mode, tmp_path):
    """The same notebooks, as `gradeschool nbgrader autograde` assembles them for the
    isolated grader: the student's cnn notebook beside their earlier ones."""
    from gradeschool.grading.supervise import grade_one

    submission = tmp_path / "submission"
    submission.mkdir()
    for topic in ("neuron", "losses", "backprop", "optimizers", "cnn"):
        shutil.copy(own_mode[0] / topic / f"{topic}.ipynb", submission)
    report = grade_one(submission, tmp_path / "out", SELECTION, label="own mode")
    assert_only_cnn_fails({e["name"]: (e["status"], e["points"], " ".join(t["message"] for t in e["tests"]))
                           for e in report["exercises"]})


INTERRUPT_SCRIPT = """
import json, pathlib
from gradeschool.build.notebooks.cells import grade

def relu(x):
    pathlib.Path(LOOPING).touch()
    while True:
        pass

print("started", flush=True)
print(json.dumps(grade("relu", globals(), timeout=600)), flush=True)
"""


@pytest.mark.slow
def test_an_interrupted_grade_cell_says_timeout(tmp_path):
    """nbgrader interrupts a cell that runs out of time (SIGINT to the kernel): the test it
    stopped reads "timeout", and the cell still prints its table."""
    looping = tmp_path / "looping"  # absolute: the grade may run the tests from another folder
    (tmp_path / "cell.py").write_text(f"LOOPING = {str(looping)!r}\n" + textwrap.dedent(INTERRUPT_SCRIPT))
    proc = subprocess.Popen([sys.executable, "cell.py"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 120
    while not looping.exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # until a test has called the answer, which loops
    assert looping.exists(), "the looping answer was never called"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert json.loads(out.strip().splitlines()[-1]) == 0.0, out + err
    assert "timeout" in out and "no tests" not in out, out
