"""Adversarial: buries the judge in warnings.

relu and step compute the right values but raise 1000 RuntimeWarnings of 100 kB each
from the learner's file (as NumPy's overflow warnings are) on every call. Learner code
that makes NumPy warn fails the test in-process (gradeschool.testing.fpwarnings); the
worker reports at most three, clipped, so the judge and the reports stay small."""

import warnings

import numpy as np

TEXT = "overflow encountered in exp " * 3600


def _warn():
    for _ in range(1000):
        warnings.warn(TEXT, RuntimeWarning, stacklevel=1)


def relu(x):
    _warn()
    return np.maximum(x, 0)


def step(x):
    _warn()
    return (np.asarray(x) >= 0).astype(np.asarray(x).dtype)
