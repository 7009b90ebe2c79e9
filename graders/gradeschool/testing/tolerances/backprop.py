"""Tolerances of topic 3 (backprop): softmax_backward's error scale, and the statistical
bounds of the initialisers' tests (SIGMAS standard errors of each statistic for the
number of weights drawn, never hand-tuned)."""

from __future__ import annotations

import math

import numpy as np

from gradeschool.testing.hints import mistake
from gradeschool.testing.oracle import LearnerFailure


def _fail(call, problem, hint=None):
    raise LearnerFailure(f"{call}\n  {problem}" + (f"\n  hint: {hint}" if hint else ""))


def softmax_backward_tolerance(dout, x):
    """The oracle's rule: s = softmax(x) is known to a relative eps * max|x|, and
    dx = s * (dout - sum(dout * s)) carries it as an absolute error of at most
    3 eps * max|x| * max|dout|."""
    return dict(scale=3 * float(np.abs(dout).max(initial=1)) * float(np.abs(x).max(initial=1)))


SIGMAS = 6.0  # a bound SIGMAS standard errors wide fails a right initialiser with p < 1e-8


def check_statistics(call, w, is_normal, p, exercise, hint=None):
    """Mean, variance and range of the weights against the distribution: a normal of std p,
    or a uniform on (-p, p). Each bound is SIGMAS standard errors of the statistic for n
    samples (never hand-tuned), which still separates a right initialiser from a wrong
    scale (fan_out for fan_in, the uniform's limit as the normal's std) or the wrong
    distribution."""
    w = w.astype(np.float64).ravel()
    n = w.size
    var = p**2 if is_normal else p**2 / 3
    kurtosis = 3.0 if is_normal else 1.8  # E[w^4] / var^2 of the normal / the uniform
    formula = (f"std = {p:.4g}" if is_normal else f"limit = {p:.4g}") + f", variance {var:.4g}"
    mean_bound = SIGMAS * math.sqrt(var / n)
    if abs(w.mean()) > mean_bound:
        _fail(call, f"mean {w.mean():.4g}, expected 0 within {mean_bound:.2g} ({formula})", hint)
    var_bound = SIGMAS * math.sqrt((kurtosis - 1) / n)  # relative standard error of the sample variance
    if abs(w.var() / var - 1) > var_bound:
        _fail(call, f"variance {w.var():.4g}, expected {var:.4g} within {100 * var_bound:.2g}% ({formula})",
              hint or mistake(exercise, "variance"))
    if is_normal:
        # a normal puts P(|z| > sqrt 3) = 8.33% of its weights beyond the matching uniform's limit
        tail = float(np.mean(np.abs(w) > math.sqrt(3) * p))
        q = math.erfc(math.sqrt(1.5))
        if abs(tail - q) > SIGMAS * math.sqrt(q * (1 - q) / n):
            _fail(call, f"{100 * tail:.3g}% of the weights lie beyond sqrt(3) std, a normal has {100 * q:.3g}%",
                  hint or mistake(exercise, "distribution"))
    elif np.abs(w).max() > p or np.abs(w).max() < p * (1 - 20 / n):
        # all within the limit, and the largest of n uniform draws is within 20 / n of it (p < e^-20)
        _fail(call, f"weights reach {np.abs(w).max():.4g}, expected a uniform on (-{p:.4g}, {p:.4g})",
              hint or mistake(exercise, "distribution"))
