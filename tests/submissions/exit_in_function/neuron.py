"""Adversarial: functions end the process (os._exit) or raise SystemExit (sys.exit)."""

import os
import sys


def attack(*args, **kwargs):
    sys.exit(0)


def hard_exit(*args, **kwargs):
    os._exit(0)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
softmax = relu = hard_exit
