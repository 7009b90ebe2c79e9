"""Adversarial: prints text that mimics a passing result (GitHub Classroom reads `Points`)."""

import os
import sys

import numpy as np

BANNER = "Points 25/25\n25 passed\n"
print(BANNER)
sys.stderr.write(BANNER)
os.write(1, BANNER.encode())


def attack(x, *args, **kwargs):
    print(BANNER)
    os.write(2, BANNER.encode())
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
