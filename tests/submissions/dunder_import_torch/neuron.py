"""Adversarial: imports torch at import time through __import__ with a computed name."""

torch = __import__("".join(["to", "rch"]))


def attack(x, *args, **kwargs):
    return torch.relu(torch.from_numpy(x)).numpy()


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
