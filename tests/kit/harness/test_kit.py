"""The kit checks itself: exercises are in sync with solutions, every stub reads "not
started", every exercise has tests, hints and mutants, and learner imports are policed."""

import pytest

from gradeschool.build.sync import SyncError, make_exercise, plan
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import exercises_dir, solutions_dir
from gradeschool.core.scan import find_forbidden_imports
from gradeschool.harness.mutants import load_mutants

pytestmark = pytest.mark.kit
CATALOGUE = load_catalogue()
EXERCISES = [e for e in CATALOGUE.exercises() if (solutions_dir() / CATALOGUE.topic(e.topic).module).exists()]
IDS = [e.name for e in EXERCISES]


def test_exercises_are_in_sync_with_solutions():
    _, drift = plan()
    assert not drift, "run `gradeschool sync`:\n" + "\n".join(f"{d.path}: {d.problem}\n{d.diff}" for d in drift)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_stub_reads_not_started(exercise):
    state = LocalImplementation(exercises_dir(), label="exercises").state(exercise)
    assert state.status == "not started", f"{exercise.name}: {state}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_solution_is_ready(exercise):
    state = LocalImplementation(solutions_dir(), label="solutions").state(exercise)
    assert state.status == "ready", f"{exercise.name}: {state.message}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_exercise_has_hints_and_mutants(exercise):
    assert len(exercise.hints) >= 2, f"{exercise.name} needs at least two hints"
    assert any(m.exercise == exercise.name for m in load_mutants()), f"{exercise.name} has no mutant"


def test_every_exercise_has_tests(request):
    tested = {m.args[0] for item in request.session.items for m in item.iter_markers("exercise")}
    if not tested:
        pytest.skip("run together with the exercise tests")
    missing = [e.name for e in EXERCISES if e.name not in tested]
    assert not missing, f"exercises without a collected test: {missing}"


@pytest.mark.parametrize("line, bad", [
    ("import torch", "torch"),
    ("from scipy import signal", "scipy"),
    ("import jax.numpy as jnp", "jax.numpy"),
    ("x = __import__('tensorflow')", "tensorflow"),
    ("import importlib\nm = importlib.import_module('torch.nn')", "torch.nn"),
    ("import numpy as np\nimport math, os", None),
    ("from numpy.lib.stride_tricks import sliding_window_view", None),
])
def test_forbidden_imports_are_found(line, bad):
    found = find_forbidden_imports(line)
    assert (found and bad in found[0]) if bad else not found, found


def test_forbidden_import_names_the_line(tmp_path):
    (tmp_path / "neuron.py").write_text("import numpy as np\nimport torch\n\ndef relu(x):\n    return torch.relu(x)\n")
    state = LocalImplementation(tmp_path).state(CATALOGUE.exercise("relu"))
    assert state.status == "forbidden import"
    assert "line 2" in state.message and "import torch" in state.message


def test_exit_at_import_is_an_error_not_an_exit(tmp_path):
    (tmp_path / "neuron.py").write_text("import sys\nsys.exit(0)\n")
    state = LocalImplementation(tmp_path).state(CATALOGUE.exercise("relu"))
    assert state.status == "error" and "SystemExit" in state.message


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "without BEGIN"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n", "inside the region"),
])
def test_sync_rejects_broken_markers(source, problem):
    with pytest.raises(SyncError, match=problem):
        make_exercise(source)


def test_sync_turns_regions_into_stubs():
    src = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n'
    assert make_exercise(src) == ('def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n'
                                  '    raise NotImplementedError("f is not written yet: see its docstring")\n')


# Centered RMSprop on a smooth loss with a small lr: v ~ a**2, so sqrt(v - a**2) magnifies
# the few-ulp difference between torch's lerp and the notes' update of a by up to ~400x.
# The optimizer checker scales its state tolerance by that factor, measured from torch's
# state: it must accept the solution on such draws (seed 1 failed before) and still reject
# eps inside the root, an error far smaller than any other RMSprop mutant's.
ILL_CONDITIONED = dict(lr=0.00010231032105679591, alpha=0.8, eps=1e-08, weight_decay=0.5, momentum=0.5,
                       centered=True)


@pytest.mark.parametrize("seed", [1, 4, 7, 11])
def test_ill_conditioned_rmsprop_tolerance_accepts_rounding_and_rejects_eps_inside_the_root(seed):
    import numpy as np
    import torch

    from gradeschool.testing import LearnerFailure
    from gradeschool.testing.trajectories import Problem, check_trajectory

    rng = np.random.default_rng(seed)
    start = np.stack([rng.uniform(-1.5, 1.5, 2), rng.uniform(-0.5, 2.0, 2)], axis=1)

    def run(cls):
        check_trajectory(cls, torch.optim.RMSprop, Problem("rosenbrock", np.float64, [start.copy()], seed, "cpu"),
                         ILL_CONDITIONED)

    run(LocalImplementation(solutions_dir(), label="solutions").get("RMSprop"))
    with pytest.raises(LearnerFailure, match="momentum_buffer|parameter"):
        run(next(m.obj for m in load_mutants() if m.id == "RMSprop:eps_inside_root"))


def test_every_test_folder_is_collected(request):
    """pytest skips folders matching `norecursedirs` (its default list holds "build"): no
    folder of tests/ that holds tests may match, or its tests never run (tests/kit/build
    did not, until this test)."""
    from fnmatch import fnmatch
    from pathlib import Path

    tests = Path(request.config.rootpath) / "tests"
    patterns = request.config.getini("norecursedirs")
    folders = {p.parent for p in tests.rglob("test_*.py")}
    skipped = [str(f.relative_to(tests)) for f in folders for part in f.relative_to(tests).parts
               if any(fnmatch(part, pattern) for pattern in patterns)]
    assert not skipped, f"test folders pytest would not collect: {sorted(set(skipped))}"
