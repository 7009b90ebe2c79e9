"""Pictures of training: the loss curve and a classifier's decision boundary.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
backend switch), saved as PNG files; each function returns the path it wrote."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def _figure(width: float = 5.0, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def plot_loss_curve(losses: Sequence[float], path: str | Path, title: str = "training loss",
                    log_scale: bool | None = None) -> Path:
    """Line plot of one loss per epoch (or per step). A log scale is used when the losses
    are all positive and span more than two decades, unless `log_scale` says otherwise."""
    values = np.asarray(list(losses), dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"losses must be a non-empty sequence of numbers, got shape {values.shape}")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(np.arange(1, values.size + 1), values, color="tab:blue", linewidth=1.5)
    finite = values[np.isfinite(values)]
    if log_scale is None:
        log_scale = bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 100)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return _save(fig, path)


def plot_decision_boundary(model_predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                           path: str | Path, resolution: int = 200, title: str = "decision boundary") -> Path:
    """The classes that `model_predict` (a function from an (M, 2) array to M class
    indices) assigns over the plane, with the points X (N, 2) coloured by their labels y."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) to draw a decision boundary, got {X.shape}")
    pad = 0.1 * max(float(np.ptp(X[:, 0])), float(np.ptp(X[:, 1])), 1e-3)
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes = np.asarray(model_predict(grid)).reshape(gx.shape)
    fig = _figure(5.0, 5.0)
    ax = fig.add_subplot()
    levels = np.arange(min(classes.min(), y.min()) - 0.5, max(classes.max(), y.max()) + 1.5)
    ax.contourf(gx, gy, classes, levels=levels, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", vmin=levels[0], vmax=levels[-1], s=12, edgecolors="k",
               linewidths=0.3)
    ax.set_title(title)
    ax.set_aspect("equal", adjustable="box")
    return _save(fig, path)
