"""The kit's pytest plugin (loaded by the kit's root conftest.py).

- `--impl exercises|solutions|PATH` (or GRADESCHOOL_IMPL) picks the implementation that the
  `impl` fixture hands to tests; default `exercises`.
- `--device cpu|cuda|all` parametrizes tests that take `device`; CUDA skips without a GPU.
- `--gradeschool-profile grading|dev` picks the Hypothesis profile (default grading).
- `@pytest.mark.exercise(name, weight=1)` ties a test to a catalogue exercise; the topic
  and exercise markers (`-m neuron`, `-m softmax`) are added from the catalogue.
- What a learner reads at the end of a run, and its exit status: harness/summary.py;
  rules on learner code beyond the import scan (forbidden calls, floating-point
  warnings): harness/rules.py.
- An exercise whose functions are untouched stubs is skipped as "not started" before any
  test code runs; every test's outcome is collected for tables, reports and points.
- `--mutants` also runs each exercise's tests against its mutants (tests/mutants/) and
  tests/kit/harness/test_mutants.py then asserts that every mutant was caught.
- Tests marked `hidden` (tests/hidden/) that are Hypothesis tests run with the course's
  seed (`--course-seed`, default 0) instead of the derandomized examples, and weigh
  `results.HIDDEN_SHARE` of their exercise's points.
- `--test-timeout` is the kit's own per-test deadline; once a test of an exercise times
  out, the rest of that exercise fails at once ("timeout") instead of hanging again.
"""

from __future__ import annotations

import os
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from gradeschool.core import results as R  # noqa: E402
from gradeschool.core.catalogue import load_catalogue  # noqa: E402
from gradeschool.core.implementation import Implementation  # noqa: E402
from gradeschool.core.local import LocalImplementation  # noqa: E402
from gradeschool.core.paths import exercises_dir, solutions_dir  # noqa: E402
from gradeschool.harness import rules, summary  # noqa: E402
from gradeschool.harness.deadline import deadline  # noqa: E402
from gradeschool.harness.outcomes import (  # noqa: E402
    NOT_STARTED_PREFIX,
    GateFailure,
    classify,
    first_exception,
    is_learner_facing,
)
from gradeschool.harness.presets import DEFAULT_COURSE_SEED  # noqa: E402

IMPL_ENV = "GRADESCHOOL_IMPL"
MAIN = "main"

def resolve_impl(spec: str | None) -> Implementation:
    """`exercises`, `solutions`, or a folder of topic modules."""
    spec = spec or os.environ.get(IMPL_ENV) or "exercises"
    named = {"exercises": exercises_dir(), "solutions": solutions_dir()}
    root = named.get(spec, Path(spec))
    if not root.is_dir():
        raise pytest.UsageError(f"--impl {spec}: {root} is not a folder of topic modules")
    return LocalImplementation(root, label=spec)


@dataclass
class State:
    """Per-session state: implementations, collected results, mutant kills."""

    impl_spec: str | None
    mutants: bool
    results: dict[str, R.TestResult] = field(default_factory=dict)
    timed_out: dict[str, str] = field(default_factory=dict)  # exercise -> the test that timed out
    kills: dict[str, list[str]] = field(default_factory=dict)
    ran: dict[str, int] = field(default_factory=dict)
    rules: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    _impls: dict[str, Implementation] = field(default_factory=dict)

    provided: Implementation | None = None

    def impl(self, key: str = MAIN) -> Implementation:
        if key not in self._impls:
            if key == MAIN:
                self._impls[key] = self.provided or resolve_impl(self.impl_spec)
            else:
                from gradeschool.harness.mutants import implementation_for, load_mutants

                mutant = next(m for m in load_mutants() if m.id == key)
                self._impls[key] = implementation_for(mutant)
        return self._impls[key]


STATE = pytest.StashKey[State]()
PREVIOUS_PROFILE = pytest.StashKey[str]()


def state(config: pytest.Config) -> State:
    return config.stash[STATE]


