"""IsolatedImplementation, directly: learner code in a sandboxed worker behind the
Implementation protocol (calls, objects, in-place updates, sibling modules, warnings,
budgets)."""

import math
import warnings

import numpy as np
import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.implementation import ForbiddenImport, Implementation, ImplementationError
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import solutions_dir
from gradeschool.grading.isolated import IsolatedImplementation
from gradeschool.grading.process import Limits
from gradeschool.grading.remote import InputChanged, RemoteObject

pytestmark = pytest.mark.kit

FAST = Limits(call_timeout=2.0, total_timeout=20.0, memory=512 * 2**20)
CATALOGUE = load_catalogue()


@pytest.fixture
def tiny(tmp_path):
    """make(neuron.py source, other modules...) -> an IsolatedImplementation (sandboxed)."""
    made = []

    def make(neuron: str | None = None, **modules: str) -> IsolatedImplementation:
        folder = tmp_path / "sub"
        folder.mkdir(exist_ok=True)
        for name, source in ({"neuron": neuron} | modules).items():
            if source is not None:
                (folder / f"{name}.py").write_text(source)
        made.append(IsolatedImplementation(folder, label="tiny", limits=FAST))
        return made[-1]

    yield make
    for impl in made:
        impl.close()


def test_it_is_an_implementation_and_sandboxed_by_default(tiny):
    impl = tiny("def relu(x):\n    return x\n")
    assert isinstance(impl, Implementation) and isinstance(LocalImplementation(solutions_dir()), Implementation)
    assert impl.box is not None and impl.sandbox["tool"] == "bubblewrap"
    assert impl.relu(np.ones(2)).tolist() == [1.0, 1.0]


def test_only_documented_in_place_updates_come_back(tiny):
    """Optimizers (catalogue: updates_in_place) update the caller's arrays; anything else
    learner code changes in place stays in the worker, and the call fails as in-process."""
    impl = tiny(
        "import numpy as np\n"
        "def relu(x):\n"
        "    x[...] = np.maximum(x, 0)\n"
        "    return x\n"
        "def mlp_forward(x, weights, biases):\n"
        "    for w in weights:\n"
        "        w[...] = 0\n"
        "    return x\n",
        optimizers=(
            "class SGD:\n"
            "    def __init__(self, params, lr=0.1):\n"
            "        self.params, self.lr, self.calls = params, lr, 0\n"
            "    def step(self, grads):\n"
            "        self.calls += 1\n"
            "        for p, g in zip(self.params, grads):\n"
            "            p -= self.lr * g\n"))
    a = np.array([-1.0, 2.0])
    with pytest.raises(InputChanged, match="modified an input in place"):
        impl.relu(a)
    assert a.tolist() == [-1.0, 2.0], "the judge's array is untouched"
    weights = [np.ones((2, 2)), np.ones((2, 1))]
    with pytest.raises(InputChanged):
        impl.mlp_forward(np.ones((1, 2)), weights, [np.zeros(2), np.zeros(1)])
    assert all((w == 1).all() for w in weights)
    params = [np.ones(3)]
    opt = impl.SGD(params, lr=0.5)
    assert isinstance(opt, RemoteObject) and opt._writes
    opt.step([np.ones(3)])
    opt.step([np.ones(3)])
    assert opt.calls == 2
    assert params[0].tolist() == [0.0, 0.0, 0.0], "the optimizer's steps reach the caller's parameters"


def test_a_sibling_import_inside_a_function_body_works(tiny):
    impl = tiny("def relu(x):\n    from losses import helper\n    return helper(x)\n",
                losses="def helper(x):\n    return x * 2\n")
    assert impl.relu(np.ones(2)).tolist() == [2.0, 2.0]


@pytest.mark.parametrize("losses, status, cause", [
    ("import torch\n\ndef helper(x):\n    return x\n", "forbidden import", "import"),
    ("def helper(x)\n    return x\n", "error", "syntax error"),
    ("raise RuntimeError('broken at import')\n", "error", "broken at import"),
], ids=["forbidden-import", "syntax-error", "raises-at-import"])
def test_an_unusable_sibling_fails_only_what_uses_it(tiny, losses, status, cause):
    """losses.py cannot be used: cnn's pad2d, which never calls it, is graded as usual;
    neuron's relu, which does, fails with the sibling's own cause (as core/local.py)."""
    impl = tiny("from losses import helper\n\ndef relu(x):\n    return helper(x)\n",
                losses=losses, cnn="import losses\n\ndef pad2d(x, p):\n    return x\n")
    assert impl.state(CATALOGUE.exercise("pad2d")).status == "ready"
    assert impl.pad2d(np.ones(2), 1).tolist() == [1.0, 1.0]
    assert impl.state(CATALOGUE.exercise("relu")).status == "ready"
    with pytest.raises(ImplementationError, match=cause) as err:
        impl.relu(np.ones(2))
    assert err.value.status == status and "helper" in str(err.value)


