"""Adversarial: writes code where later, unsandboxed processes will run it: a `.pth` file in
the judge's virtual environment and in the interpreter's site-packages and standard library
(a `.pth` runs at every Python start-up), `/etc`, `/root`. The tests give it the judge's
venv path (`HINTS["venv"]`), the strongest hint a student could have."""

import os
import sys

import numpy as np

HINTS: dict = {}
PAYLOAD = "import os; os.environ.setdefault('PWNED', '1')\n"


def targets() -> list[str]:
    out = []
    for base in {HINTS.get("venv", ""), sys.prefix, sys.base_prefix, sys.exec_prefix}:
        if base:
            out += [os.path.join(base, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", sub, "pwned.pth")
                    for sub in ("site-packages", "")]
    out += [os.path.join(os.path.dirname(os.__file__), "pwned.pth"), "/etc/pwned", "/root/pwned",
            "/usr/lib/pwned", "/sandbox/pwned", "/pwned", os.path.join(os.path.dirname(np.__file__), "pwned.py")]
    return out + list(HINTS.get("extra_targets", []))


def attack() -> dict:
    written = []
    for path in targets():
        try:
            with open(path, "w") as f:
                f.write(PAYLOAD)
            written.append(path)
        except OSError:
            pass
    return {"written": written}


def _exercise(x, *args, **kwargs):
    attack()
    return np.zeros_like(x)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = _exercise
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = _exercise
