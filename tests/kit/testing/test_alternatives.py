"""Correct answers are accepted: every correct alternative (tests/kit/testing/alternatives/:
other styles a learner may write, such as exp(x - logsumexp(x)), float64 intermediates
cast back, einsum, allocating optimizers) passes every test of its exercise, speed gates
included; and a sibling topic imported inside a function body works."""

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from gradeschool.core import results as R
from gradeschool.core.local import LocalImplementation
from gradeschool.core.paths import solutions_dir
from gradeschool.harness.mutants import load_mutants
from gradeschool.harness.runner import run_checks

pytestmark = pytest.mark.kit
ALTERNATIVES = load_mutants(Path(__file__).resolve().parent / "alternatives")


def rounds(alternatives) -> list[list]:
    """The alternatives in rounds that hold at most one per exercise and per function
    replaced: a round's alternatives are tested together, in one run of their exercises'
    tests (a run per alternative cost CI three minutes, mostly collection)."""
    out: list[list] = []
    for alt in alternatives:
        free = next((r for r in out if all(a.exercise != alt.exercise and (a.topic, a.replaces) !=
                                           (alt.topic, alt.replaces) for a in r)), None)
        if free is None:
            out.append(free := [])
        free.append(alt)
    return out


ROUNDS = rounds(ALTERNATIVES)
ROUND_OF = {alt.id: i for i, r in enumerate(ROUNDS) for alt in r}


@pytest.fixture(scope="module")
def round_results():
    """Round index -> the results of its run (each round run once, when first asked for)."""
    done: dict[int, list] = {}

    def results(i: int) -> list:
        if i not in done:
            overrides: dict[str, dict] = defaultdict(dict)
            for alt in ROUNDS[i]:
                overrides[alt.topic][alt.replaces] = alt.obj
            impl = LocalImplementation(solutions_dir(), label=f"alternatives round {i}", overrides=dict(overrides))
            done[i] = run_checks([alt.exercise for alt in ROUNDS[i]], impl=impl)
        return done[i]

    return results


def failures(results):
    return [f"{r.nodeid}: {r.outcome}: {r.message}" for r in results if r.outcome not in (R.PASSED, R.SKIPPED)]


def test_each_round_swaps_one_alternative_per_exercise():
    assert sorted(a.id for r in ROUNDS for a in r) == sorted(a.id for a in ALTERNATIVES)
    for r in ROUNDS:
        assert len({a.exercise for a in r}) == len(r) and len({(a.topic, a.replaces) for a in r}) == len(r)


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda m: m.id)
def test_correct_alternative_passes_every_test(alternative, round_results):
    """Its exercise's tests, run with the alternative in place (and its round's other
    alternatives in theirs: correct code, whichever exercise uses it)."""
    results = [r for r in round_results(ROUND_OF[alternative.id]) if r.exercise == alternative.exercise]
    assert any(r.outcome == R.PASSED for r in results), f"no test of {alternative.exercise} ran"
    others = ", ".join(a.id for a in ROUNDS[ROUND_OF[alternative.id]] if a is not alternative)
    assert not failures(results), f"{alternative.id} ({alternative.why}) is correct but was rejected " \
        f"(beside {others}):\n" + "\n".join(failures(results))


def test_sibling_import_inside_a_function_body(tmp_path):
    """`from neuron import sigmoid` inside sigmoid_backward (not at the top of the module)."""
    for path in solutions_dir().glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    source = (tmp_path / "backprop.py").read_text()
    body = '    s = sigmoid(x)\n    return (dout * s * (1 - s)).astype(x.dtype)'
    assert body in source
    source = source.replace(body, "    from neuron import sigmoid as own_sigmoid\n\n"
                                  "    s = own_sigmoid(x)\n    return (dout * s * (1 - s)).astype(x.dtype)")
    (tmp_path / "backprop.py").write_text(source)
    results = run_checks(["sigmoid_backward"], impl=str(tmp_path), extra=["-m", "not bench"])
    assert any(r.outcome == R.PASSED for r in results)
    assert not failures(results), "\n".join(failures(results))
