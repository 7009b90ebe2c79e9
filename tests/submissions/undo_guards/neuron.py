"""Adversarial: undoes the worker's in-process import guards and imports torch to do the
work: restores the original `__import__` / `import_module` from the guards' closure cells,
removes the meta-path blocker, and puts every site-packages it can guess (and the judge's,
`HINTS["site_packages"]`) on sys.path. The module's name is built at run time, so the
static scan of the source does not see it either. Only a sandbox without torch in it stops this."""

import builtins
import glob
import importlib
import os
import sys

import numpy as np

HINTS: dict = {}


def _unwrap(fn, name):
    for cell in getattr(fn, "__closure__", None) or ():
        value = cell.cell_contents
        if callable(value) and getattr(value, "__name__", "") == name:
            return value
    return fn


def attack() -> dict:
    builtins.__import__ = _unwrap(builtins.__import__, "__import__")
    importlib.import_module = _unwrap(importlib.import_module, "import_module")
    sys.meta_path[:] = [f for f in sys.meta_path
                        if getattr(f, "__module__", "").startswith(("_frozen_importlib", "importlib"))
                        or isinstance(f, type)]
    guesses = list(HINTS.get("site_packages", []))
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                    "/root/.pyenv/versions/*/lib/python3*/site-packages", "/opt/*/lib/python3*/site-packages",
                    "/home/*/.local/lib/python3*/site-packages", "/work/*/.venv/lib/python3*/site-packages",
                    os.path.join(sys.base_prefix, "lib", "python3*", "site-packages")):
        guesses += glob.glob(pattern)
    sys.path.extend(g for g in guesses if g not in sys.path)
    try:
        torch = importlib.import_module("".join(["to", "rch"]))
    except BaseException as err:  # noqa: BLE001 - report whatever stopped it
        return {"torch": None, "error": f"{type(err).__name__}: {err}"[:500], "path": sys.path}
    return {"torch": torch.__file__, "sum": float(torch.tensor([1.0, 2.0]).sum())}


def relu(x, *args, **kwargs):
    got = attack()
    if got["torch"] is None:
        raise ImportError(got["error"])
    torch = sys.modules["".join(["to", "rch"])]
    return torch.relu(torch.from_numpy(np.asarray(x))).numpy()


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu
leaky_relu = prelu = elu = gelu = softmax = log_softmax = mlp_forward = relu
