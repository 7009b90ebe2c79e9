"""gradeschool: deep learning from scratch in NumPy, checked against PyTorch.

`gradeschool.check("softmax", softmax)` checks a function defined in a notebook cell.
Importing the package stays cheap: the checking machinery loads on first use."""

from __future__ import annotations

__all__ = ["check"]


def __getattr__(name: str):
    if name == "check":
        from gradeschool.learner.check import check

        return check
    raise AttributeError(f"module 'gradeschool' has no attribute {name!r}")
