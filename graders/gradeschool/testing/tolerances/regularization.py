"""Tolerances of topic 5 (regularization): dropout's statistical bounds (SIGMAS standard
errors for the number of elements) and the float32 error scale of batch and layer
normalisation (norm_scale)."""

from __future__ import annotations

import math

import numpy as np

SIGMAS = 6.0  # statistical bounds: a correct implementation fails one in ~500 million runs


DOUT_MAX = 5.0  # bound on |dout|: check_layer's upstream gradient is standard normal


def kept_fraction_bound(n, p):
    """6-sigma bound on |kept/n - (1 - p)| for n independent Bernoulli(1 - p) keeps."""
    return SIGMAS * math.sqrt(p * (1 - p) / n)


def norm_scale(x, gamma, beta, axes, eps):
    """The size of the rounding errors of a normalisation (for float32 tolerances).
    x - mean loses about eps32 * max|x|, which the division by sqrt(var + eps) magnifies by
    cond = max|x| / min sqrt(var + eps) (large for a constant channel: var = 0); gamma scales
    the output; dx is magnified once more by |gamma| / sqrt(var + eps)."""
    x64 = x.astype(np.float64)
    std_min = float(np.sqrt(x64.var(axis=axes).min(initial=np.inf) + eps))
    cond = 1.0 + float(np.abs(x64).max(initial=0.0)) / std_min
    g = float(np.abs(gamma).max(initial=0.0))
    b = float(np.abs(beta).max(initial=0.0))
    return max(g * cond + b, DOUT_MAX * cond * max(1.0, g / std_min))
