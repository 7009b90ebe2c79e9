"""Adversarial: every function loops forever."""


def attack(*args, **kwargs):
    while True:
        pass


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
