"""The nbgrader course: notebooks generated from the solutions, then the real nbgrader
pipeline (generate_assignment, autograde, generate_feedback, export) on a solved, a
half-solved and a blank submission, and the same notebooks under `gradeschool grade`."""

from __future__ import annotations

import ast
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.local import LocalImplementation
from gradeschool.core.scan import find_forbidden_imports
from gradeschool.build.nbgrader import (
    GRADE_MARK,
    NotebookError,
    build_course,
    build_notebook,
    is_grade_cell,
    notebook_to_modules,
)
from gradeschool.core.paths import solutions_dir

nbformat = pytest.importorskip("nbformat")
pytestmark = pytest.mark.kit

TOPIC = "neuron"
# A small subset keeps the real pipeline under a minute; exercises without speed tests keep
# the comparison with `gradeschool grade` free of timing noise.
ASKED = ["relu", "dense_forward"]
SEED = 424242
STUDENTS = {"full": ASKED, "half": ASKED[:1], "blank": []}
CATALOGUE = load_catalogue()
POINTS = {n: CATALOGUE.exercise(n).points for n in ASKED}
EXPECTED = {s: sum(POINTS[n] for n in solved) for s, solved in STUDENTS.items()}
DOCSTRINGS = {n.name: ast.get_docstring(n) for n in ast.parse((solutions_dir() / "neuron.py").read_text()).body
              if isinstance(n, ast.FunctionDef)}


def role(cell) -> str | None:
    return cell.metadata.get("gradeschool", {}).get("role")


# ------------------------------------------------------------------ the generated notebook
@pytest.fixture(scope="module")
def source_nb():
    return build_notebook(TOPIC, ASKED, seed=SEED)


def test_notebook_has_theory_solution_and_grade_cells_per_exercise(source_nb):
    assert source_nb.metadata.kernelspec.name == "python3"
    assert source_nb.metadata.gradeschool["topic"] == TOPIC
    for name in ASKED:
        mine = [c for c in source_nb.cells if c.metadata.get("gradeschool", {}).get("exercise") == name]
        assert [role(c) for c in mine] == ["theory", "solution", "grade"], name
        theory, solution, grade = mine
        assert DOCSTRINGS[name] in theory.source, "the docstring (formula, shapes, hint) is the theory"
        assert solution.metadata.nbgrader["solution"] and not solution.metadata.nbgrader["grade"]
        assert "### BEGIN SOLUTION" in solution.source and "### END SOLUTION" in solution.source
        assert "# BEGIN SOLUTION" not in solution.source.replace("### BEGIN SOLUTION", "")
        nbg = grade.metadata.nbgrader
        assert nbg["grade"] and nbg["locked"] and not nbg["solution"] and nbg["points"] == POINTS[name]
        hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)### END HIDDEN TESTS\n", grade.source, re.S)
        assert hidden and f"seed={SEED}" in hidden.group(1)
        last = grade.source.strip().splitlines()[-1]
        assert last.startswith(f"grade({name!r}"), "the cell must end with the numeric score"


def test_unasked_exercises_are_provided_solved_and_locked(source_nb):
    (provided,) = [c for c in source_nb.cells if role(c) == "provided"]
    assert provided.metadata.nbgrader["locked"]
    assert "def sigmoid(" in provided.source and "SOLUTION" not in provided.source
    assert not any(role(c) == "solution" and "def sigmoid(" in c.source for c in source_nb.cells)


TOPICS_WITH_SOLUTIONS = [t.name for t in CATALOGUE.topics if (solutions_dir() / t.module).is_file()]


@pytest.mark.parametrize("topic", TOPICS_WITH_SOLUTIONS)
def test_every_topic_notebook_is_self_contained(topic, tmp_path):
    """No `from neuron import ...` in a notebook (it could not run there): what a topic
    takes from earlier topics is provided, solved; the notebook's code (answers in) loads
    as the topic module with every exercise ready."""
    nb = build_notebook(topic, seed=SEED)
    stems = {t.module.removesuffix(".py") for t in CATALOGUE.topics}
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(rf"^\s*from ({'|'.join(stems)}) import", code, re.M)
    nbformat.write(nb, str(tmp_path / "nb.ipynb"))
    impl = LocalImplementation(notebook_to_modules(tmp_path / "nb.ipynb", tmp_path / "m"), label=topic)
    states = {e.name: impl.state(e) for e in CATALOGUE.topic(topic).exercises}
    assert all(s.status == "ready" for s in states.values()), states
    grade_ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(set(grade_ids)), "nbgrader needs unique grade ids"


