"""`gradeschool release`: the student copy has no solutions, no hidden tests, no mutants."""

import ast
import contextlib
import copy
import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradeschool.build.release import build_release, public_test_files, strip_hidden
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import kit_root
from gradeschool.core.scan import find_forbidden_imports

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


def solution_bodies(root: Path) -> list[str]:
    return [body for path in sorted((root / "solutions").glob("*.py"))
            for body in re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", path.read_text(), re.S)]


def solution_lines(root: Path) -> set[str]:
    """Substantive lines of every solution body that no public file of the kit contains
    already (exercises, whose docstrings state formulas; public tests, which hold
    references of their own, and the torch references they share in
    gradeschool.testing.references: a reference follows a documented protocol line for
    line, the batching of a fit, the windows of a text). The catalogue's hints are not
    exempt: they stop short."""
    references = root / "graders" / "gradeschool" / "testing" / "references"
    public = [*(root / "exercises").glob("*.py"), *public_test_files(root), *references.rglob("*.py")]
    exercise_text = "\n".join(p.read_text() for p in public)
    found = set()
    for body in solution_bodies(root):
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
    """Every topic of the catalogue ships (a new one is picked up, none is left out): its
    stub module as `gradeschool sync` wrote it, no answer in it, and its public tests (but
    losses', which the fixture made wholly hidden)."""
    kit, out, _ = released
    for part in ("graders/gradeschool/cli.py", "pyproject.toml", "README.md", "datasets"):
        assert (out / part).exists(), part
    for topic in load_catalogue().topics:
        stub = (out / "exercises" / topic.module).read_text()
        assert stub == (kit / "exercises" / topic.module).read_text() and "# BEGIN SOLUTION" not in stub, topic.name
        assert (out / "tests" / "topics" / f"test_{topic.name}.py").is_file() or topic.name == "losses", topic.name
    for part in ("solutions", "tests/mutants", "tests/submissions", "tests/kit", "tests/hidden",
                 "docs/maintainers.md"):
        assert not (out / part).exists(), part


MAINTAINER_WORDS = ["--impl solutions", "--mutants", "mutant", "maintainer", "gradeschool sync", "nbgrader",
                    "leaderboard", "grade-all", "release", "GRADESCHOOL_KEY", "curriculum.md"]


def test_the_release_gets_a_student_readme(released):
    """The learner's path (set-up, the loop, the topics), no maintainer material, and no
    link that leads outside the release."""
    _, out, _ = released
    readme = (out / "README.md").read_text()
    for part in ("## Set up", "## The learner loop", "gradeschool check neuron", "gradeschool hint", "## Topics"):
        assert part in readme, part
    found = [w for w in MAINTAINER_WORDS if w.lower() in readme.lower()]
    assert not found, f"maintainer material in the student README: {found}"
    for target in re.findall(r"\]\(([^)\s]*)\)", readme):
        path = (out / target.split("#")[0]).resolve()
        assert "://" not in target and path.is_relative_to(out.resolve()) and path.exists(), target


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


# ------------------------------------------------------------------ hints stop short
def _statements(body: str) -> list[str]:
    """A solution body's statements, whitespace-free, `return` and a final `.astype(...)`
    dropped: what a hint must not spell out in full."""
    tree = ast.parse(textwrap.dedent(body))
    out = []
    for node in tree.body:
        text = ast.unparse(node.value if isinstance(node, ast.Return) and node.value is not None else node)
        out.append(re.sub(r"\.astype\([^()]*\)$", "", re.sub(r"\s+", "", text)))
    return out


def answer_hints(root: Path) -> list[str]:
    """Exercises whose catalogue hints (and typical-mistake hints) together spell out every
    statement of a solution body."""
    found = []
    for topic in load_catalogue().topics:
        for exercise in topic.exercises:
            text = re.sub(r"\s+", "", " ".join([*exercise.hints, *(m for _, m in exercise.mistakes)]))
            source = (root / "solutions" / topic.module).read_text()
            for node in ast.walk(ast.parse(source)):
                segment = ast.get_source_segment(source, node) if isinstance(node, ast.FunctionDef) else None
                if segment and (node.name in exercise.functions or any(
                        f"class {f}" in source and node.name != "__init__" for f in exercise.functions)):
                    # a function's source ends at its last statement: before `# END SOLUTION`
                    for body in re.findall(r"# BEGIN SOLUTION\n(.*?)(?:# END SOLUTION|\Z)", segment, re.S):
                        if all(s in text for s in _statements(body)):
                            found.append(f"{exercise.name} ({node.name})")
    return sorted(set(found))


def test_hints_stop_short_of_the_answer():
    assert not answer_hints(kit_root()), "catalogue hints that are the answer, rewrite them to stop short"


# ------------------------------------------------------------------ no drop-in answer
def released_functions(out: Path) -> list[tuple[Path, ast.FunctionDef]]:
    """Every function defined in a released Python file (methods and nested ones too)."""
    found = []
    for path in sorted(out.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(path, n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return found


def normalised_body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The body without its docstring, every argument and local name renamed in order of
    first appearance: two functions that differ only in names compare equal."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    module = ast.Module(body=copy.deepcopy(body), type_ignores=[])
    local = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    local |= {n.id for n in ast.walk(module) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names: dict[str, str] = {}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in local:
                node.id = names.setdefault(node.id, f"v{len(names)}")
            return node

    return ast.dump(Rename().visit(module))


def solution_functions(root: Path) -> dict[str, str]:
    """normalised body -> name, for every solution function whose body holds an answer
    that no exercise file shows already (a method a stub module keeps as scaffolding)."""
    public = {normalised_body(n) for path in (root / "exercises").glob("*.py")
              for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
    found = {}
    for path in sorted((root / "solutions").glob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and "BEGIN SOLUTION" in ast.get_source_segment(source, node) \
                    and normalised_body(node) not in public:
                found[normalised_body(node)] = f"{path.stem}.{node.name}"
    return found


def test_no_released_function_is_a_solution_renamed(released):
    """No function anywhere in the release has a solution's body, whatever its names."""
    kit, out, _ = released
    answers = solution_functions(kit)
    copies = [f"{path.relative_to(out)}: {fn.name} is {answers[body]}" for path, fn in released_functions(out)
              if (body := normalised_body(fn)) in answers]
    assert not copies, copies


def _module_of(path: Path, out: Path):
    """The released file as a module: the kit's own package module, or a test file loaded by path."""
    relative = path.relative_to(out)
    if relative.parts[0] == "graders":
        return importlib.import_module(".".join(relative.with_suffix("").parts[1:]).removesuffix(".__init__"))
    spec = importlib.util.spec_from_file_location(f"_released_{relative.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _uses_forbidden_modules(fn: ast.FunctionDef, tree: ast.Module) -> bool:
    """Whether the function uses torch or another module that learner code may not import
    (such a function cannot be an answer: the exercise would score 'forbidden import')."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names
                      if find_forbidden_imports(f"import {a.name}")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and find_forbidden_imports(f"import {node.module}"):
            bound |= {a.asname or a.name for a in node.names}
    return any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(fn))


def _same(got, expected) -> bool:
    """The same results, to float32 rounding, whatever the dtype; None only as None."""
    if expected is None:
        return got is None
    if isinstance(expected, tuple | list):
        return isinstance(got, tuple | list) and len(got) == len(expected) and all(map(_same, got, expected))
    if isinstance(expected, np.ndarray | np.generic | float | int):
        try:
            a, b = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        size = float(np.abs(b[np.isfinite(b)]).max(initial=1.0))
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-4, atol=1e-5 * size, equal_nan=True))
    return got is not None  # caches and other objects (an instance): the values beside them decide


def _behaves_alike(fn, reference, recorded) -> bool:
    """Same results and the same changes to the arguments (in-place functions) on every call."""
    for args in recorded:
        mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
        if not (_same(fn(*mine), reference(*theirs)) and _same(list(mine), list(theirs))):
            return False
    return True


SIDE_EFFECTS = {"os", "shutil", "subprocess", "signal", "sqlite3", "tempfile", "matplotlib"}  # not called blindly


def _positional(fn: ast.FunctionDef) -> int:
    return len(fn.args.posonlyargs) + len(fn.args.args)


def drop_in_answers(out: Path, root: Path, scratch: Path) -> list[str]:
    """Released module-level functions that behave as an exercise's answer, whatever their
    names: on every input that the exercise's own tests give its function (all arguments
    given), they return the solution's values (compared in float64: a dtype slip does not
    make an answer less of one). Functions that use a module learner code may not import
    (torch) are no answer; modules that touch files or processes are not called blindly."""
    from gradeschool.harness import presets
    from gradeschool.harness.runner import run_checks

    solutions = LocalImplementation(root / "solutions", label="solutions")
    targets = {}
    for exercise in load_catalogue().exercises():
        for name in exercise.functions:
            if inspect.isfunction(obj := solutions.get(name)):
                targets[name] = (exercise, inspect.signature(obj))
    calls: dict[str, list] = {}

    def recorder(name):
        def record(*args, **kwargs):
            bound = targets[name][1].bind(*args, **kwargs)
            if len(bound.arguments) == len(targets[name][1].parameters) and len(calls.setdefault(name, [])) < 12:
                calls[name].append(copy.deepcopy(tuple(bound.arguments.values())))
            return solutions.get(name)(*args, **kwargs)
        return record

    overrides: dict = {}
    for name, (exercise, _) in targets.items():
        overrides.setdefault(exercise.topic, {})[name] = recorder(name)
    recording = LocalImplementation(root / "solutions", label="recording", overrides=overrides)
    run_checks([e.name for e, _ in targets.values()], impl=recording, preset=presets.learner(speed=False))
    found = []
    for path in sorted([*(out / "graders").rglob("*.py"), *(out / "tests").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        if imported & SIDE_EFFECTS:
            continue
        module = None
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef) and not _uses_forbidden_modules(n, tree)):
            for name, (exercise, signature) in targets.items():
                recorded = calls.get(name, [])
                if len(recorded) < 3 or _positional(fn) != len(signature.parameters):
                    continue
                module = module or _module_of(path, out)
                try:
                    with contextlib.chdir(scratch):
                        alike = _behaves_alike(getattr(module, fn.name), solutions.get(name), recorded)
                except (Exception, SystemExit):  # noqa: BLE001 - a function that cannot take these inputs is none
                    alike = False
                if alike:
                    found.append(f"{path.relative_to(out)}: {fn.name} answers {exercise.name}")
    return found


@pytest.fixture(scope="module")
def drop_ins(released, tmp_path_factory):
    kit, out, _ = released
    return drop_in_answers(out, kit, tmp_path_factory.mktemp("scratch"))


@pytest.mark.slow
def test_no_released_function_behaves_as_an_answer(drop_ins):
    """A drop-in answer is caught whatever its names and code (issue 13: pictures/cnn.py's
    reference Sobel, the public tests' perceptron rule and central differences: all gone)."""
    assert not drop_ins, drop_ins
