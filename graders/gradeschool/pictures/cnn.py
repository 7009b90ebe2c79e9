"""Pictures of convolution: the Sobel edge maps of a digit, and a CNN's learned filters.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display), saved as
PNG files; each function returns the path it wrote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from gradeschool.datasets import load_digits
from gradeschool.pictures.training import _figure, _save


def plot_sobel_edges(path: str | Path, sobel_edges: Callable, digit: int = 3,
                     image: np.ndarray | None = None) -> Path:
    """Three panels: a grey digit, its vertical-edge map and its horizontal-edge map.

    `sobel_edges` is a function like cnn.sobel_edges: the learner's (the kit has no edge
    detector of its own: it would be the exercise's answer). The image is the first
    training digit of class `digit` unless `image` (H, W) is given. Edge maps use a diverging colour map centred on 0:
    red where brightness falls from left to right (top to bottom), blue where it rises."""
    if image is None:
        X, y, _, _ = load_digits(images=True)
        image = X[int(np.flatnonzero(y == digit)[0]), 0]
    x = np.asarray(image, dtype=np.float64)[None, None]
    edges = sobel_edges(x, padding=1)
    edges = np.asarray(edges, dtype=np.float64)
    if edges.shape != (1, 2) + x.shape[2:]:
        raise ValueError(f"sobel_edges(x: {x.shape}, padding=1) returned shape {edges.shape}, "
                         f"expected {(1, 2) + x.shape[2:]}")
    fig = _figure(9.0, 3.4)
    limit = float(np.abs(edges).max()) or 1.0
    panels = [(x[0, 0], "image", "gray_r", 0.0, float(x.max()) or 1.0),
              (edges[0, 0], "vertical edges", "RdBu_r", -limit, limit),
              (edges[0, 1], "horizontal edges", "RdBu_r", -limit, limit)]
    for i, (values, title, cmap, lo, hi) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, 3, i)
        shown = ax.imshow(values, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    return _save(fig, path)


def plot_filters(weights: np.ndarray, path: str | Path, title: str = "first-layer filters") -> Path:
    """A grid of a convolution's filters, weights (F, C, HH, WW): one small image per
    filter (channel 0), each on a colour scale centred on 0 (red positive, blue negative)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 4 or w.shape[0] == 0:
        raise ValueError(f"weights must have shape (F, C, HH, WW) with F >= 1, got {w.shape}")
    count = w.shape[0]
    cols = min(count, 8)
    rows = -(-count // cols)
    fig = _figure(1.3 * cols + 0.4, 1.4 * rows + 0.6)
    for f in range(count):
        ax = fig.add_subplot(rows, cols, f + 1)
        limit = float(np.abs(w[f, 0]).max()) or 1.0
        ax.imshow(w[f, 0], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"filter {f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    return _save(fig, path)
