"""Correct answers are accepted: every correct alternative (tests/kit/testing/alternatives/:
other styles a learner may write, such as exp(x - logsumexp(x)), float64 intermediates
cast back, einsum, allocating optimizers) passes every test of its exercise, speed gates
included; and a sibling topic imported inside a function body works."""

import shutil
from pathlib import Path

import pytest

from gradeschool.core import results as R
from gradeschool.core.paths import solutions_dir
from gradeschool.harness.mutants import implementation_for, load_mutants
from gradeschool.harness.runner import run_checks

pytestmark = pytest.mark.kit
ALTERNATIVES = Path(__file__).resolve().parent / "alternatives"


def failures(results):
    return [f"{r.nodeid}: {r.outcome}: {r.message}" for r in results if r.outcome not in (R.PASSED, R.SKIPPED)]


@pytest.mark.parametrize("alternative", load_mutants(ALTERNATIVES), ids=lambda m: m.id)
def test_correct_alternative_passes_every_test(alternative):
    results = run_checks([alternative.exercise], impl=implementation_for(alternative))
    assert any(r.outcome == R.PASSED for r in results), f"no test of {alternative.exercise} ran"
    assert not failures(results), f"{alternative.id} ({alternative.why}) is correct but was rejected:\n" + \
        "\n".join(failures(results))


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
