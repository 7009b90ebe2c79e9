"""Speed measurements in the worker that the code measured cannot fake
(gradeschool.grading.timing; the design: docs/speed-integrity.md).

Each speed attack of tests/submissions/ is measured directly, as a speed gate does it
(an untimed warm-up, timed runs, then `check()`): it is caught, or what it did is charged
to its runs. The honest softmax beside them passes the check."""

import shutil

import numpy as np
import pytest
import torch

from gradeschool.core.paths import kit_root, solutions_dir
from gradeschool.grading.isolated import IsolatedImplementation
from gradeschool.grading.process import Limits
from gradeschool.grading.remote import RemoteObject

pytestmark = pytest.mark.kit

SUBMISSIONS = kit_root() / "tests" / "submissions"
LIMITS = Limits(call_timeout=10.0, total_timeout=120.0)
X = np.random.default_rng(0).standard_normal((65536, 10))  # a speed gate's input
RUNS = 10


def expected(args, kwargs):
    with torch.no_grad():
        return torch.softmax(torch.from_numpy(args[0]), dim=-1)


def measure(impl: IsolatedImplementation, runs: int = RUNS):
    """(the best figure, the timer) of a softmax speed gate's measurement."""
    timer = impl.timer(impl.softmax, (X,), {"axis": -1}, expected=expected)
    timer()
    figures = []
    for _ in range(runs):
        timer()
        figures.append(timer.seconds)
    return min(figures), timer


@pytest.fixture
def graded(tmp_path):
    made = []

    def make(name: str) -> IsolatedImplementation:
        folder = tmp_path / name
        if name == "honest":
            folder.mkdir()
            shutil.copy(solutions_dir() / "neuron.py", folder / "neuron.py")
        else:
            shutil.copytree(SUBMISSIONS / name, folder)
        made.append(IsolatedImplementation(folder, limits=LIMITS))
        return made[-1]

    yield make
    for impl in made:
        impl.close()


def test_an_honest_measurement_passes_its_check(graded):
    best, timer = measure(graded("honest"))
    assert timer.check() is None
    assert len(timer.runs) == RUNS and len(set(timer.runs)) == RUNS, "every run had its own inputs"
    assert best >= min(timer.windows), "a figure is never below the CPU its run used"


@pytest.mark.parametrize("name", ["speed_noop", "speed_cache"])
def test_runs_that_skip_the_work_are_caught(graded, name):
    """Issue 11's no-op swapped in during the warm-up, and an output cache: the revealed
    outputs are not torch's on the runs' fresh inputs."""
    _, timer = measure(graded(name))
    problem = timer.check()
    assert problem is not None and "is wrong" in problem, problem


@pytest.mark.parametrize("name", ["speed_ack_early", "speed_fork", "speed_precompute", "speed_defer_commit"])
def test_work_moved_out_of_the_runs_does_not_help(graded, name):
    """An ack before the work (a background thread), the work in a forked child, the work
    done while the inputs arrive, or when the commitments are asked for: the judge counts
    the CPU time of every process of the worker, so the check refuses the runs or their
    figure is no better than an honest one."""
    honest, _ = measure(graded("honest"))
    best, timer = measure(graded(name))
    problem = timer.check()
    figure = max(best, timer.floor or 0.0)  # what the gate uses
    assert problem is not None or figure > 0.5 * honest, (best, timer.floor, honest)
    if name == "speed_precompute":
        assert timer.charged > 0, "the work done before the runs is charged to them"


def test_the_worker_is_stopped_between_timed_runs(graded):
    impl = graded("honest")
    _, timer = measure(impl, runs=2)
    worker = impl._worker
    assert worker.paused, "stopped while the gate times torch"
    states = [open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] for p in worker.paused]
    assert set(states) == {"T"}, states
    assert timer.check() is None
    impl.softmax(np.ones((2, 3)))  # any later call continues it
    assert not worker.paused


def test_a_speed_closure_runs_as_a_program_on_fresh_inputs(tmp_path):
    """conv/pool-like closures (forward, then backward on its cache): after the recorded
    first run and a warm-up of the program, each run is one message and no arrays travel;
    its inputs are a new set."""
    (tmp_path / "neuron.py").write_text(
        "import numpy as np\n"
        "CALLS = []\n"
        "def relu(x):\n"
        "    CALLS.append('f')\n"
        "    return np.maximum(x, 0), ('cache', x > 0)\n"
        "def step(dout, cache):\n"
        "    assert cache[0] == 'cache'\n"
        "    CALLS.append('b')\n"
        "    return dout * cache[1]\n"
        "def calls():\n"
        "    return ''.join(CALLS)\n")
    impl = IsolatedImplementation(tmp_path, limits=LIMITS)
    try:
        def forward_backward(x, dout):
            out, cache = impl.relu(x)
            return impl.step(dout, cache)

        def torch_forward_backward(args, kwargs):
            x, dout = args
            return dout * (x > 0)

        x, dout = np.array([-1.0, 2.0]), np.array([3.0, 4.0])
        run = impl.timer(forward_backward, (x, dout), {}, expected=torch_forward_backward)
        sent = []
        exchange = impl._exchange
        impl._exchange = lambda envelope, arrays, *a, **k: (sent.append((envelope["op"], len(arrays))),
                                                            exchange(envelope, arrays, *a, **k))[1]
        for _ in range(4):
            run()
        impl._exchange = exchange
        assert [op for op, _ in sent[-3:]] == ["inputs", "run", "run"] or sent[-2:] == [("run", 0), ("run", 0)]
        assert ("bench", 2) in sent, "the program holds no arrays but its warm-up's input set: its inputs are slots"
        assert run.check() is None
        handle = impl._exchange({"op": "get", "topic": "neuron", "name": "calls"}, [], "calls")[0]["ok"]
        assert run.per_run > 1 and len(run.runs) == 3 * run.per_run, "a tiny program runs on several sets per run"
        assert RemoteObject(impl, handle, impl._gen)() == "fb" * (2 + len(run.runs)), \
            "recorded, warmed up, then once per input set of the 3 timed runs"
    finally:
        impl.close()
