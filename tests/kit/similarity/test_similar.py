"""`gradeschool similar`: among distinct submissions, a classmate's code with its names
changed is the top pair of its exercise, and a renamed copy of the reference solution is
flagged; exercises left as the stub are not compared; the HTML report shows the overlap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from implementations import MLP_FORWARD, PERCEPTRON_TRAIN

from gradeschool.cli import main
from gradeschool.core.paths import exercises_dir
from gradeschool.learner.source import definitions, replace_definitions
from gradeschool.similarity.extract import read_submission, reference, stubs
from gradeschool.similarity.rank import rank_class

pytestmark = pytest.mark.kit

STUB = (exercises_dir() / "neuron.py").read_text()
NAMES = sorted(set(PERCEPTRON_TRAIN) | set(MLP_FORWARD))


def implement(name: str, body: str) -> str:
    """The stub's definition (signature and docstring kept) with `body` instead of its raise."""
    stub = definitions(STUB, [name])[name]
    lines = stub.splitlines()
    at = next(i for i, line in enumerate(lines) if "raise NotImplementedError" in line)
    return "\n".join(lines[:at]) + body.rstrip() + "\n"


@pytest.fixture()
def klass(tmp_path) -> Path:
    folder = tmp_path / "class"
    for who in NAMES:
        code = {n: implement(n, impl[who]) for n, impl in (("perceptron_train", PERCEPTRON_TRAIN),
                                                           ("mlp_forward", MLP_FORWARD)) if who in impl}
        (folder / who).mkdir(parents=True)
        (folder / who / "neuron.py").write_text(replace_definitions(STUB, code))
    source = replace_definitions(STUB, {"mlp_forward": implement("mlp_forward", MLP_FORWARD["dan"])})
    nb = {"cells": [{"cell_type": "code", "id": "answer", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": source}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "nina.ipynb").write_text(json.dumps(nb))  # a notebook: dan's mlp_forward, verbatim
    return folder


def test_planted_copies_are_the_top_pair_of_their_exercise(klass):
    codes = {p.name.removesuffix(".ipynb"): read_submission(p) for p in sorted(klass.iterdir())}
    rankings = {r.exercise: r for r in rank_class(codes, stubs(), reference())}
    assert set(rankings) == {"perceptron_train", "mlp_forward"}, "stubs are not compared"
    train, mlp = rankings["perceptron_train"], rankings["mlp_forward"]
    assert {train.pairs[0].a, train.pairs[0].b} == {"bob", "mallory"}
    assert train.pairs[0].score > 0.9 and train.pairs[1].score < 0.6, [(p.a, p.b, p.score) for p in train.pairs]
    assert {mlp.pairs[0].a, mlp.pairs[0].b} in ({"dan", "nina"}, {"carol", "trent"})
    assert {frozenset((p.a, p.b)) for p in mlp.pairs[:2]} == {frozenset(("dan", "nina")), frozenset(("carol", "trent"))}
    assert mlp.pairs[1].score > 0.9 and mlp.pairs[2].score < 0.6, [(p.a, p.b, p.score) for p in mlp.pairs]
    assert [p.a for p in train.reference] == ["eve"], "a renamed copy of the reference solution is flagged"
    assert not mlp.reference


def test_the_command_writes_the_report(klass, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["similar", str(klass), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "perceptron_train: bob ~ mallory" in text and "eve copies the reference solution" in text
    page = out.read_text()
    assert 'id="perceptron_train"' in page and "<mark>" in page and "mallory" in page
    assert "<script" not in page