def test_unknown_exercise_is_refused():
    with pytest.raises(NotebookError, match="no exercise"):
        build_notebook(TOPIC, ["relu", "conv9d"])


# ------------------------------------------------------------------ a grade cell's score
GRADE_SCRIPT = """
import json
import numpy as np
from gradeschool.build.nbgrader import grade

def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, 0.01 * x).astype(x.dtype)  # ignores negative_slope

def relu(x):
    # YOUR CODE HERE
    raise NotImplementedError()

print(json.dumps([grade("leaky_relu", globals(), echo=False), grade("relu", globals())]))
"""


@pytest.mark.slow
def test_grade_gives_partial_credit_and_keeps_stderr_clean(tmp_path):
    """The score a grade cell ends with: points x passed weight / total weight (leaky_relu
    is right for the default slope only: half of its tests), 0 for an untouched stub, and
    nothing on stderr (nbgrader would zero the cell)."""
    script = tmp_path / "cell.py"
    script.write_text(GRADE_SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    leaky, relu = json.loads(run.stdout.strip().splitlines()[-1])
    assert leaky == pytest.approx(0.5 * CATALOGUE.exercise("leaky_relu").points) and relu == 0.0
    assert "relu: not started" in run.stdout
    assert not any(tmp_path.glob(".hypothesis")), "grade cells write nothing next to the notebook"


# ------------------------------------------------------------------ notebook -> modules
def test_notebook_to_modules_keeps_code_and_drops_grade_cells(source_nb, tmp_path):
    nb = nbformat.from_dict(json.loads(json.dumps(source_nb)))
    nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\nprint('scratch')"))
    nb.cells.append(nbformat.v4.new_code_cell("import gradeschool\ngradeschool.check('softmax', softmax)"))
    path = tmp_path / "homework.ipynb"  # not named after the topic: the metadata says it
    nbformat.write(nb, str(path))
    out = notebook_to_modules([path], tmp_path / "modules")
    module = (out / "neuron.py").read_text()
    assert "def relu(" in module and "def dense_forward(" in module and "def softmax(" in module
    assert GRADE_MARK not in module and "import grade\n" not in module
    assert "# (notebook magic) %matplotlib inline" in module
    assert not find_forbidden_imports(module), "a learner's own gradeschool.check calls are left out"
    impl = LocalImplementation(out, label="notebook")
    assert all(impl.state(CATALOGUE.exercise(n)).status == "ready" for n in ASKED)


def test_notebook_topic_from_file_name_or_functions(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def relu(x):\n    return x\n")])
    nbformat.write(nb, str(tmp_path / "neuron.ipynb"))
    nbformat.write(nb, str(tmp_path / "week1.ipynb"))
    assert (notebook_to_modules(tmp_path / "neuron.ipynb", tmp_path / "a") / "neuron.py").is_file()
    assert (notebook_to_modules(tmp_path / "week1.ipynb", tmp_path / "b") / "neuron.py").is_file()
    empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(empty, str(tmp_path / "scratch.ipynb"))
    with pytest.raises(NotebookError, match="cannot tell its topic"):
        notebook_to_modules(tmp_path / "scratch.ipynb", tmp_path / "c")
    with pytest.raises(NotebookError, match="both notebooks of topic"):
        notebook_to_modules([tmp_path / "neuron.ipynb", tmp_path / "week1.ipynb"], tmp_path / "d")


# ------------------------------------------------------------------ the real nbgrader pipeline
def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """nbgrader from the kit's own environment (the kernel `python3` is this Python)."""
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    return run


def answers(source: Path) -> dict[str, str]:
    """Each solution cell of the source notebook with its markers dropped: a correct answer."""
    nb = nbformat.read(str(source), as_version=4)
    strip = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)
    return {c.metadata.gradeschool["exercise"]: strip.sub("", c.source + "\n")
            for c in nb.cells if role(c) == "solution"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (source,) = build_course(root, [TOPIC], ASKED, seed=SEED)
    nbgrader(root, "generate_assignment", TOPIC, "--force")
    released = root / "release" / TOPIC / f"{TOPIC}.ipynb"
    solved = answers(source)
    for student, names in STUDENTS.items():
        nb = nbformat.read(str(released), as_version=4)
        for cell in nb.cells:
            if role(cell) == "solution" and cell.metadata.gradeschool["exercise"] in names:
                cell.source = solved[cell.metadata.gradeschool["exercise"]]
        target = root / "submitted" / student / TOPIC / f"{TOPIC}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, str(target))
    nbgrader(root, "autograde", TOPIC, "--force")
    nbgrader(root, "generate_feedback", TOPIC, "--force")
    nbgrader(root, "export")
    return root


@pytest.mark.slow
def test_exported_scores_are_full_partial_and_zero(course):
    with open(course / "grades.csv", newline="") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    total = sum(POINTS.values())
    assert scores == {s: (EXPECTED[s], total) for s in STUDENTS}
    assert 0 < EXPECTED["half"] < total


@pytest.mark.slow
def test_grade_cells_end_with_the_score_and_write_no_stderr(course):
    for student, solved in STUDENTS.items():
        nb = nbformat.read(str(course / "autograded" / student / TOPIC / f"{TOPIC}.ipynb"), as_version=4)
        for cell in (c for c in nb.cells if c.cell_type == "code" and is_grade_cell(c)):
            name = re.search(r"grade\('(\w+)'", cell.source).group(1)
            kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
            assert ("stream", "stderr") not in kinds and ("error", None) not in kinds, (student, name, kinds)
            result = [o for o in cell.outputs if o.output_type == "execute_result"]
            assert float(result[-1].data["text/plain"]) == (POINTS[name] if name in solved else 0.0)


@pytest.mark.slow
def test_no_hidden_test_reaches_release_or_feedback(course):
    assert (course / "feedback" / "half" / TOPIC / f"{TOPIC}.html").is_file()
    leaks = []
    for folder in ("release", "feedback"):
        for path in (course / folder).rglob("*"):
            if path.is_dir():
                if path.name in (".hypothesis", ".pytest_cache"):
                    leaks.append(path)
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if "BEGIN HIDDEN TESTS" in text or f"seed={SEED}" in text or path.suffix == ".py":
                leaks.append(path)
    assert not leaks, f"hidden tests or test files reached students: {leaks}"
    stray = [p for p in course.rglob("*") if p.name in (".hypothesis", ".pytest_cache")
             or p.name.startswith("gradeschool-")]
    assert not stray, f"grade cells wrote into the course tree: {stray}"


@pytest.mark.slow
@pytest.mark.parametrize("student", list(STUDENTS))
def test_gradeschool_grades_the_notebook_like_nbgrader(course, student, tmp_path):
    """The same submitted notebook under `gradeschool grade --impl NOTEBOOK` (isolated
    grading; it converts with notebook_to_modules), or, before that command exists,
    through notebook_to_modules and the kit's runner."""
    from gradeschool.cli import build_parser
    from gradeschool.core.results import by_exercise
    from gradeschool.harness.runner import run_checks

    notebook = course / "submitted" / student / TOPIC / f"{TOPIC}.ipynb"
    expected = {n: (POINTS[n] if n in STUDENTS[student] else 0.0) for n in ASKED}
    if "grade" not in build_parser()[1]:
        modules = notebook_to_modules([notebook], tmp_path / "modules")
        groups = by_exercise(run_checks(ASKED, impl=str(modules)), only=[CATALOGUE.exercise(n) for n in ASKED])
        assert {g.exercise.name: g.earned for g in groups} == expected
        return
    out = tmp_path / "graded"
    command = [sys.executable, "-m", "gradeschool", "grade", "--impl", str(notebook),
               *(f"--topic={n}" for n in ASKED), "--out", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    reports = list(out.rglob("report.json"))
    assert reports, f"gradeschool grade wrote no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    report = json.loads(reports[0].read_text())
    problems = [f"{t['name']}: {t['status']}: {t['message'][:300]}" for e in report["exercises"]
                for t in e["tests"] if e["name"] in STUDENTS[student] and t["status"] != "passed"]
    got = {e["name"]: e["points"] for e in report["exercises"] if e["name"] in ASKED}
    assert got == expected, "\n".join(problems)
    assert report["totals"]["points"] == EXPECTED[student]
