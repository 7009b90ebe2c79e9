"""Problem 5 of issue 14: a learner installs the kit without the classroom stack, starts
from a student copy (or is told plainly where the solutions are), and nothing in the
package is a drop-in answer to an exercise."""

import ast
import os
import re
import subprocess
import sys
import tomllib

import pytest
from kitutils import CATALOGUE, KIT, copy_kit, solution_code, write_definition

from gradeschool.core.paths import PACKAGE_DIR

pytestmark = pytest.mark.kit
PYPROJECT = tomllib.loads((KIT / "pyproject.toml").read_text())
CLASSROOM = ("nbgrader", "nbformat", "nbclient", "ipykernel", "yaml", "playwright", "ruff", "tox", "jupyter",
             "jupyterlab", "notebook")


def _names(requirements) -> set[str]:
    return {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_learner_install_has_no_classroom_stack():
    base = _names(PYPROJECT["project"]["dependencies"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not base & {n.replace("yaml", "pyyaml") for n in CLASSROOM} and not base & set(CLASSROOM)
    assert {"nbgrader", "playwright"} <= _names(extras["classroom"])
    assert "gradeschool[classroom]" in extras["dev"] and {"ruff", "tox"} <= _names(extras["dev"])
    assert 'pip install -q -c constraints.txt -e ".[dev]"' in (KIT / ".ci" / "run").read_text()


BLOCK = f"""
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {CLASSROOM!r}:
            raise ImportError(f"{{name}} is not installed (a learner install)")
sys.meta_path.insert(0, _Block())
from gradeschool.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args", [("list",), ("hint", "relu"), ("check", "relu"), ("pictures", "cnn")],
                         ids=lambda a: a[0])
def test_the_learner_commands_run_without_the_classroom_stack(tmp_path, args):
    kit = copy_kit(tmp_path / "kit")
    write_definition(kit, "relu", solution_code("relu"))
    env = {**os.environ, "GRADESCHOOL_ROOT": str(kit)}
    out = subprocess.run([sys.executable, "-c", BLOCK, *args], cwd=kit, env=env, capture_output=True, text=True,
                         timeout=600)
    assert "not installed (a learner install)" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and out.returncode in (0, 1), out.stdout + out.stderr


def test_the_readme_starts_the_learner_from_a_student_copy():
    readme = (KIT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    first_install = re.search(r"pip install[^\n`]*", setup).group(0)
    assert first_install.rstrip().endswith("-e ."), first_install
    assert "student copy" in setup and "gradeschool release" in setup
    assert "`solutions/`" in setup and "holds every answer" in setup
    assert '".[classroom]"' in setup and '".[dev]"' in setup


def _package_functions():
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                yield path.relative_to(PACKAGE_DIR), node.name


def test_nothing_in_the_package_is_a_drop_in_answer():
    """The package is released to students: no function of it may be an exercise's
    answer under the exercise's name or a reference_/ref_ variant of it."""
    answers = {f for e in CATALOGUE.exercises() for f in e.functions}
    found = [f"{path}: {name}" for path, name in _package_functions()
             if re.sub(r"^(reference|ref|numpy|np)_|_(reference|ref)$", "", name) in answers]
    assert not found, found
