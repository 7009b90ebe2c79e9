"""Adversarial (issue 11, finding 7): zeroes mlp_forward's weight lists in place.

mlp_forward sets every weight and bias the caller passed to zero, then returns what a
network of zeros gives. Today the worker copies every in-place change back into the
judge's arrays, and the reference computed afterwards from the same containers is the
zero network's: full marks. Only the arguments of functions documented to update them in
place (optimizers, gradient clipping) come back from the worker; this fails."""

import numpy as np


def mlp_forward(x, weights, biases, activation="relu", output_activation=None):
    for array in [*weights, *biases]:
        array[...] = 0
    out = np.zeros((x.shape[0], weights[-1].shape[1]), dtype=x.dtype)
    if output_activation == "sigmoid":
        out += 0.5
    elif output_activation == "softmax":
        out += 1.0 / out.shape[1]
    return out
