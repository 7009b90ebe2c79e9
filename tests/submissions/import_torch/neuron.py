"""Adversarial: lets torch do the work."""

import torch


def attack(x, *args, **kwargs):
    return torch.softmax(torch.from_numpy(x), -1).numpy()


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
