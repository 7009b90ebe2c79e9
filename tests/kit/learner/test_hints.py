"""Problem 3 of issue 14: a hint fits the failure. The generic diagnosis (non-finite,
dtype, shape — "looks transposed" —, a list instead of an array) comes before a test's
own hint, which only speaks to the value mismatch it was written for; watch's first `h`
shows a new hint (test_watch.py); no catalogue hint pastes the answer.

Each attempt is the reference solutions with one function replaced by a typical wrong
version, checked as `gradeschool check` checks it."""

import re

import numpy as np
import pytest
from kitutils import CATALOGUE, KIT, module_of

from gradeschool.learner.source import definitions
from gradeschool.testing import hints

pytestmark = pytest.mark.kit

ATTEMPTS = [
    pytest.param("backprop", "dense_backward", '''def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)
''', [r"the gradient w\.r\.t\. W has shape \((\d+), (\d+)\), expected \(\2, \1\)", "hint: looks transposed"],
        ["keepdims"], id="dW-transposed"),
    pytest.param("cnn", "pad2d", '''def pad2d(x, pad):
    return np.pad(x, pad)
''', [r"the result has shape \(\d+, \d+, \d+, \d+\)", "grown by the same amount, as padding does",
      r"one \(before, after\) pair per axis"], ["keepdims"], id="pad-all-four-axes"),
    pytest.param("backprop", "numerical_gradient", '''def numerical_gradient(f, x, h=1e-5):
    x = x.astype(np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g
''', ["has dtype float64, expected float32", "hint: Keep the input's dtype"], ["Central differences"],
        id="numerical-gradient-float64"),
    pytest.param("neuron", "step", '''def step(x):
    return (x >= 0).astype(int)
''', ["has dtype int64, expected float", r"\.astype\(int\)", "drops the fractions"], ["upcast"],
        id="astype-int"),
    pytest.param("neuron", "softmax", '''def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).tolist()
''', ["is a builtins.list, expected a numpy.ndarray", r"\.tolist\(\)"], [], id="list-not-array"),
    pytest.param("losses", "sparse_categorical_cross_entropy", '''def sparse_categorical_cross_entropy(
        logits, y, weight=None, reduction="mean", label_smoothing=0.0):
    n, c = logits.shape
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        w = np.ones(c, dtype=logits.dtype) if weight is None else weight
        q = np.full((n, c), label_smoothing / c, dtype=logits.dtype)
        q[np.arange(n), y] += 1 - label_smoothing
        per = -(q * w * np.log(p)).sum(axis=1)
        d = p * (q * w).sum(axis=1, keepdims=True) - q * w
    if reduction == "none":
        return per, d
    if reduction == "sum":
        return per.sum(), d
    total = w[y].sum()
    return per.sum() / total, d / total
''', ["got a non-finite value where torch's is finite", "overflowed"], ["label smoothing", "class weight"],
        id="unstable-cross-entropy-nan"),
]


@pytest.mark.parametrize("topic, name, code, wanted, unwanted", ATTEMPTS)
def test_the_hint_fits_the_mistake(attempt, check_one, topic, name, code, wanted, unwanted):
    exercise = CATALOGUE.owner_of(name).name
    group, message = check_one(exercise, attempt(topic, {name: code}))
    assert group.status == "failed", (group.status, message)
    missing = [w for w in wanted if not re.search(w, message)]
    assert not missing, f"the message lacks {missing}:\n{message}"
    hint = message.split("hint: ", 1)[-1]
    wrong = [u for u in unwanted if u.lower() in hint.lower()]
    assert not wrong, f"the hint speaks of {wrong}, not of this mistake:\n{message}"


@pytest.mark.parametrize("got, expected, wanted", [
    ((3, 5), (5, 3), "looks transposed"),
    ((2, 4, 3), (2, 3, 4), "the right number of elements in the wrong shape"),
    ((1, 5), (5,), "an extra axis of length 1 at position 0"),
    ((5,), (5, 1), "axis 1 (of length 1) is missing"),
    ((7, 7, 5, 5), (3, 3, 5, 5), "grown by the same amount, as padding does"),
    ((4, 1), (4, 6), "a reduction over the wrong axis"),
    ((4, 3), (4, 6), "axis 1 is 3 instead of 6"),
])
def test_shape_diagnosis(got, expected, wanted):
    assert wanted in hints.shape_hint(got, expected)