# ---------------------------------------------------------------- options and set-up
class Hooks:
    """The plugin's own hook: a plugin handed to pytest.main (the runner's) may give the
    implementation under test instead of --impl (a notebook's functions, an isolated
    worker)."""

    @pytest.hookspec(firstresult=True)
    def pytest_gradeschool_implementation(self, config: pytest.Config) -> Implementation | None:
        """The Implementation that the `impl` fixture hands to tests, or None for --impl."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(Hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("gradeschool")
    g.addoption("--impl", default=None,
                help="implementation under test: exercises (default), solutions, or a folder "
                     f"of topic modules; also ${IMPL_ENV}")
    g.addoption("--device", default="all", choices=("cpu", "cuda", "all"),
                help="where the torch reference runs: cpu, cuda, or all (cuda skips without a GPU)")
    g.addoption("--gradeschool-profile", default=None, choices=("grading", "dev", "mutants"),
                help="Hypothesis profile: grading (derandomized, default) or dev (random)")
    g.addoption("--mutants", action="store_true",
                help="also run each exercise's tests against its mutants and check they are caught")
    g.addoption("--results-json", default=None, help="write every test's outcome to this file")
    g.addoption("--test-timeout", type=float, default=120.0,
                help="seconds an exercise test may take before it counts as a timeout (0: none)")
    g.addoption("--exercise", action="append", default=[],
                help="run only the tests of this exercise (repeatable); drops the kit's own tests")
    g.addoption("--course-seed", type=int, default=None,
                help="Hypothesis seed of the hidden property tests (default 0); a course sets its own")
    g.addoption("--skip-speed", action="store_true",
                help="leave the speed tests out: quicker, and their points count as not checked")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import settings

    from gradeschool.testing import profiles  # noqa: F401  (registers the profiles)

    catalogue = load_catalogue()
    summary.quiet_benchmarks(config)
    config.addinivalue_line("markers", "exercise(name, weight=1): the catalogue exercise a test checks")
    config.addinivalue_line("markers", "bench: a speed test (learner code vs torch, side by side)")
    config.addinivalue_line("markers", "hidden: a test kept out of the student release")
    config.addinivalue_line("markers", "kit: a test of the kit itself, not of an exercise")
    config.addinivalue_line("markers", "slow: a test that takes several seconds")
    for topic in catalogue.topics:
        config.addinivalue_line("markers", f"{topic.name}: exercises of topic {topic.name} ({topic.title})")
    for exercise in catalogue.exercises():
        if exercise.name not in catalogue.topic_names():
            config.addinivalue_line("markers", f"{exercise.name}: the tests of exercise {exercise.name}")
    mutants = config.getoption("--mutants")
    profile = config.getoption("--gradeschool-profile") or ("mutants" if mutants else "grading")
    config.stash[PREVIOUS_PROFILE] = settings.get_current_profile_name()
    settings.load_profile(profile)
    provided = config.hook.pytest_gradeschool_implementation(config=config)
    config.stash[STATE] = State(impl_spec=config.getoption("--impl"), mutants=mutants, provided=provided)
    config.pluginmanager.register(summary, "gradeschool-summary")


def pytest_unconfigure(config: pytest.Config) -> None:
    """A run started from inside another (a notebook check in a test) hands the outer run
    its Hypothesis profile back."""
    from hypothesis import settings

    previous = config.stash.get(PREVIOUS_PROFILE, None)
    if previous is not None:
        settings.load_profile(previous)


def pytest_report_header(config: pytest.Config) -> str:
    st = state(config)
    return f"gradeschool: impl={st.impl(MAIN).root}" + (" +mutants" if st.mutants else "")


def _exercise_of(node) -> str | None:
    marker = node.get_closest_marker("exercise")
    return marker.args[0] if marker and marker.args else None


def _exercises_of(definition) -> list[str]:
    """Exercises a test function may check: its own marker, or markers on its parameters."""
    found = [m.args[0] for m in definition.iter_markers("exercise") if m.args]
    for mark in definition.iter_markers("parametrize"):
        values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", ())
        for value in values:
            found += [m.args[0] for m in getattr(value, "marks", ()) if m.name == "exercise" and m.args]
    return list(dict.fromkeys(found))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    if "device" in metafunc.fixturenames:
        import torch

        wanted = config.getoption("--device")
        # "all" means the devices there are: no CUDA test to skip on a machine without one
        devices = (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]) if wanted == "all" else [wanted]
        params = [
            pytest.param(d, marks=pytest.mark.skipif(
                d == "cuda" and not torch.cuda.is_available(), reason="CUDA is not available"))
            for d in devices
        ]
        metafunc.parametrize("device", params, scope="session")
    if "impl" in metafunc.fixturenames and state(config).mutants:
        from gradeschool.harness.mutants import mutants_for

        ids = [MAIN] + [m.id for e in _exercises_of(metafunc.definition) for m in mutants_for(e)]
        metafunc.parametrize("impl", ids, indirect=True, scope="session",
                             ids=["impl"] + [f"mutant:{i}" for i in ids[1:]])
    if "mutant_id" in metafunc.fixturenames:
        from gradeschool.harness.mutants import load_mutants

        metafunc.parametrize("mutant_id", [m.id for m in load_mutants()], scope="session")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config: pytest.Config, items: list[pytest.Item]) -> None:
    catalogue = load_catalogue()
    only = set(config.getoption("--exercise"))
    if only:
        keep = [i for i in items if _exercise_of(i) in only]
        config.hook.pytest_deselected(items=[i for i in items if _exercise_of(i) not in only])
        items[:] = keep
    if state(config).mutants:
        from gradeschool.harness.mutants import load_mutants

        owner = {m.id: m.exercise for m in load_mutants()}
        stray = [i for i in items if _mutant_param(i) and owner[_mutant_param(i)] != _exercise_of(i)]
        if stray:
            config.hook.pytest_deselected(items=stray)
            items[:] = [i for i in items if i not in stray]
    verdicts = []
    for item in items:
        exercise = _exercise_of(item)
        if exercise is not None:
            try:
                item.add_marker(catalogue.exercise(exercise).topic)
            except KeyError as err:
                raise pytest.UsageError(f"{item.nodeid}: {err.args[0]}") from None
            if exercise not in catalogue.topic_names():
                item.add_marker(exercise)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "mutant_id" in callspec.params:
            if state(config).mutants:  # without --mutants a verdict only skips: not the learner's
                item.add_marker(catalogue.exercise(callspec.params["mutant_id"].split(":")[0]).topic)
            verdicts.append(item)
    if config.getoption("--skip-speed"):
        summary.leave_out_speed_tests(config, items)
    if verdicts:
        items[:] = [i for i in items if i not in verdicts] + verdicts
    _seed_hidden_property_tests(items, config.getoption("--course-seed"))


def _seed_hidden_property_tests(items: list[pytest.Item], course_seed: int | None) -> None:
    """A hidden Hypothesis test draws its examples from the course's seed, not from the
    derandomized sequence the public tests use (a learner cannot tune code to them)."""
    from hypothesis import seed

    for item in items:
        function = getattr(item, "function", None)
        if item.get_closest_marker("hidden") and getattr(function, "is_hypothesis_test", False):
            seed(DEFAULT_COURSE_SEED if course_seed is None else course_seed)(function)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation:
    """The implementation under test (see --impl); a mutant in --mutants runs."""
    return state(request.config).impl(getattr(request, "param", MAIN))


@pytest.fixture
def mutant_record(request: pytest.FixtureRequest, mutant_id: str):
    """(mutant, number of its exercise's tests run against it, the tests that caught it)."""
    from gradeschool.harness.mutants import load_mutants

    st = state(request.config)
    mutant = next(m for m in load_mutants() if m.id == mutant_id)
    return mutant, st.ran.get(mutant_id, 0), st.kills.get(mutant_id, [])


@pytest.fixture(autouse=True)
def _gradeschool_gate(request: pytest.FixtureRequest) -> None:
    """Skip as 'not started' (or fail as forbidden/broken) before a test of an exercise
    whose implementation is not there yet."""
    exercise = _exercise_of(request.node)
    if exercise is None or "impl" not in request.fixturenames:
        return
    mutant = _mutant_param(request.node)
    if mutant and state(request.config).kills.get(mutant):
        pytest.skip("mutant already caught by an earlier test")
    earlier = state(request.config).timed_out.get(exercise) if mutant is None else None
    if earlier is not None:
        raise GateFailure(R.TIMEOUT, f"not run: {earlier} did not finish in time, so the rest of "
                                     f"{exercise} is not run either (an endless loop?)")
    impl = request.getfixturevalue("impl")
    ex = load_catalogue().exercise(exercise)
    found = impl.state(ex)
    if found.status == "not started":
        pytest.skip(NOT_STARTED_PREFIX + found.message)
    if found.status != "ready":
        raise GateFailure(found.status, found.message)
    if not mutant:
        broken = rules.broken_rule(state(request.config).rules, impl, ex)
        if broken is not None:
            raise GateFailure(*broken)


def _mutant_param(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("impl") if callspec else None
    return value if value not in (None, MAIN) else None


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Under --mutants, a mutant's failure is recorded as a kill and the run goes on.
    Hypothesis's `git apply` patch files of failing examples are of no use to a learner."""
    mutant = _mutant_param(pyfuncitem)
    limit = pyfuncitem.config.getoption("--test-timeout") if _exercise_of(pyfuncitem) else None
    try:
        if mutant is None:
            with deadline(limit, f"{pyfuncitem.name}"), rules.fp_warnings(pyfuncitem, _exercise_of(pyfuncitem)):
                return (yield)
        st = state(pyfuncitem.config)
        st.ran[mutant] = st.ran.get(mutant, 0) + 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a mutant's overflow warnings are expected noise
                return (yield)
        except (Exception, pytest.fail.Exception):
            st.kills.setdefault(mutant, []).append(pyfuncitem.nodeid)
            return True
    finally:
        pyfuncitem.__dict__.pop("_hypothesis_failing_examples", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    exercise = _exercise_of(item)
    if exercise is None or _mutant_param(item) is not None:
        return report
    if call.when == "call" or (call.when == "setup" and not report.passed):
        outcome, message = classify(call, report, [state(item.config).impl(MAIN).root])
        if report.failed and is_learner_facing(call):
            report.longrepr = f"{exercise}: {outcome}\n{message}"
        bench = item.funcargs.get("benchmark") if hasattr(item, "funcargs") else None
        ratio = getattr(bench, "extra_info", {}).get("ratio") if bench is not None else None
        if outcome == R.TIMEOUT and not isinstance(first_exception(call.excinfo.value) if call.excinfo
                                                   else None, GateFailure):
            state(item.config).timed_out.setdefault(exercise, item.name)
        state(item.config).results[item.nodeid] = summary.result_of(item, outcome, message, report.duration, ratio)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """An interrupt (Ctrl-C, or nbgrader interrupting a cell that ran out of time) ends the
    run; the test it stopped is a timeout, not a test that never ran."""
    try:
        return (yield)
    except KeyboardInterrupt:
        exercise = _exercise_of(item)
        if exercise is not None and _mutant_param(item) is None:
            state(item.config).results[item.nodeid] = summary.result_of(
                item, R.TIMEOUT, "interrupted before it finished (an endless loop, or far too slow?)")
        raise


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    st = state(session.config)
    st.results = {r.nodeid: r for r in R.with_hidden_share(list(st.results.values()))}
    path = session.config.getoption("--results-json")
    if path:
        R.save(list(st.results.values()), Path(path))


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    st = state(config)
    if st.mutants and st.ran:
        caught = sum(1 for m in st.ran if st.kills.get(m))
        terminalreporter.write_sep("-", f"gradeschool mutants: {caught} of {len(st.ran)} caught")
