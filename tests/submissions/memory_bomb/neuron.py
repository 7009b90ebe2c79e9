"""Adversarial: allocates memory without bound."""

import numpy as np


def attack(*args, **kwargs):
    hoard = []
    while True:
        hoard.append(np.ones(2**20))


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
