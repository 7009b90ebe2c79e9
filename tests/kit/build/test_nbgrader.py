"""The nbgrader course: notebooks generated from the solutions, then the real nbgrader
pipeline (generate_assignment, `gradeschool nbgrader autograde` = nbgrader's autograde and
the isolated regrade into the gradebook, generate_feedback, export) on solved, half-solved,
blank, cheating, hanging and torch-using submissions, and the same notebooks under
`gradeschool grade`."""

from __future__ import annotations

import ast
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradeschool.build.notebooks.cells import GRADE_MARK, grade_cell_source
from gradeschool.build.notebooks.convert import is_grade_cell, notebook_to_modules
from gradeschool.build.notebooks.course import build_course
from gradeschool.build.notebooks.source import NotebookError, build_notebook
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import solutions_dir
from gradeschool.core.scan import find_forbidden_imports

nbformat = pytest.importorskip("nbformat")
pytestmark = pytest.mark.kit

TOPIC = "neuron"
# A small subset keeps the real pipeline short; exercises without speed tests keep the
# comparison of the kernel's and the isolated grader's scores free of timing noise.
ASKED = ["relu", "dense_forward"]
SEED = 424242
CATALOGUE = load_catalogue()
POINTS = {n: CATALOGUE.exercise(n).points for n in ASKED}
TOTAL = sum(POINTS.values())
DOCSTRINGS = {n.name: ast.get_docstring(n) for n in ast.parse((solutions_dir() / "neuron.py").read_text()).body
              if isinstance(n, ast.FunctionDef)}
# a course's per-test limit, short here so that the hanging answer below costs seconds
TEST_TIMEOUT = 10.0

# the two-line cheat of issue 13, against the module the grade cells import `grade` from
CHEAT = "import gradeschool.build.notebooks.cells as _gn\n_gn.grade = lambda *a, **k: {value}\n"
HANG = "def relu(x):\n    while True:\n        pass\n"
TORCH = ("import torch\n\n\ndef dense_forward(x, W, b):\n"
         "    out = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(W).T, torch.from_numpy(b))\n"
         "    return out.numpy(), (x, W, b)\n")
# student -> {exercise: answer}; "solved" is the solution cell's own answer
STUDENTS = {
    "full": {"relu": "solved", "dense_forward": "solved"},
    "half": {"relu": "solved"},
    "blank": {},
    # the cheat in the first answer cell (dense_forward comes first, in catalogue order)
    "cheat_none": {"dense_forward": CHEAT.format(value="None")},  # every grade cell prints nothing
    "cheat_full": {"dense_forward": CHEAT.format(value="1.0")},  # a float it chose
    "hang": {"relu": HANG, "dense_forward": "solved"},
    "forbidden": {"relu": "solved", "dense_forward": TORCH},
}
EXPECTED = {"full": TOTAL, "half": POINTS["relu"], "blank": 0.0, "cheat_none": 0.0, "cheat_full": 0.0,
            "hang": POINTS["dense_forward"], "forbidden": 0.0}


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
        assert hidden and f"course_seed={SEED}" in hidden.group(1)
        assert f"score = grade({name!r}, globals()" in grade.source
        assert grade.source.strip().splitlines()[-1] == "score", "the cell ends with the numeric score"


def provided_cells(nb) -> list:
    return [c for c in nb.cells if role(c) == "provided"]


def test_unasked_exercises_are_provided_without_their_code(source_nb):
    """What the assignment does not ask for is there to call, but not as source: no
    definition and no line of a solution body is in the notebook."""
    (provided,) = provided_cells(source_nb)
    assert provided.metadata.nbgrader["locked"]
    text = "\n".join(c.source for c in source_nb.cells if role(c) != "solution")
    solution = (solutions_dir() / "neuron.py").read_text()
    public = (solutions_dir().parent / "exercises" / "neuron.py").read_text()  # docstrings show formulas
    bodies = re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", solution, re.S)
    shown = [line.strip() for body in bodies for line in body.splitlines()
             if len(line.strip()) > 12 and line.strip() in text and line.strip() not in public]
    assert "def sigmoid(" not in text and not shown, shown
    namespace: dict = {}
    setup = next(c for c in source_nb.cells if role(c) == "setup")
    exec(setup.source, namespace)
    exec(provided.source, namespace)
    x = np.linspace(-30, 30, 13)
    reference = LocalImplementation(solutions_dir(), label="solutions")
    np.testing.assert_array_equal(namespace["sigmoid"](x), reference.sigmoid(x))


