"""Adversarial: imports torch through importlib with a computed name (no literal to scan)."""

import importlib


def attack(x, *args, **kwargs):
    torch = importlib.import_module("to" + "rch")
    return torch.relu(torch.from_numpy(x)).numpy()


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
