"""Teaching picture: the paths of SGD, momentum, RMSprop and Adam on a 2-D loss surface.

    python -m gradeschool.pictures.optimizers [out.png] [exercises|solutions|FOLDER]

The surface is an elongated, tilted bowl with a gentle slope: plain SGD zig-zags across
the steep direction, momentum overshoots and then rolls along the valley, RMSprop and Adam
rescale each coordinate and head more directly to the minimum. The optimizers come from
an implementation (default: the learner's exercises/; `gradeschool pictures optimizers`)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# f(x, y) = 0.5 * [x y] A [x y]^T: eigenvalues 20 and 1 (a narrow valley), tilted.
_ANGLE = np.pi / 2 - 0.35  # the steep axis leans 20 degrees off the vertical
_ROT = np.array([[np.cos(_ANGLE), -np.sin(_ANGLE)], [np.sin(_ANGLE), np.cos(_ANGLE)]])
A = _ROT @ np.diag([20.0, 1.0]) @ _ROT.T
START = _ROT @ np.array([0.45, -3.0])  # far along the valley, a little up its wall

RUNS = [  # (label, optimizer name, keyword arguments, colour)
    ("SGD", "SGD", {"lr": 0.095}, "tab:blue"),
    ("SGD + momentum 0.9", "SGD", {"lr": 0.02, "momentum": 0.9}, "tab:orange"),
    ("RMSprop", "RMSprop", {"lr": 0.05}, "tab:green"),
    ("Adam", "Adam", {"lr": 0.2}, "tab:red"),
]


def loss(xy: np.ndarray) -> np.ndarray:
    """f at points xy of shape (..., 2)."""
    return 0.5 * np.einsum("...i,ij,...j->...", xy, A, xy)


def gradient(xy: np.ndarray) -> np.ndarray:
    return A @ xy


def trajectory(optimizer_class, kwargs: dict, steps: int = 60) -> np.ndarray:
    """The points visited by `optimizer_class([p], **kwargs)` from START, shape (steps + 1, 2)."""
    p = START.copy()
    opt = optimizer_class([p], **kwargs)
    points = [p.copy()]
    for _ in range(steps):
        opt.step([gradient(p)])
        points.append(p.copy())
    return np.array(points)


def _module(impl):
    if impl is None or isinstance(impl, str | Path):
        from gradeschool.core.local import LocalImplementation
        from gradeschool.core.paths import exercises_dir, solutions_dir

        root = {None: exercises_dir(), "solutions": solutions_dir(), "exercises": exercises_dir()}.get(impl, impl)
        return LocalImplementation(root).module("optimizers")
    return impl


def plot_optimizer_paths(path, impl=None, steps: int = 60) -> Path:
    """Draw the loss contours and each optimizer's path; save a PNG at `path`, return it.

    `impl`: a module (or Implementation) with SGD, RMSprop and Adam, a folder, or
    "exercises"/"solutions" (default: the learner's exercises/)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module = _module(impl)
    xs, ys = np.linspace(-3.2, 3.2, 241), np.linspace(-2.6, 2.6, 201)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    fig, ax = plt.subplots(figsize=(8, 6.5), dpi=80)
    ax.contour(xs, ys, loss(grid), levels=np.geomspace(0.01, 40, 14), cmap="Greys_r", linewidths=0.7)
    for label, name, kwargs, colour in RUNS:
        pts = trajectory(getattr(module, name), kwargs, steps)
        settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        ax.plot(pts[:, 0], pts[:, 1], "o-", ms=2.5, lw=1.2, color=colour, label=f"{label} ({settings})")
    ax.plot(*START, "ks", ms=6, label="start")
    ax.plot(0, 0, "k*", ms=12, label="minimum")
    ax.set(xlabel="$w_1$", ylabel="$w_2$", aspect="equal",
           title=f"{steps} steps on $f(w) = \\frac{{1}}{{2}} w^T A w$ (curvatures 20 and 1)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    out = plot_optimizer_paths(sys.argv[1] if len(sys.argv) > 1 else "optimizer_paths.png",
                               sys.argv[2] if len(sys.argv) > 2 else None)
    print(out)
