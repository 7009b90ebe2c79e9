"""Adversarial (issue 11, finding 7): an exception message of 50 MB.

relu undoes the worker's clipping of learner text (it replaces `clip` wherever the
worker's modules imported it) and raises a ValueError whose message is 50 MB. The reply
is over the judge's cap: the exercise fails, and report.json and results.json stay small."""

import sys


def _no_clipping() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("gradeschool_worker") and hasattr(module, "clip"):
            module.clip = lambda text, limit: str(text)


def relu(x):
    _no_clipping()
    raise ValueError("x" * (50 * 2**20))


step = relu
