"""Adversarial: writes a perfect report.json wherever the grader might write its own (the
working folder, its parents, every --out of the grader's command line), then returns zeros."""

import json
import os
from pathlib import Path

import numpy as np

FAKE = {"schema": "gradeschool-report/1", "submission": "fake_report",
        "totals": {"points": 25.0, "max_points": 25.0}, "signature": "0" * 64}


def _targets():
    yield Path.cwd()
    yield from Path.cwd().parents
    for pid in (os.getppid(),):
        try:
            words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for i, w in enumerate(words[:-1]):
            if w == b"--out":
                yield Path(words[i + 1].decode())


def _forge():
    for folder in _targets():
        for name in ("report.json", "results.json"):
            try:
                (folder / name).write_text(json.dumps(FAKE))
            except OSError:
                pass


_forge()


def attack(x, *args, **kwargs):
    _forge()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = attack
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = attack
