"""Adversarial: starts a daemon that outlives grading. `os.fork` is patched by the worker's
guards, so it takes the raw `posix.fork` from sys.modules, double-forks, calls `setsid`
and keeps the grandchild running (it could watch later gradings)."""

import sys
import time

import numpy as np

HINTS: dict = {}  # what the tests tell it (nothing needed here)


def attack() -> dict:
    posix = sys.modules.get("posix") or __import__("posix")
    pid = posix.fork()
    if pid == 0:  # child: detach, fork again, and live on
        try:
            posix.setsid()
            if posix.fork() != 0:
                posix._exit(0)
            end = time.monotonic() + float(HINTS.get("live", 30))
            while time.monotonic() < end:
                time.sleep(0.05)
        finally:
            posix._exit(0)
    posix.waitpid(pid, 0)
    return {"forked": True}


def _exercise(x, *args, **kwargs):
    attack()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