# every topic of the catalogue: one whose solution went missing fails here instead of dropping out
TOPICS = CATALOGUE.topic_names()


def shown_solution_lines(nb) -> list[str]:
    """Lines of any topic's solution bodies (not in the exercises' own files) that the
    notebook shows outside its solution cells (which nbgrader empties for students)."""
    public = "\n".join(p.read_text() for p in (solutions_dir().parent / "exercises").glob("*.py"))
    text = "\n".join(c.source for c in nb.cells if role(c) != "solution")
    lines = {line.strip() for path in solutions_dir().glob("*.py")
             for body in re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", path.read_text(), re.S)
             for line in body.splitlines()}
    return sorted(line for line in lines if len(line) > 12 and line in text and line not in public)


@pytest.mark.parametrize("topic", TOPICS)
def test_no_notebook_shows_earlier_topics_solved(topic):
    """A later topic's notebook gets earlier topics' functions (and the exercises left out)
    without their code (issue 13: 15 solution lines in the backprop release, 31 in cnn)."""
    exercises = [e.name for e in CATALOGUE.topic(topic).exercises]
    for provide in ("compiled", "own"):
        nb = build_notebook(topic, exercises[1:], seed=SEED, provide=provide)
        assert not shown_solution_lines(nb), (provide, shown_solution_lines(nb)[:5])


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_notebook_is_self_contained(topic, tmp_path):
    """No `from neuron import ...` in a notebook (it could not run there): what a topic
    takes from earlier topics is provided, compiled; the notebook's code (answers in)
    loads as the topic module with every exercise ready."""
    nb = build_notebook(topic, seed=SEED)
    stems = set(CATALOGUE.module_names())
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(rf"^\s*from ({'|'.join(stems)}) import", code, re.M)
    nbformat.write(nb, str(tmp_path / "nb.ipynb"))
    impl = LocalImplementation(notebook_to_modules(tmp_path / "nb.ipynb", tmp_path / "m"), label=topic)
    states = {e.name: impl.state(e) for e in CATALOGUE.topic(topic).exercises}
    assert all(s.status == "ready" for s in states.values()), states
    grade_ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(set(grade_ids)), "nbgrader needs unique grade ids"


KERNEL_SCRIPT = r"""
import json, re
STUB = r"\1# YOUR CODE HERE\n\1raise NotImplementedError()"  # what generate_assignment leaves of an answer
scores = {}
for topic, cells in json.loads(open("cells.json").read()).items():
    for answered in (True, False):
        namespace = {"__name__": "__main__"}
        for role, source in cells:
            if role == "solution" and not answered:
                source = re.sub(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION", STUB, source, flags=re.S | re.M)
            try:
                exec(compile(source, "<cell>", "exec"), namespace)
            except NotImplementedError:  # a stubbed class body: the kernel shows it and goes on
                assert role == "solution" and not answered, source
        scores[f"{topic} {'solved' if answered else 'stub'}"] = namespace["score"]
print(json.dumps(scores))
"""


