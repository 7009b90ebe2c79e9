"""Hidden tests of topic 6 — cnn. Never released, never run by `gradeschool check`: the
grader and the instructor's nbgrader run collect them. Property runs draw their examples
from the course's seed (`--course-seed`); edge cases are fixed. In each exercise they
cover they weigh `results.HIDDEN_SHARE` of its points."""

import importlib.util

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.core.paths import topic_test_file
from gradeschool.testing import check_forward, check_layer
from gradeschool.testing.strategies import cnn as ts

pytestmark = pytest.mark.hidden


def public_property(name: str):
    """A public test's own body (the property, without its examples), to run here on the
    course's examples: one statement of the property, two sets of examples."""
    spec = importlib.util.spec_from_file_location("_public_test_cnn", topic_test_file("cnn"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name).hypothesis.inner_test


CONV2D = public_property("test_conv2d_matches_torch")


@pytest.mark.exercise("conv2d")
@settings(max_examples=10)
@given(case=ts.conv2d_problems(max_side=12))
def test_conv2d_on_the_course_examples(impl, device, case):
    CONV2D(impl, device, case)


@pytest.mark.exercise("conv2d")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_conv2d_whose_stride_skips_the_last_pixels(impl, device, dtype):
    """A 7x7 image, a 3x3 filter, stride 3: the last column and row are never read, and
    their gradient is exactly 0."""
    rng = np.random.default_rng(13)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in [(2, 2, 7, 7), (3, 2, 3, 3), (3,)])
    check_layer(impl.conv2d_forward, impl.conv2d_backward, F.conv2d, x, w, b, grad_wrt=[0, 1, 2],
                argnames=["x", "w", "b"], kwargs={"stride": 3, "padding": 0}, device=device, scale=16.0, terms=18)


MAXPOOL2D, AVGPOOL2D = (public_property(f"test_{n}_matches_torch") for n in ("maxpool2d", "avgpool2d"))


@pytest.mark.exercise("maxpool2d")
@settings(max_examples=10)
@given(case=ts.pool2d_problems(distinct=True, max_side=12))
def test_maxpool2d_on_the_course_examples(impl, device, case):
    MAXPOOL2D(impl, device, case)


@pytest.mark.exercise("avgpool2d")
@settings(max_examples=10)
@given(case=ts.pool2d_problems(max_side=12), count_include_pad=st.booleans())
def test_avgpool2d_on_the_course_examples(impl, device, case, count_include_pad):
    AVGPOOL2D(impl, device, case, count_include_pad)


@pytest.mark.exercise("pad2d")
@settings(max_examples=15)
@given(x=ts.image_batches(max_side=9), pad=st.integers(0, 6))
def test_pad2d_on_the_course_examples(impl, device, x, pad):
    check_forward(impl.pad2d, lambda t, p: F.pad(t, (p, p, p, p)), x, pad, argnames=["x", "pad"], device=device)


@pytest.mark.exercise("output_size")
@settings(max_examples=30)
@given(size=ts.conv_sizes(max_n=4000))
def test_output_size_of_large_images(impl, size):
    n, f, p, s = size
    expected = (n + 2 * p - f) // s + 1
    got = impl.output_size(n, f, p, s)
    assert isinstance(got, int | np.integer) and not isinstance(got, bool) and got == expected, (
        f"output_size(n={n}, f={f}, p={p}, s={s}) returned {got!r}, expected {expected}")


@pytest.mark.exercise("flatten")
@settings(max_examples=15)
@given(x=ts.image_batches(min_dims=2, max_dims=6, max_side=4))
def test_flatten_on_the_course_examples(impl, device, x):
    check_layer(impl.flatten_forward, impl.flatten_backward, lambda t: torch.flatten(t, 1), x, grad_wrt=[0],
                argnames=["x"], device=device)