def test_a_forbidden_import_while_running_is_reported_as_such(tiny):
    impl = tiny("def relu(x):\n    import importlib\n    return importlib.import_module('tor' + 'ch')\n")
    with pytest.raises(ForbiddenImport, match="'torch'"):
        impl.relu(np.ones(2))


def test_floating_point_warnings_come_back_with_the_learners_line(tiny):
    """NumPy's overflow in the worker is raised again in the judge, attributed to the
    submission's file and line, so that the test fails as it does in-process."""
    impl = tiny("import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        impl.sigmoid(np.array([-1000.0, 0.0]))
    found = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert found and "overflow" in str(found[0].message)
    assert found[0].filename == str(impl.root / "neuron.py") and found[0].lineno == 4


def test_objects_stay_in_the_worker(tiny):
    impl = tiny(
        "class Counter:\n"
        "    def __init__(self):\n"
        "        self.calls = 0\n"
        "    def tick(self):\n"
        "        self.calls += 1\n"
        "        return self.calls\n"
        "step = Counter\n")
    counter = impl.step()
    assert isinstance(counter, RemoteObject)
    counter.tick()
    assert counter.tick() == 2 and counter.calls == 2


def cube_sum(x):
    return float((x**3).sum()) + math.pi * 0


def uses_a_helper(x):
    return cube_sum(x) + 1.0


ONES = np.ones(1)


def uses_a_global(x):
    return float((x * ONES).sum())


def with_default(x, scale=ONES):
    return float((x * scale).sum())


def test_a_pure_judge_function_runs_in_the_worker_and_nothing_else_is_sent(tiny):
    impl = tiny("def relu(f, x):\n    return f(x), f(x + 1)\n")
    assert impl.relu(cube_sum, np.array([1.0, 2.0])) == (9.0, 35.0)
    assert impl.relu(uses_a_helper, np.array([1.0, 2.0])) == (10.0, 36.0), "its pure helpers go with it"
    scale = 2.0
    for refused in (lambda x: x, uses_a_global, with_default, lambda x: scale * x, np.sum, print):
        with pytest.raises(TypeError, match="cannot send"):
            impl.relu(refused, np.ones(2))


@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.MT19937])
def test_a_generator_argument_arrives_at_its_state(tiny, bits):
    """rng=np.random.Generator(...) (the initialisers, MLP, train_mlp): the learner's code
    draws what it would draw in-process; the caller's generator is not advanced."""
    impl = tiny("def relu(n, rng):\n    return rng.standard_normal(n)\n")
    rng = np.random.Generator(bits(7))
    got = impl.relu(5, rng=rng)
    assert np.array_equal(got, np.random.Generator(bits(7)).standard_normal(5))
    assert np.array_equal(rng.standard_normal(5), got)


def test_a_hung_exercise_fails_fast_and_the_next_gets_a_fresh_worker(tiny):
    impl = tiny("def relu(x):\n    while True:\n        pass\n\ndef step(x):\n    return x\n")
    assert impl.state(CATALOGUE.exercise("relu")).status == "ready"
    with pytest.raises(Exception, match="did not finish"):
        impl.relu(np.ones(2))
    assert impl.state(CATALOGUE.exercise("relu")).status == "timeout"
    assert impl.state(CATALOGUE.exercise("step")).status == "ready"
    assert impl.step(np.ones(2)).tolist() == [1.0, 1.0]
    assert impl.worker_starts == 2 and impl.disturbed == []


def test_learner_code_writes_files_into_a_scratch_folder_of_its_own(tiny, tmp_path):
    """ModelCheckpoint(path=...) writes files: in isolation the judge's tmp_path is not in
    the sandbox (the solution scored 1/2 there), so a test asks the implementation for a
    folder learner code can write to, and for its listing; only such folders are listed."""
    impl = tiny("import numpy as np\n\ndef relu(folder):\n    np.save(folder + '/a.npy', np.ones(2))\n"
                "    return folder\n")
    judge_side = tmp_path / "judge"
    judge_side.mkdir()
    folder = impl.scratch_folder(judge_side)
    assert not folder.startswith(str(tmp_path)) and impl.relu(folder) == folder
    assert impl.list_folder(folder) == ["a.npy"] and not list(judge_side.iterdir())
    with pytest.raises(Exception, match="not a scratch folder"):
        impl.list_folder("/")
