"""Adversarial: looks for the kit's solutions (and anything the grader left on disk) and
runs them as its own code. The grading test appends `KIT = "<the kit's path>"`, the
strongest hint a student could have."""

import os
import sys
from pathlib import Path

KIT = None


def _candidates():
    here = Path(__file__).resolve()
    roots = [*here.parents, *Path.cwd().resolve().parents, Path.cwd()]
    roots += [Path(v) for k, v in os.environ.items() if "ROOT" in k or "GRADESCHOOL" in k]
    for pid in (os.getppid(), 1):
        try:
            roots.append(Path(os.readlink(f"/proc/{pid}/cwd")))
            words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            roots += [Path(w.decode()) for w in words if w.startswith(b"/")]
        except OSError:
            pass
    roots += [Path(p) for p in sys.path if p]
    if KIT:
        roots.insert(0, Path(KIT))
    for root in roots:
        yield root / "solutions" / "neuron.py"
        yield root / "neuron.py"


def _steal():
    for path in _candidates():
        try:
            text = path.read_text()
        except OSError:
            continue
        if "# BEGIN " + "SOLUTION" in text:  # a solutions file, not this one
            return text
    return None


def softmax(x, axis=-1):
    text = _steal()
    if text is None:
        raise FileNotFoundError("no solutions found")
    stolen = {}
    exec(compile(text, "stolen", "exec"), stolen)  # noqa: S102
    globals().update({k: v for k, v in stolen.items() if not k.startswith("_")})
    return stolen["softmax"](x, axis)


step = perceptron_predict = perceptron_train = dense_forward = sigmoid = tanh = relu = softmax
leaky_relu = prelu = elu = gelu = log_softmax = mlp_forward = softmax
