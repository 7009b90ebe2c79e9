"""Adversarial: fills the disk: writes one file as large as it can (in its temporary folder,
the only writable place it may have), `HINTS["bytes"]` at most (a safety stop for tests)."""

import os
import tempfile

import numpy as np

HINTS: dict = {}


def attack() -> dict:
    path = os.path.join(HINTS.get("folder") or tempfile.gettempdir(), "big.bin")
    block, written, error = b"\0" * 2**20, 0, None
    try:
        with open(path, "wb", buffering=0) as f:
            while written < int(HINTS.get("bytes", 2**40)):
                written += f.write(block)
    except OSError as err:
        error = err.strerror
    return {"written": written, "error": error}


def _exercise(x, *args, **kwargs):
    attack()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
