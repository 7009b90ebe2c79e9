"""Problem 4 of issue 14: rules hold where they are stated, in files and notebooks alike.

- A notebook function that uses torch is refused as a file would be ("forbidden import").
- tanh's docstring rules out np.tanh: using it (any spelling, or through a helper) fails
  the exercise naming the line, in a file and in a notebook; gelu may still use it.
- A floating-point warning raised by learner code fails the test, naming the warning and
  the learner's line: a naive sigmoid that overflows no longer passes."""

import json

import numpy as np
import pytest
import torch
from kitutils import CATALOGUE, KIT, solution_code

import gradeschool
from gradeschool.core.scan import find_forbidden_calls

pytestmark = pytest.mark.kit
TANH = CATALOGUE.exercise("tanh")


def torch_tanh(x):
    return torch.tanh(torch.from_numpy(x)).numpy()


def _helper(x):
    return torch.tanh(torch.from_numpy(x)).numpy()


def via_helper(x):
    return _helper(x)


def numpy_tanh(x):
    return np.tanh(x)


@pytest.mark.parametrize("fn, status, wanted", [
    (torch_tanh, "forbidden import", "`torch_tanh` uses `torch`, which is torch"),
    (via_helper, "forbidden import", "`_helper` uses `torch`, which is torch"),
    (numpy_tanh, "forbidden call", "`np.tanh` uses numpy.tanh"),
], ids=["torch", "torch-in-a-helper", "np.tanh"])
def test_notebook_check_applies_the_rules_of_a_file(fn, status, wanted):
    result = gradeschool.check("tanh", fn, speed=False, quiet=True)
    assert result.status == status and result.earned == 0, result.text
    assert wanted in result.message, result.message
    if status == "forbidden import":
        assert "NumPy and the Python standard library only" in result.message


SPELLINGS = {  # source, the line that uses numpy.tanh
    "np.tanh": ("import numpy as np\n\ndef tanh(x):\n    return np.tanh(x)\n", 4),
    "numpy.tanh": ("import numpy\n\ndef tanh(x):\n    return numpy.tanh(x)\n", 4),
    "from-import": ("from numpy import tanh as t\n\ndef tanh(x):\n    return t(x)\n", 4),
    "getattr": ("import numpy as np\n\ndef tanh(x):\n    return getattr(np, 'tanh')(x)\n", 4),
    "helper": ("import numpy as np\n\ndef _h(x):\n    return np.tanh(x)\n\ndef tanh(x):\n    return _h(x)\n", 4),
}


@pytest.mark.parametrize("source, line", SPELLINGS.values(), ids=SPELLINGS)
def test_a_forbidden_call_is_found_with_its_line(source, line):
    found = find_forbidden_calls(source, TANH.functions, TANH.forbidden)
    assert len(found) == 1 and found[0].startswith(f"line {line}: ") and found[0].endswith("uses numpy.tanh"), found


def test_gelu_may_use_np_tanh_and_the_solutions_break_no_rule():
    source = (KIT / "solutions" / "neuron.py").read_text()
    assert "np.tanh" in solution_code("gelu")
    for exercise in CATALOGUE.topic("neuron").exercises:
        assert find_forbidden_calls(source, exercise.functions, exercise.forbidden) == [], exercise.name


def test_tanh_with_np_tanh_in_a_file_fails_naming_the_line(attempt, check_one):
    folder = attempt("neuron", {"tanh": "def tanh(x):\n    return np.tanh(x)\n"})
    line = next(i for i, t in enumerate((folder / "neuron.py").read_text().splitlines(), 1) if "return np.tanh(x)" in t)
    group, message = check_one("tanh", folder)
    assert group.status == "forbidden call" and group.earned == 0
    assert f"neuron.py line {line}: `np.tanh` uses numpy.tanh" in message
    assert "tanh may not use numpy.tanh" in message


@pytest.mark.slow
def test_grade_refuses_the_forbidden_call_too(attempt, tmp_path):
    from gradeschool.grading.supervise import grade_one

    folder = attempt("neuron", {"tanh": "def tanh(x):\n    return np.tanh(x)\n"})
    report = grade_one(folder, tmp_path / "graded", ["tanh"])
    (row,) = [e for e in report["exercises"] if e["name"] == "tanh"]
    assert (row["status"], row["points"]) == ("forbidden call", 0.0), json.dumps(row, indent=1)
    assert "uses numpy.tanh" in row["tests"][0]["message"]


NAIVE_SIGMOID = "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"


def test_an_overflow_warning_fails_the_test_naming_the_line(attempt, check_one):
    folder = attempt("neuron", {"sigmoid": NAIVE_SIGMOID})
    line = next(i for i, t in enumerate((folder / "neuron.py").read_text().splitlines(), 1)
                if "1 / (1 + np.exp(-x))" in t)
    group, message = check_one("sigmoid", folder)
    assert group.status == "failed" and group.earned < group.exercise.points, message
    assert "NumPy warned `RuntimeWarning: overflow encountered in exp`" in message
    assert f"at neuron.py line {line}: `return 1 / (1 + np.exp(-x))`" in message
    assert "sigmoid(x: float" in message, "the call that warned is named"


def test_the_kits_own_warnings_and_a_learners_silenced_ones_fail_nothing(attempt, check_one):
    silenced = "def sigmoid(x):\n    with np.errstate(over='ignore'):\n        return 1 / (1 + np.exp(-x))\n"
    group, message = check_one("sigmoid", attempt("neuron", {"sigmoid": silenced}))
    assert "NumPy warned" not in message


@pytest.mark.slow
def test_grade_fails_the_overflowing_sigmoid_too(attempt, tmp_path):
    from gradeschool.grading.supervise import grade_one

    folder = attempt("neuron", {"sigmoid": NAIVE_SIGMOID})
    report = grade_one(folder, tmp_path / "graded", ["sigmoid"])
    (row,) = [e for e in report["exercises"] if e["name"] == "sigmoid"]
    messages = "\n".join(t["message"] for t in row["tests"])
    assert row["points"] < row["max_points"], json.dumps(row, indent=1)
    assert "overflow encountered in exp" in messages and "neuron.py line" in messages
