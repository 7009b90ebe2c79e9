"""Topic 4 — optimizers: trajectories side by side with torch.optim, schedules, clipping.

An optimizer test builds the learner's optimizer and torch's (foreach=False, float64) on
the same starting parameters and feeds both the same sequence of gradients for STEPS
steps; every parameter is compared after every step, and the optimizer state at the end.
The gradients are random, or come from a real loss evaluated (with torch autograd) along
torch's trajectory: the Rosenbrock valley, or a small tanh MLP on random data. Feeding
both sides the same gradients keeps the comparison well conditioned: a float32 learner
only adds its own rounding, which grows with the number of steps (the tolerance passes
`terms=step`). Halfway through every trajectory opt.lr changes, as a schedule changes it.

Domain: parameters of every rank (0-d included), every hyperparameter over its range and
each optimizer built with its defaults; ewa with and without its default correction;
schedules with their optional settings left out; clipping of every norm type (the
default 2 too) on gradients of every rank."""

import math
import types
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.testing import check_forward, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.gates import label, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import describe_call, expect, to_torch
from gradeschool.testing.speed import Gate, gate_params, limited, run_gate
from gradeschool.testing.strategies import optimizers as ts
from gradeschool.testing.trajectories import Problem, check_trajectory

OPTIMIZERS = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"]
SCHEDULES = ["StepLR", "ExponentialLR", "CosineAnnealingLR"]


def by_exercise(names):
    """pytest params, one per exercise name, each tagged with its exercise marker."""
    return [pytest.param(n, marks=pytest.mark.exercise(n), id=n) for n in names]


# Every option switched on at once, in float64 and float32, on the MLP's gradients: a
# quick, deterministic first check before the random hyperparameters below.
EVERY_OPTION = {
    "SGD": [dict(lr=1e-3, momentum=0.9, dampening=0.5, weight_decay=0.1),
            dict(lr=1e-3, momentum=0.8, nesterov=True, weight_decay=0.1)],
    "Adagrad": [dict(lr=0.05, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-3)],
    "RMSprop": [dict(lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.1, momentum=0.5, centered=True),
                dict(lr=0.01, alpha=0.8)],
    "Adadelta": [dict(lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.1)],
    "Adam": [dict(lr=0.01, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1, amsgrad=True),
             dict(lr=0.01, betas=(0.5, 0.9))],
    "AdamW": [dict(lr=0.01, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1, amsgrad=True)],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name, kwargs", [
    pytest.param(n, kw, marks=pytest.mark.exercise(n), id=f"{n}-{k}") for n in OPTIMIZERS
    for k, kw in enumerate(EVERY_OPTION[n])])
def test_every_option_matches_torch(impl, name, kwargs, dtype):
    rng = np.random.default_rng(7)
    params = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in [(3, 5), (5,), (5, 2), (2,)]]
    data = (torch.tensor(rng.standard_normal((6, 3))), torch.tensor(rng.standard_normal((6, 2))))
    check_trajectory(impl.get(name), getattr(torch.optim, name), Problem("mlp", dtype, params, 7, "cpu", data),
                     kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", by_exercise(OPTIMIZERS))
def test_defaults_match_torch(impl, name, dtype):
    """Built with the parameters alone: every default (lr, betas, eps, ...) is torch's."""
    rng = np.random.default_rng(11)
    params = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in [(3, 5), (5,), (5, 2), (2,)]]
    data = (torch.tensor(rng.standard_normal((6, 3))), torch.tensor(rng.standard_normal((6, 2))))
    check_trajectory(impl.get(name), getattr(torch.optim, name), Problem("mlp", dtype, params, 11, "cpu", data), {})


