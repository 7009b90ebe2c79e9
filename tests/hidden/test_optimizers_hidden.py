"""Hidden tests of topic 4 — optimizers. Never released, never run by `gradeschool check`:
the grader and the instructor's nbgrader run collect them. Property runs draw their
examples from the course's seed (`--course-seed`); edge cases are fixed. In each exercise
they cover they weigh `results.HIDDEN_SHARE` of its points."""

import types
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing import compare
from gradeschool.testing.oracle import describe_call
from gradeschool.testing.strategies import optimizers as ts
from gradeschool.testing.trajectories import check_trajectory

pytestmark = pytest.mark.hidden


def by_exercise(names):
    return [pytest.param(n, marks=pytest.mark.exercise(n), id=n) for n in names]


@pytest.mark.parametrize("name", by_exercise(["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"]))
@settings(max_examples=8)
@given(data=st.data())
def test_optimizer_trajectory_on_the_course_examples(impl, device, name, data):
    kwargs = data.draw(ts.optimizer_hyperparameters[name], label="hyperparameters")
    # centered RMSprop on a smooth loss is ill-conditioned in float32 for any implementation
    smooth32 = not (name == "RMSprop" and kwargs["centered"])
    problem = data.draw(ts.problems(device, float32_smooth=smooth32), label="problem")
    check_trajectory(impl.get(name), getattr(torch.optim, name), problem, kwargs)


def torch_rates(name, base_lr, settings_, epochs):
    """torch's rates of epochs 0..epochs (its scheduler stepped once per epoch)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()": no training here
        schedule = getattr(torch.optim.lr_scheduler, name)(opt, **settings_)
        return [base_lr] + [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(epochs)]


@pytest.mark.parametrize("name, settings_, epochs", [
    pytest.param("StepLR", {"step_size": 1, "gamma": 0.5}, 30, marks=pytest.mark.exercise("StepLR"), id="step-1"),
    pytest.param("StepLR", {"step_size": 7, "gamma": 1.0}, 30, marks=pytest.mark.exercise("StepLR"), id="gamma-1"),
    pytest.param("ExponentialLR", {"gamma": 1.0}, 20, marks=pytest.mark.exercise("ExponentialLR"), id="gamma-1"),
    pytest.param("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}, 25,
                 marks=pytest.mark.exercise("CosineAnnealingLR"), id="past-T_max"),
    pytest.param("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.0}, 6,
                 marks=pytest.mark.exercise("CosineAnnealingLR"), id="T_max-1"),
])
def test_schedule_edges(impl, name, settings_, epochs):
    """A step of one epoch, a factor of 1, and cosine annealing run past T_max (it climbs
    back: the closed form is periodic)."""
    opt = types.SimpleNamespace(lr=0.1)
    schedule = impl.get(name)(opt, **settings_)
    got = [opt.lr]
    for _ in range(epochs):
        schedule.step()
        got.append(opt.lr)
    compare(np.array([float(v) for v in got]), np.array(torch_rates(name, 0.1, settings_, epochs)),
            call=f"{describe_call(name, ['opt (lr=0.1)'], settings_)}, then {epochs} x .step()",
            what="the learning rates of epochs 0, 1, ...", dtype=np.float64, scale=0.1, terms=epochs)


@pytest.mark.exercise("clip_grad_norm")
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_clip_grad_norm_of_zero_gradients(impl, norm_type, dtype):
    """A total norm of 0 clips nothing and divides by nothing: no nan."""
    grads = [np.zeros((3, 2), dtype), np.zeros(5, dtype)]
    call = describe_call("clip_grad_norm", [grads], {"max_norm": 1.0, "norm_type": norm_type}, ["grads"])
    total = impl.clip_grad_norm(grads, 1.0, norm_type=norm_type)
    compare(total, np.float64(0.0), call=call, what="the returned total norm", rtol=0, atol=0)
    for i, g in enumerate(grads):
        compare(g, np.zeros(g.shape), call=call, what=f"grads[{i}] after the call", dtype=dtype, rtol=0, atol=0)


@pytest.mark.exercise("clip_grad_value")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_clip_grad_value_keeps_values_at_the_limit(impl, dtype):
    grads = [np.array([-2.0, -1.5, 0.0, 1.5, 2.0, -1e30], dtype)]
    impl.clip_grad_value(grads, 1.5)
    compare(grads[0], np.array([-1.5, -1.5, 0.0, 1.5, 1.5, -1.5]), dtype=dtype, rtol=0, atol=0,
            call="clip_grad_value([[-2, -1.5, 0, 1.5, 2, -1e30]], 1.5)", what="grads[0] after the call")
