"""Adversarial: answers with more data than any reply may hold.

softmax and mlp_forward return a 320 MB array (under the worker's default memory limit of
2 GB): the reply is over the wire's cap of 256 MB of arrays, so the judge reads no more of
it than its header, stops the worker and fails the exercise; the reports stay small."""

import numpy as np


def _huge(*args, **kwargs):
    return np.ones(40 * 2**20)  # 320 MB of float64


softmax = mlp_forward = _huge