@pytest.mark.parametrize("name", by_exercise(OPTIMIZERS))
@given(data=st.data())
def test_optimizer_trajectory_matches_torch(impl, device, name, data):
    kwargs = data.draw(ts.optimizer_hyperparameters[name], label="hyperparameters")
    # Centered RMSprop divides by sqrt(v - a**2): when the gradients barely change from
    # step to step (a smooth loss, a small lr), v ~ a**2 and float32 loses most digits of
    # the difference, in any implementation. float32 gets it with random gradients only.
    ill_conditioned = name == "RMSprop" and kwargs["centered"]
    problem = data.draw(ts.problems(device, float32_smooth=not ill_conditioned), label="problem")
    check_trajectory(impl.get(name), getattr(torch.optim, name), problem, kwargs)


@pytest.mark.exercise("SGD")
@pytest.mark.parametrize("momentum", [0.9, 0.5])
def test_sgd_momentum_matches_the_notes_form(impl, momentum):
    """The notes' EWA momentum v = beta v + (1 - beta) g, p -= alpha v, is SGD with
    momentum=beta, dampening=0 and lr = alpha (1 - beta), exactly, at every step."""
    rng = np.random.default_rng(3)
    beta, alpha = momentum, 0.1
    p = rng.standard_normal(5)
    opt = impl.SGD([p], lr=alpha * (1 - beta), momentum=beta)
    mine, v = p.copy(), np.zeros(5)
    for t in range(1, 21):
        g = rng.standard_normal(5)
        sent = g.copy()
        call = f"SGD([p], lr={alpha * (1 - beta):g}, momentum={beta}) step {t}"
        opt.step([sent])
        expect(np.array_equal(sent, g), call, "changed the gradient it was given (the gradients must not change)")
        v = beta * v + (1 - beta) * g
        mine -= alpha * v
        compare(p, mine, call=call, what="the parameter", dtype=np.float64, terms=t,
                hint=mistake("SGD", "momentum_buffer"))


# ---------------------------------------------------------------- ewa
def ewa_closed_form(x, beta, bias_correction=True):
    """v_t = (1 - beta) sum_{i <= t} beta**(t - i) x_i (and / (1 - beta**t)), as one product."""
    T = x.shape[0]
    t = torch.arange(1, T + 1, dtype=x.dtype, device=x.device)
    power = (t[:, None] - t[None, :]).clamp(min=0)
    beta_t = torch.tensor(beta, dtype=x.dtype, device=x.device)
    weights = torch.where(t[:, None] >= t[None, :], (1 - beta) * beta_t ** power, 0.0)
    out = (weights @ x.reshape(T, -1)).reshape(x.shape)
    if bias_correction:
        out = out / (1 - beta_t ** t).reshape((T,) + (1,) * (x.ndim - 1))
    return out


@pytest.mark.exercise("ewa")
@given(dt=gs.dtypes, T=st.integers(1, 40), rest=gs.shapes(0, 3, max_side=4), data=st.data(),
       beta=st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.99]), st.floats(0.0, 0.99)),
       bias_correction=st.sampled_from([True, False, None]))
def test_ewa_matches_closed_form(impl, device, dt, T, rest, data, beta, bias_correction):
    """x of shape (T, ...) with 0 to 3 trailing axes, beta in [0, 1), and bias_correction
    True, False or left out (its default, True)."""
    x = data.draw(gs.arrays(dt, (T, *rest)), label="x")
    kwargs = {"beta": beta} if bias_correction is None else {"beta": beta, "bias_correction": bias_correction}
    check_forward(impl.ewa, ewa_closed_form, x, argnames=["x"], kwargs=kwargs, device=device, terms=T,
                  scale=float(np.abs(x).max(initial=1)))


@pytest.mark.exercise("ewa")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_ewa_default_correction(impl, device, dtype):
    """ewa(x, beta) alone corrects the bias (bias_correction defaults to True)."""
    x = np.linspace(-2, 3, 24).astype(dtype).reshape(8, 3)
    check_forward(impl.ewa, ewa_closed_form, x, argnames=["x"], kwargs={"beta": 0.8}, device=device, terms=8,
                  torch_kwargs={"beta": 0.8, "bias_correction": True}, scale=3.0)


