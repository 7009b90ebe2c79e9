"""Topic 1 — neuron: property tests against torch, and speed gates."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.testing import assert_speed, check_forward
from gradeschool.testing import strategies as gs

AXES = st.sampled_from([-1, 0])


@pytest.mark.exercise("softmax", weight=2)
@given(x=st.tuples(gs.dtypes, gs.shapes(1, 3)).flatmap(lambda a: gs.logits(*a)), axis=AXES)
def test_softmax_matches_torch(impl, device, x, axis):
    check_forward(impl.softmax, torch.softmax, x, argnames=["x"], kwargs={"axis": axis},
                  torch_kwargs={"dim": axis}, device=device)


@pytest.mark.exercise("log_softmax", weight=2)
@given(x=st.tuples(gs.dtypes, gs.shapes(1, 3)).flatmap(lambda a: gs.logits(*a)), axis=AXES)
def test_log_softmax_matches_torch(impl, device, x, axis):
    check_forward(impl.log_softmax, torch.log_softmax, x, argnames=["x"], kwargs={"axis": axis},
                  torch_kwargs={"dim": axis}, device=device, scale=float(np.abs(x).max(initial=1)))


SPEED_SHAPES = [(65536, 10), (1024, 1000)]


@pytest.mark.bench
@pytest.mark.parametrize("shape", SPEED_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "name, torch_fn",
    [pytest.param("softmax", torch.softmax, marks=pytest.mark.exercise("softmax")),
     pytest.param("log_softmax", torch.log_softmax, marks=pytest.mark.exercise("log_softmax"))],
)
def test_speed(impl, benchmark, name, torch_fn, shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    assert_speed(benchmark, impl.get(name), torch_fn, x, max_ratio=8,
                 kwargs={"axis": -1}, torch_kwargs={"dim": -1})


del F
