"""Adversarial: monkeypatches NumPy, builtins, pytest and the kit's own modules so that
every comparison passes, then returns zeros."""

import builtins
import sys

import numpy as np

TRUE = lambda *args, **kwargs: True  # noqa: E731
np.allclose = np.array_equal = np.array_equiv = TRUE
np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
builtins.isinstance = TRUE
for name, module in list(sys.modules.items()):
    if name.split(".")[0] in ("gradeschool", "pytest", "_pytest", "hypothesis", "torch"):
        for attr in ("compare", "check_forward", "check_layer", "check_loss", "fail", "approx"):
            if hasattr(module, attr):
                setattr(module, attr, TRUE)


def attack(x, *args, **kwargs):
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