# ---------------------------------------------------------------- schedules
@pytest.mark.parametrize("name", by_exercise(SCHEDULES))
@given(data=st.data(), base_lr=ts.log_uniform(1e-4, 1.0), epochs=st.integers(1, 300))
def test_schedule_matches_torch(impl, name, data, base_lr, epochs):
    check_schedule(impl, name, data.draw(ts.schedule_settings[name], label="settings"), base_lr, epochs)


def torch_lrs(name, settings, base_lr, epochs):
    """torch's learning rates of epochs 0 .. epochs."""
    p = torch.zeros(1, requires_grad=True)
    torch_opt = torch.optim.SGD([p], lr=base_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = getattr(torch.optim.lr_scheduler, name)(torch_opt, **settings)
        expected = [torch_opt.param_groups[0]["lr"]]
        for _ in range(epochs):
            torch_opt.step()
            sched.step()
            expected.append(torch_opt.param_groups[0]["lr"])
    return expected


def check_schedule(impl, name, settings, base_lr, epochs):
    """The learning rates of epochs 0 .. epochs against torch's scheduler."""
    expected = torch_lrs(name, settings, base_lr, epochs)
    opt = types.SimpleNamespace(lr=base_lr)
    mine = impl.get(name)(opt, **settings)
    got = [opt.lr]
    for _ in range(epochs):
        mine.step()
        got.append(opt.lr)
    call = f"{describe_call(name, ['opt (lr=' + format(base_lr, '.3g') + ')'], settings)}, then {epochs} x .step()"
    compare(np.array([float(v) for v in got]), np.array(expected), call=call,
            what="the learning rates of epochs 0, 1, ... (index = epoch)", dtype=np.float64,
            scale=base_lr, terms=epochs, hint=mistake(name, "first_epoch"))


SCHEDULE_DEFAULTS = [pytest.param("StepLR", {"step_size": 3}, marks=pytest.mark.exercise("StepLR"), id="StepLR"),
                     pytest.param("CosineAnnealingLR", {"T_max": 5}, marks=pytest.mark.exercise("CosineAnnealingLR"),
                                  id="CosineAnnealingLR")]


@pytest.mark.parametrize("name, settings", SCHEDULE_DEFAULTS)
def test_schedule_defaults(impl, name, settings):
    """The optional settings left out: StepLR's gamma 0.1, CosineAnnealingLR's eta_min 0."""
    check_schedule(impl, name, settings, 0.1, 12)


LR_AT = [pytest.param(name, settings, marks=pytest.mark.exercise(name), id=name)
         for name, settings in [("StepLR", {"step_size": 3, "gamma": 0.5}), ("ExponentialLR", {"gamma": 0.9}),
                                ("CosineAnnealingLR", {"T_max": 8, "eta_min": 1e-3})]]


@pytest.mark.parametrize("name, settings", LR_AT)
def test_lr_at_is_a_function_of_the_epoch(impl, name, settings):
    """lr_at(epoch) is the documented formula of the epoch alone: asked on a fresh schedule,
    out of order, twice for one epoch and for epochs not reached yet, it gives torch's rate
    of that epoch and leaves the optimizer's lr alone (only step() sets it)."""
    expected = torch_lrs(name, settings, 0.1, 12)
    opt = types.SimpleNamespace(lr=0.1)
    sched = impl.get(name)(opt, **settings)
    epochs = [7, 0, 3, 3, 12, 1, 7]
    got = [sched.lr_at(e) for e in epochs]
    call = f"{describe_call(name, ['opt (lr=0.1)'], settings)}, then .lr_at(e) for e in {epochs}"
    compare(np.array([float(v) for v in got]), np.array([expected[e] for e in epochs]), call=call,
            what="the learning rates", dtype=np.float64, scale=0.1, hint=mistake(name, "lr_at"))
    compare(np.float64(opt.lr), np.float64(expected[0]), call=call, what="opt.lr (no step() yet)",
            dtype=np.float64, scale=0.1, hint=mistake(name, "lr_at"))


# ---------------------------------------------------------------- clipping
@pytest.mark.exercise("clip_grad_norm")
@given(data=st.data(), dt=gs.dtypes, max_norm=ts.log_uniform(1e-2, 1e3),
       norm_type=st.sampled_from([None, 2.0, 1.0, 3.0, 1.5, math.inf]))
def test_clip_grad_norm_matches_torch(impl, device, data, dt, max_norm, norm_type):
    """Every norm type (None: left out, the default 2), gradients of every rank."""
    check_clip_grad_norm(impl, device, data.draw(ts.gradient_lists(dt), label="grads"), dt, max_norm, norm_type)


def check_clip_grad_norm(impl, device, grads, dt, max_norm, norm_type):
    """The returned norm and the gradients clipped in place, against torch."""
    mine = [g.copy() for g in grads]
    held = list(mine)  # the caller's arrays: clipped in place, whatever becomes of the list's items
    kwargs = {} if norm_type is None else {"norm_type": norm_type}
    total = impl.clip_grad_norm(mine, max_norm, **kwargs)
    params = [torch.zeros(g.shape, dtype=torch.float64, device=device, requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = to_torch(g, device)
    expected = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type or 2.0, foreach=False)
    call = describe_call("clip_grad_norm", [grads], {"max_norm": max_norm, **kwargs}, ["grads"])
    size = sum(g.size for g in grads)
    compare(total, expected, call=call, what="the returned total norm", dtype=dt, terms=size,
            hint=mistake("clip_grad_norm", "total_norm"))
    for i, (m, g, p) in enumerate(zip(held, grads, params, strict=True)):
        unchanged = np.array_equal(m, g) and not np.array_equal(p.grad.cpu().numpy(), g)
        compare(m, p.grad, call=call, what=f"grads[{i}] after the call (clipped in place)", dtype=dt,
                terms=size, hint=mistake("clip_grad_norm", "not_in_place") if unchanged else None)


FIXED_GRADS = [[[3.0, -4.0]], 12.0, [0.0, 1.0, -2.0], [[[0.5]], [[-0.25]]]]


@pytest.mark.exercise("clip_grad_norm")
@pytest.mark.parametrize("norm_type", [None, 1.0, 2.0, 3.0, math.inf], ids=lambda v: f"norm={v}")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_clip_grad_norm_on_fixed_gradients(impl, device, norm_type, dtype):
    """2-D, 0-d, 1-D and 3-D gradients, every norm type and the default (2)."""
    check_clip_grad_norm(impl, device, [np.asarray(g, dtype) for g in FIXED_GRADS], dtype, 5.0, norm_type)


@pytest.mark.exercise("clip_grad_value")
@given(data=st.data(), dt=gs.dtypes, clip_value=ts.log_uniform(1e-2, 50.0))
def test_clip_grad_value_matches_torch(impl, device, data, dt, clip_value):
    grads = data.draw(ts.gradient_lists(dt), label="grads")
    mine = [g.copy() for g in grads]
    held = list(mine)  # the caller's arrays: clipped in place, whatever becomes of the list's items
    impl.clip_grad_value(mine, clip_value)
    params = [torch.zeros(g.shape, dtype=torch.float64, device=device, requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = to_torch(g, device)
    torch.nn.utils.clip_grad_value_(params, clip_value, foreach=False)
    call = describe_call("clip_grad_value", [grads], {"clip_value": clip_value}, ["grads"])
    for i, (m, p) in enumerate(zip(held, params, strict=True)):
        compare(m, p.grad, call=call, what=f"the array grads[{i}] after the call (clipped in place)", dtype=dt,
                hint=mistake("clip_grad_value", "both_ends_in_place"))


# ---------------------------------------------------------------- speed
SPEED_SHAPES = [(2048, 4), (4, 2048), (8192,)]  # a loop over rows, over columns, over elements


def optimizer_steps(name, kwargs, steps=2):
    """fn(impl): a fresh optimizer on copies of the parameters, `steps` steps on the same
    gradients, the parameters returned (both sides start from the same state)."""

    def fn(impl):
        cls = impl.get(name)

        def steps_of(params, grads):
            mine = [p.copy() for p in params]
            opt = cls(mine, **kwargs)
            for _ in range(steps):
                opt.step(grads)
            return mine

        return steps_of

    def torch_fn(params, grads):
        theirs = [p.clone() for p in params]
        opt = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
        for _ in range(steps):
            for p, g in zip(theirs, grads, strict=True):
                p.grad = g
            opt.step()
        return theirs

    return fn, torch_fn


def optimizer_gate(name, kwargs, tag):
    fn, torch_fn = optimizer_steps(name, kwargs)

    def make(rng, dtype):
        return ([normal(rng, s, dtype) for s in SPEED_SHAPES], [normal(rng, s, dtype) for s in SPEED_SHAPES]), {}

    return Gate(name, f"{name}-{tag}-{label(*SPEED_SHAPES)}", make, fn, torch_fn,
                name=f"{name}({tag}) construction + 2 steps")


def clip_norm(impl):
    def clip_grad_norm(grads, max_norm, norm_type):
        mine = [g.copy() for g in grads]
        return impl.clip_grad_norm(mine, max_norm, norm_type=norm_type), mine

    return clip_grad_norm


def torch_clip_norm(grads, max_norm, norm_type):
    params = [torch.empty_like(g) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    return torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, foreach=False), [p.grad for p in params]


def clip_value(impl):
    def clip_grad_value(grads, clip_value):
        mine = [g.copy() for g in grads]
        impl.clip_grad_value(mine, clip_value)
        return mine

    return clip_grad_value


def torch_clip_value(grads, clip_value):
    params = [torch.empty_like(g) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(params, clip_value, foreach=False)
    return [p.grad for p in params]


def grads_gate(name, fn, torch_fn, options, tag):
    return Gate(name, f"{name}-{tag}-{label(*SPEED_SHAPES)}",
                lambda rng, dtype: (([normal(rng, s, dtype, 3.0) for s in SPEED_SHAPES], *options), {}),
                fn, torch_fn, name=f"{name} ({tag})")


# Each exercise's limit (max_ratio): between the slowest correct style and the fastest loop
# measured by tests/kit/testing/calibrate_gates.py; the figures and margins (at least 2.3x
# both ways) are in tests/kit/testing/gate_figures.txt.
LIMITS = {
    "SGD": 25,
    "Adagrad": 9,
    "RMSprop": 25,
    "Adadelta": 25,
    "Adam": 25,
    "AdamW": 20,
    "ewa": 8,
    "clip_grad_norm": 4,
    "clip_grad_value": 30,
}
SPEED_GATES = limited([
    *[optimizer_gate(name, {}, "defaults") for name in OPTIMIZERS],
    *[optimizer_gate(name, EVERY_OPTION[name][0], "every-option") for name in OPTIMIZERS],
    optimizer_gate("SGD", EVERY_OPTION["SGD"][1], "nesterov"),
    *[Gate("ewa", f"ewa-{label(shape)}", lambda rng, dtype, shape=shape: ((normal(rng, shape, dtype),),
           {"beta": 0.9}), lambda impl: impl.ewa, ewa_closed_form)
      for shape in [(8, 1024), (8, 256, 4)]],
    grads_gate("clip_grad_norm", clip_norm, torch_clip_norm, (1.0, 2.0), "2-norm"),
    grads_gate("clip_grad_norm", clip_norm, torch_clip_norm, (1.0, math.inf), "inf-norm"),
    grads_gate("clip_grad_value", clip_value, torch_clip_value, (0.5,), "0.5"),
], LIMITS)


@pytest.mark.bench
@pytest.mark.parametrize("gate, dtype", gate_params(SPEED_GATES))
def test_speed(impl, benchmark, gate, dtype):
    run_gate(benchmark, impl, gate, dtype)
