"""Hypothesis strategies of the optimizers topic (optimizers and schedules)."""

import numpy as np
import torch
from hypothesis import strategies as st

from gradeschool.testing.strategies import arrays, dtypes, seeds, shapes
from gradeschool.testing.trajectories import Problem


def log_uniform(lo: float, hi: float):
    """Floats spread evenly over the orders of magnitude between lo and hi (lo, hi > 0)."""
    import math

    return st.floats(math.log(lo), math.log(hi)).map(lambda e: min(max(math.exp(e), lo), hi))


def _maybe(value, strategy):
    """`value` (a default, often 0) half of the time, else a draw of `strategy`."""
    return st.one_of(st.just(value), strategy)


@st.composite
def _sgd_hyperparameters(draw):
    momentum = draw(_maybe(0.0, st.floats(0.1, 0.95)))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(_maybe(0.0, st.floats(0.05, 0.9)))
    return dict(lr=draw(log_uniform(1e-4, 1e-3)), momentum=momentum, dampening=dampening,
                nesterov=nesterov, weight_decay=draw(_maybe(0.0, st.floats(0.01, 0.5))))


def _adam_hyperparameters(weight_decay):
    return st.fixed_dictionaries(dict(
        lr=log_uniform(1e-4, 0.1),
        betas=st.tuples(_maybe(0.9, st.floats(0.0, 0.95)), _maybe(0.999, st.floats(0.9, 0.9999))),
        eps=_maybe(1e-8, log_uniform(1e-8, 1e-3)),
        weight_decay=weight_decay,
        amsgrad=st.booleans(),
    ))


# torch.optim's keyword arguments, drawn in ranges where training on the Rosenbrock valley
# (curvature up to ~2000) stays finite for the 30 steps of a test.
optimizer_hyperparameters = {
    "SGD": _sgd_hyperparameters(),
    "Adagrad": st.fixed_dictionaries(dict(
        lr=log_uniform(1e-3, 0.1), lr_decay=_maybe(0.0, st.floats(0.01, 0.5)),
        weight_decay=_maybe(0.0, st.floats(0.01, 0.5)),
        initial_accumulator_value=_maybe(0.0, st.floats(0.01, 1.0)),
        eps=_maybe(1e-10, log_uniform(1e-10, 1e-3)))),
    "RMSprop": st.fixed_dictionaries(dict(
        lr=log_uniform(1e-4, 1e-2), alpha=_maybe(0.99, st.floats(0.8, 0.999)),
        eps=_maybe(1e-8, log_uniform(1e-8, 1e-3)), weight_decay=_maybe(0.0, st.floats(0.01, 0.5)),
        momentum=_maybe(0.0, st.floats(0.1, 0.9)), centered=st.booleans())),
    "Adadelta": st.fixed_dictionaries(dict(
        lr=log_uniform(0.1, 1.0), rho=_maybe(0.9, st.floats(0.5, 0.99)),
        eps=_maybe(1e-6, log_uniform(1e-6, 1e-2)), weight_decay=_maybe(0.0, st.floats(0.01, 0.5)))),
    "Adam": _adam_hyperparameters(_maybe(0.0, st.floats(0.01, 0.5))),
    "AdamW": _adam_hyperparameters(_maybe(1e-2, st.floats(0.02, 0.5))),
}

gradient_sources = st.sampled_from(["random", "rosenbrock", "mlp"])
param_shape_lists = st.lists(shapes(0, 3, max_side=5), min_size=1, max_size=3)  # 0-d parameters included


@st.composite
def gradient_lists(draw, dtype):
    """1 to 4 gradient arrays of different shapes and sizes, 0-d included (one list of a
    model's grads), each with its own scale so that their norms differ."""
    grads = []
    for shape in draw(st.lists(shapes(0, 3, max_side=5), min_size=1, max_size=4)):
        scale = draw(st.sampled_from([1e-2, 1.0, 1.0, 30.0]))
        grads.append(np.asarray(draw(arrays(dtype, shape, -5.0, 5.0, extremes=(0.0, 5.0, -5.0))) * scale, dtype=dtype))
    return grads


# A schedule's settings; an optional one is now and then left out (its default applies).
schedule_settings = {
    "StepLR": st.fixed_dictionaries(dict(step_size=st.integers(1, 40)), optional=dict(gamma=st.floats(0.05, 0.99))),
    "ExponentialLR": st.fixed_dictionaries(dict(gamma=st.floats(0.9, 0.999))),
    "CosineAnnealingLR": st.fixed_dictionaries(dict(T_max=st.integers(1, 120)),
                                               optional=dict(eta_min=_maybe(0.0, log_uniform(1e-6, 1e-3)))),
}


@st.composite
def problems(draw, device, float32_smooth=True):
    """A Problem: dtype, gradient source, starting parameters (float32 with a smooth loss
    only if `float32_smooth`)."""
    dtype = draw(dtypes)
    kind = draw(gradient_sources if dtype == np.float64 or float32_smooth else st.just("random"))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    if kind == "random":
        params = [draw(arrays(dtype, s)) for s in draw(param_shape_lists)]
        return Problem(kind, dtype, params, seed, device, scale=draw(st.sampled_from([0.1, 1.0, 30.0])))
    if kind == "rosenbrock":
        rows = draw(st.integers(1, 4))
        xy = np.stack([rng.uniform(-1.5, 1.5, rows), rng.uniform(-0.5, 2.0, rows)], axis=1)
        return Problem(kind, dtype, [xy.astype(dtype)], seed, device)
    n, d, h = draw(st.integers(1, 8)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    params = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in [(d, h), (h,), (h, 1), (1,)]]
    data = (torch.tensor(rng.standard_normal((n, d)), device=device),
            torch.tensor(rng.standard_normal((n, 1)), device=device))
    return Problem(kind, dtype, params, seed, device, data=data)