@pytest.mark.slow
def test_the_course_has_every_topic_and_its_grade_cells_score_answers_fully_and_stubs_zero(tmp_path):
    """`gradeschool nbgrader build` without --topic writes a notebook for every topic of the
    catalogue (a new topic is picked up, none is left out), and each notebook's grade cells,
    hidden tests included, give the answers it holds full points and the stubs nbgrader
    releases 0. Run as a kernel runs the cells, on each topic's first exercise (its grade
    cell only: the whole course would take minutes)."""
    written = build_course(tmp_path / "course", seed=SEED)
    assert [p.stem for p in written] == TOPICS
    cells, expected = {}, {}
    for path in written:
        first = CATALOGUE.topic(path.stem).exercises[0]
        nb = nbformat.read(str(path), as_version=4)
        cells[path.stem] = [(role(c), c.source) for c in nb.cells if c.cell_type == "code" and (
            role(c) != "grade" or c.metadata.gradeschool["exercise"] == first.name)]
        assert sum(r == "grade" for r, _ in cells[path.stem]) == 1, path.stem
        expected.update({f"{path.stem} solved": first.points, f"{path.stem} stub": 0.0})
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    (tmp_path / "kernel.py").write_text(KERNEL_SCRIPT)
    run = subprocess.run([sys.executable, "kernel.py"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    scores = json.loads(run.stdout.strip().splitlines()[-1])
    assert scores == pytest.approx(expected), run.stdout[-3000:]


def test_unknown_exercise_and_mode_are_refused():
    with pytest.raises(NotebookError, match="no exercise"):
        build_notebook(TOPIC, ["relu", "conv9d"])
    with pytest.raises(NotebookError, match="--provide"):
        build_notebook(TOPIC, provide="solved")


# ------------------------------------------------------------------ a grade cell's score
GRADE_SCRIPT = """
import json
import numpy as np
from gradeschool.build.notebooks.cells import grade

def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, 0.01 * x).astype(x.dtype)  # ignores negative_slope

def relu(x):
    # YOUR CODE HERE
    raise NotImplementedError()

print(json.dumps([grade("leaky_relu", globals(), echo=False), grade("relu", globals())]))
"""


@pytest.mark.slow
def test_grade_gives_partial_credit_and_keeps_stderr_clean(tmp_path):
    """The score a grade cell ends with is partial credit by the one scoring rule: the
    points `gradeschool check` gives the same leaky_relu (right for the default slope only),
    0 for an untouched stub, and nothing on stderr (nbgrader would zero the cell)."""
    script = tmp_path / "cell.py"
    script.write_text(GRADE_SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    leaky, relu = json.loads(run.stdout.strip().splitlines()[-1])
    module = tmp_path.parent / f"{tmp_path.name}-check" / "neuron.py"
    module.parent.mkdir()
    leaky_source = "def leaky_relu" + GRADE_SCRIPT.split("def leaky_relu")[1].split("def relu")[0]
    module.write_text("import numpy as np\n\n\n" + leaky_source)
    check = subprocess.run([sys.executable, "-m", "gradeschool", "check", "leaky_relu", "--impl", str(module.parent)],
                           capture_output=True, text=True, timeout=300, cwd=module.parent)
    checked = float(re.search(r"leaky_relu\s+([\d.]+)/", check.stdout).group(1))
    assert 0 < leaky < CATALOGUE.exercise("leaky_relu").points and relu == 0.0
    assert leaky == pytest.approx(checked, abs=1e-4), check.stdout
    assert "relu: not started" in run.stdout
    assert not any(tmp_path.glob(".hypothesis")), "grade cells write nothing next to the notebook"


@pytest.mark.parametrize("patched, fails", [(None, True), ("'3'", True), (2.0, False)])
def test_grade_cell_fails_closed_when_grade_is_patched(monkeypatch, patched, fails):
    """The grade cell itself: whatever a student's cell made `grade` return, the cell
    either ends with a float or raises (nbgrader's 'no output = full credit' is never
    reached). A patched float cannot be told from a real one in the kernel: the isolated
    regrade (`gradeschool nbgrader autograde`) is what catches that."""
    import gradeschool.build.notebooks.cells as cells

    monkeypatch.setattr(cells, "grade", lambda *a, **k: eval(repr(patched)) if patched is not None else None)
    source = grade_cell_source(CATALOGUE.exercise("relu"), SEED)
    *body, last = source.strip().splitlines()
    namespace = {"type": lambda x: float, "TypeError": "rebound by the student"}  # rebinding names is no help
    if fails:
        with pytest.raises(TypeError):
            exec("\n".join(body), namespace)
    else:
        exec("\n".join(body), namespace)
        assert eval(last, namespace) == 2.0


HANG_SCRIPT = """
import json, time
from gradeschool.build.notebooks.cells import grade

def relu(x):
    while True:
        pass

start = time.monotonic()
score = grade("relu", globals(), timeout={timeout})
print(json.dumps([score, time.monotonic() - start]))
"""


@pytest.mark.slow
def test_a_hanging_answer_costs_one_test_timeout_and_says_timeout(tmp_path):
    """The kit's own deadline ends the first test (no pytest-timeout alarm that Hypothesis
    would rerun), the rest of the exercise fails at once: seconds, not the cell's 15 minutes."""
    script = tmp_path / "cell.py"
    script.write_text(HANG_SCRIPT.format(timeout=3))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    score, seconds = json.loads(run.stdout.strip().splitlines()[-1])
    table = run.stdout
    assert score == 0.0 and "timeout" in table and "no tests" not in table, table
    assert seconds < 3 + 20, f"a hanging answer took {seconds:.0f} s with a 3 s per-test limit"


# ------------------------------------------------------------------ notebook -> modules
def test_notebook_to_modules_keeps_code_and_drops_grade_cells(source_nb, tmp_path):
    nb = nbformat.from_dict(json.loads(json.dumps(source_nb)))
    nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\nprint('scratch')"))
    nb.cells.append(nbformat.v4.new_code_cell("import gradeschool\ngradeschool.check('softmax', softmax)"))
    path = tmp_path / "homework.ipynb"  # not named after the topic: the metadata says it
    nbformat.write(nb, str(path))
    out = notebook_to_modules([path], tmp_path / "modules")
    module = (out / "neuron.py").read_text()
    assert "def relu(" in module and "def dense_forward(" in module and "def softmax(" not in module
    assert GRADE_MARK not in module and "import grade\n" not in module
    assert "# (notebook magic) %matplotlib inline" in module
    assert not find_forbidden_imports(module), "a learner's own gradeschool.check calls are left out"
    impl = LocalImplementation(out, label="notebook")
    assert all(impl.state(CATALOGUE.exercise(n)).status == "ready" for n in [*ASKED, "softmax"])


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
def run(course: Path, *args: str) -> subprocess.CompletedProcess:
    """A command of the instructor's (`nbgrader ...` from the kit's environment, whose
    kernel `python3` is this Python, or `gradeschool ...`) in the course folder."""
    module = "gradeschool" if args[0] == "gradeschool" else "nbgrader"
    args = args[1:] if args[0] == "gradeschool" else args
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=course, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, f"{module} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def answers(source: Path) -> dict[str, str]:
    """Each solution cell of the source notebook with its markers dropped: a correct answer."""
    nb = nbformat.read(str(source), as_version=4)
    strip = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)
    return {c.metadata.gradeschool["exercise"]: strip.sub("", c.source + "\n")
            for c in nb.cells if role(c) == "solution"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (source,) = build_course(root, [TOPIC], ASKED, seed=SEED, test_timeout=TEST_TIMEOUT)
    run(root, "generate_assignment", TOPIC, "--force")
    released = root / "release" / TOPIC / f"{TOPIC}.ipynb"
    solved = answers(source)
    for student, given in STUDENTS.items():
        nb = nbformat.read(str(released), as_version=4)
        for cell in nb.cells:
            if role(cell) == "solution" and cell.metadata.gradeschool["exercise"] in given:
                answer = given[cell.metadata.gradeschool["exercise"]]
                cell.source = solved[cell.metadata.gradeschool["exercise"]] if answer == "solved" else answer
        target = root / "submitted" / student / TOPIC / f"{TOPIC}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, str(target))
    autograde = run(root, "gradeschool", "nbgrader", "autograde", str(root), TOPIC, "--jobs", "3")
    run(root, "generate_feedback", TOPIC, "--force")
    run(root, "export")
    return root, autograde.stdout


def exported(course_dir: Path) -> dict[str, tuple[float, float]]:
    with open(course_dir / "grades.csv", newline="") as f:
        return {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}


def grade_cells(course_dir: Path, student: str) -> dict[str, dict]:
    nb = nbformat.read(str(course_dir / "autograded" / student / TOPIC / f"{TOPIC}.ipynb"), as_version=4)
    return {re.search(r"grade\('(\w+)'", c.source).group(1): c for c in nb.cells
            if c.cell_type == "code" and is_grade_cell(c)}


def kernel_text(cell) -> str:
    return "".join(o.get("text", "") + json.dumps(o.get("data", {})) + "".join(o.get("traceback", []))
                   for o in cell.outputs)


@pytest.mark.slow
def test_exported_scores_are_the_isolated_grader_s(course):
    """`nbgrader export` after `gradeschool nbgrader autograde`: full, partial and zero
    credit as earned; the two-line cheat of issue 13, in both forms, scores 0; a hanging
    relu costs relu only; a torch answer scores nothing."""
    course_dir, _ = course
    assert exported(course_dir) == {s: (EXPECTED[s], TOTAL) for s in STUDENTS}
    assert 0 < EXPECTED["half"] < TOTAL


@pytest.mark.slow
def test_kernel_scores_fail_closed_and_differences_are_flagged(course):
    """In the kernel, the cheat that makes `grade` return nothing fails every grade cell
    (0); the one that returns a high float fools the kernel, and the isolated regrade
    replaces its scores and flags each of those cells for the instructor."""
    course_dir, stdout = course
    for name, cell in grade_cells(course_dir, "cheat_none").items():
        kinds = {o.output_type for o in cell.outputs}
        assert "error" in kinds and "execute_result" not in kinds, (name, kinds)
    with open(course_dir / "isolated" / TOPIC / "regrade.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    flagged = {(r["student"], r["exercise"]) for r in rows if r["flagged"] == "True"}
    assert flagged == {("cheat_full", n) for n in ASKED}, rows
    assert all(f"FLAGGED cheat_full neuron {n}" in stdout for n in ASKED), stdout
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        marked = {(s, n) for s in STUDENTS for n in ASKED
                  if gb.find_grade(f"{n}_tests", TOPIC, TOPIC, s).needs_manual_grade}
    assert marked == {("cheat_full", n) for n in ASKED}


@pytest.mark.slow
def test_grade_cells_end_with_the_score_and_write_no_stderr(course):
    course_dir, _ = course
    for student in ("full", "half", "blank"):
        for name, cell in grade_cells(course_dir, student).items():
            kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
            assert ("stream", "stderr") not in kinds and ("error", None) not in kinds, (student, name, kinds)
            result = [o for o in cell.outputs if o.output_type == "execute_result"]
            assert float(result[-1].data["text/plain"]) == (POINTS[name] if name in STUDENTS[student] else 0.0)


def seconds_of(cell) -> float:
    from datetime import datetime

    times = cell.metadata.execution
    start, end = (datetime.fromisoformat(times[k].replace("Z", "+00:00"))
                  for k in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


@pytest.mark.slow
def test_feedback_says_timeout_and_forbidden_import(course):
    """A hanging answer costs about one per-test limit and its feedback says "timeout";
    a torch answer's says "forbidden import" (never "no tests", never a bare "No module
    named")."""
    course_dir, _ = course
    hang = grade_cells(course_dir, "hang")["relu"]
    assert "timeout" in kernel_text(hang) and "no tests" not in kernel_text(hang)
    assert seconds_of(hang) < TEST_TIMEOUT + 30, f"the hanging relu cost {seconds_of(hang):.0f} s"
    forbidden = grade_cells(course_dir, "forbidden")
    assert all("forbidden import" in kernel_text(c) for c in forbidden.values())
    for student, words in (("hang", "timeout"), ("forbidden", "forbidden import")):
        page = (course_dir / "feedback" / student / TOPIC / f"{TOPIC}.html").read_text()
        assert words in page and "no tests" not in page and "No module named" not in page, student


@pytest.mark.slow
def test_no_hidden_test_reaches_release_or_feedback(course):
    course_dir, _ = course
    assert (course_dir / "feedback" / "half" / TOPIC / f"{TOPIC}.html").is_file()
    leaks = []
    for folder in ("release", "feedback"):
        for path in (course_dir / folder).rglob("*"):
            if path.is_dir():
                if path.name in (".hypothesis", ".pytest_cache"):
                    leaks.append(path)
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if "BEGIN HIDDEN TESTS" in text or f"seed={SEED}" in text or path.suffix == ".py":
                leaks.append(path)
    assert not leaks, f"hidden tests or test files reached students: {leaks}"
    stray = [p for p in course_dir.rglob("*") if p.name in (".hypothesis", ".pytest_cache")
             or p.name.startswith("gradeschool-")]
    assert not stray, f"grade cells wrote into the course tree: {stray}"


@pytest.mark.slow
@pytest.mark.parametrize("student", ["full", "half", "blank"])
def test_gradeschool_grades_the_notebook_like_nbgrader(course, student, tmp_path):
    """The same submitted notebook under `gradeschool grade --impl NOTEBOOK` (isolated
    grading; it converts with notebook_to_modules) scores what nbgrader gave it."""
    course_dir, _ = course
    notebook = course_dir / "submitted" / student / TOPIC / f"{TOPIC}.ipynb"
    expected = {n: (POINTS[n] if n in STUDENTS[student] else 0.0) for n in ASKED}
    out = tmp_path / "graded"
    command = [sys.executable, "-m", "gradeschool", "grade", "--impl", str(notebook),
               *(f"--topic={n}" for n in ASKED), "--out", str(out), "--course-seed", str(SEED)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    reports = list(out.rglob("report.json"))
    assert reports, f"gradeschool grade wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    report = json.loads(reports[0].read_text())
    problems = [f"{t['name']}: {t['status']}: {t['message'][:300]}" for e in report["exercises"]
                for t in e["tests"] if e["name"] in STUDENTS[student] and t["status"] != "passed"]
    got = {e["name"]: e["points"] for e in report["exercises"] if e["name"] in ASKED}
    assert got == expected, "\n".join(problems)
    assert report["totals"]["points"] == EXPECTED[student] and report["course_seed"] == SEED
