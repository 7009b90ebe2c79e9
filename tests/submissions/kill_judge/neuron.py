"""Adversarial: kills the process that started it (the judge) and its process group."""

import os
import signal

import numpy as np


def attack(x, *args, **kwargs):
    for kill in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.killpg(0, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
