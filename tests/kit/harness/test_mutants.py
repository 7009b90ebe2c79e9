"""Every mutant must be caught: run `pytest --impl solutions --mutants`.

The plugin runs each exercise's tests against each of its mutants as well (those runs
always report as passed); here, one verdict per mutant asserts that at least one of them
failed. Without --mutants the verdicts skip."""

import pytest

pytestmark = pytest.mark.kit


def test_mutant_is_caught(request, mutant_record):
    mutant, ran, caught_by = mutant_record
    if not request.config.getoption("--mutants"):
        pytest.skip("mutants run with --mutants")
    if ran == 0:
        pytest.skip(f"no test of {mutant.exercise} was selected")
    assert caught_by, (
        f"mutant {mutant.id} ({mutant.why}) passed all {ran} tests of {mutant.exercise}: "
        "the checker cannot tell it from a correct implementation"
    )
