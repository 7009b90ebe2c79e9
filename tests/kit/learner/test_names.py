"""Problem 8 of issue 14: a misspelled exercise name gets a suggestion in every command
that takes one (check, hint, watch, reset, solution, pictures and the notebook check)."""

import pytest
from kitutils import copy_kit, gradeschool_cli

import gradeschool

pytestmark = pytest.mark.kit


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    return copy_kit(tmp_path_factory.mktemp("names") / "kit")


@pytest.mark.parametrize("args", [("check", "softmx"), ("hint", "sofmax"), ("watch", "softmx"),
                                  ("reset", "softmaxx"), ("solution", "sotfmax")], ids=lambda a: a[0])
def test_a_misspelled_exercise_gets_a_suggestion(kit, args):
    out = gradeschool_cli(kit, *args, timeout=300)
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"'{args[1]}'" in out.stdout and "did you mean softmax" in out.stdout, out.stdout


def test_a_misspelled_topic_gets_a_suggestion(kit):
    out = gradeschool_cli(kit, "check", "nueron", timeout=300)
    assert out.returncode == 2 and "did you mean neuron?" in out.stdout, out.stdout
    out = gradeschool_cli(kit, "pictures", "backprob", timeout=300)
    assert out.returncode == 2 and "did you mean backprop" in out.stdout, out.stdout


def test_a_name_far_from_any_points_to_the_list(kit):
    out = gradeschool_cli(kit, "hint", "zzzz", timeout=300)
    assert out.returncode == 2 and "`gradeschool list` lists every exercise" in out.stdout, out.stdout


def test_the_notebook_check_suggests_too():
    with pytest.raises(KeyError, match="no exercise 'softmaks' in the catalogue; did you mean softmax"):
        gradeschool.check("softmaks", len)