@pytest.mark.parametrize("got, expected, wanted", [
    (np.int64, np.float32, "drops the fractions"),
    (np.bool_, np.float64, "drops the fractions"),
    (np.float64, np.float32, "upcast float32"),
    (np.float32, np.float64, "loses precision"),
])
def test_dtype_diagnosis(got, expected, wanted):
    assert wanted in hints.dtype_hint(got, expected)


def test_a_mistake_hint_speaks_only_to_a_value_mismatch():
    from gradeschool.testing import compare

    mistake = "the test's own hint"
    cases = [(np.zeros(3, np.float64), "Keep the input's dtype"),     # dtype
             (np.zeros((3, 1), np.float32), "an extra axis"),           # shape
             (np.array([0, np.inf, 0], np.float32), "got a non-finite value"),  # overflow
             (np.ones(3, np.float32), mistake)]                       # a plain value mismatch
    for got, wanted in cases:
        with pytest.raises(AssertionError) as caught:
            compare(got, np.zeros(3), call="f(x)", dtype=np.float32, hint=mistake)
        assert f"hint: {wanted}" in str(caught.value)
        assert (mistake in str(caught.value)) == (wanted == mistake)


def _solution_lines(exercise) -> tuple[list[str], list[list[str]]]:
    """Normalised code lines between the solution markers of an exercise's functions, and
    the same per function."""
    source = (KIT / "solutions" / module_of(exercise.topic)).read_text()
    per_function = []
    for code in definitions(source, exercise.functions).values():
        inside, lines = False, []
        for line in code.splitlines():
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.append(re.sub(r"\s+", "", line))
        per_function.append(lines)
    return [x for f in per_function for x in f], per_function


WITH_SOLUTIONS = [e for e in CATALOGUE.exercises() if (KIT / "solutions" / module_of(e.topic)).is_file()]


@pytest.mark.parametrize("exercise", WITH_SOLUTIONS, ids=[e.name for e in WITH_SOLUTIONS])
def test_no_hint_pastes_the_answer(exercise):
    """A hint may show one step of the answer, never a whole function's answer, two of
    its lines, or its final `return` line."""
    lines, per_function = _solution_lines(exercise)
    for text in [*exercise.hints, *(v for _, v in exercise.mistakes)]:
        flat = re.sub(r"\s+", "", text)
        shown = [x for x in lines if len(x) > 8 and x in flat]
        whole = [f for f in per_function if f and all(x in flat for x in f)]
        returns = [x for x in shown if x.startswith("return")]
        assert len(shown) < 2 and not whole and not returns, f"{exercise.name}: the hint {text!r} pastes {shown}"


def _mistake_calls():
    """(file, line, exercise, key) of every `mistake(...)` call in the kit's tests."""
    import ast

    for path in sorted((KIT / "tests").rglob("*.py")):
        if "submissions" in path.relative_to(KIT).parts:
            continue  # adversarial submissions (links, files git cannot hold): learner code, not tests
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "mistake":
                args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
                yield str(path.relative_to(KIT)), node.lineno, *(args + [None, None])[:2]


def test_every_mistake_a_test_names_is_in_the_catalogue():
    """A literal mistake("exercise", "key") resolves; one whose exercise is a variable (a test
    parametrized over exercises) names a key the catalogue has (and mistake() raises at once,
    for every run of the test, if one of those exercises lacks it)."""
    calls = list(_mistake_calls())
    assert calls, "no test names a mistake: the search is broken"
    keys = {k for e in CATALOGUE.exercises() for k, _ in e.mistakes}
    unresolved = []
    for where, line, exercise, key in calls:
        try:
            assert isinstance(key, str), "the key must be a literal string"
            if isinstance(exercise, str):
                CATALOGUE.exercise(exercise).mistake(key)
            else:
                assert key in keys, f"no exercise has a mistake {key!r}"
        except (KeyError, AssertionError) as err:
            unresolved.append(f"{where}:{line}: mistake({exercise!r}, {key!r}): {err}")
    assert not unresolved, "\n".join(unresolved)
