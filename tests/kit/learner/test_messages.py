"""What a learner reads when their code is wrong, tested for content.

Typical mistakes in softmax, each checked as a notebook would (`gradeschool.check`, the
same text as `gradeschool check` and `watch`): the message must name the exercise, the
call with its shapes and dtypes, what differs (the largest difference, or the wrong
shape/dtype) and the hint that matches the mistake."""

import re

import numpy as np
import pytest

import gradeschool

pytestmark = pytest.mark.kit


def named(fn):
    fn.__name__ = fn.__qualname__ = "softmax"
    return fn


@named
def wrong_axis(x, axis=-1):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@named
def wrong_shape(x, axis=-1):
    x = np.atleast_2d(x)  # treats a single vector as a batch of one
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@named
def float64_out(x, axis=-1):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@named
def overflow(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


# Hypothesis shrinks a failure to a small case, but the exact case depends on the profile
# that the test module was loaded under (and on the constants it finds in the project's
# modules), so the patterns allow any shape, an axis given or left at its default, and any
# largest input that overflows exp (1e+02 and more).
CALL = r"softmax\(x: float(32|64) \((\d+, )*\d+,?\) in \[[^\]]+\](, axis=-?\d)?\)"
OVERFLOWING = r"in \[[^\]]*, [1-9](\.\d+)?e\+(0[2-9]|[1-9]\d)\]"
NUMBER = r"-?(\d[\d.e+-]*|nan|inf)"

MISTAKES = [
    pytest.param(wrong_axis, [
        # Hypothesis finds either a mismatch or the crash on an empty last axis (an empty
        # batch with axis=0): either way the call with its axis, then the axis hint
        rf"({CALL}\n  largest difference at index \(\d+(, \d+)+\): expected {NUMBER}, got {NUMBER}"
        rf"|raised ValueError: .*\n  in the call softmax\(x: float(32|64) \(\d+, 0\), axis=0\))",
        "Reduce along `axis` with keepdims=True",  # the catalogue's first hint
    ], id="wrong_axis"),
    pytest.param(wrong_shape, [
        CALL, r"the result has shape \(1, (\d+)\), expected \(\1,\)",
        "hint: an extra axis of length 1 at position 0", "Check the axis you reduce over and keepdims",
    ], id="wrong_shape"),
    pytest.param(float64_out, [
        r"softmax\(x: float32 \(", "the result has dtype float64, expected float32",
        "hint: Keep the input's dtype",
    ], id="float32_returned_as_float64"),
    pytest.param(overflow, [
        CALL, OVERFLOWING, rf"largest difference at index \(\d+(, \d+)*,?\): expected {NUMBER}, got nan",
        "hint: got a non-finite value where torch's is finite: something overflowed",
    ], id="overflow"),
]


@pytest.fixture(autouse=True)
def _keep_hypothesis_profile():
    """The check runs the kit's tests in this process; give the outer run its profile back."""
    from hypothesis import settings

    before = settings._current_profile
    yield
    settings.load_profile(before)


@pytest.mark.parametrize("buggy, wanted", MISTAKES)
def test_message_explains_the_mistake(buggy, wanted, capsys):
    result = gradeschool.check("softmax", buggy, speed=False)
    printed = capsys.readouterr().out
    # a wrong axis may crash on an empty batch (error); every other mistake computes a wrong value
    assert result.status in (("failed", "error") if buggy is wrong_axis else ("failed",)), result.text
    assert not result.passed and result.earned < result.points
    assert printed.strip() == result.text.strip()
    assert f"First problem: softmax: {result.status}" in result.text
    assert "more hints: gradeschool hint softmax" in result.text
    missing = [w for w in wanted if not re.search(w, result.message + "\n" + result.text)]
    assert not missing, f"the message lacks {missing}:\n{result.text}"
