"""Pictures of attention: heatmaps of a transformer's attention weights.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display), saved as
PNG files; each function returns the path it wrote. Nothing here computes attention:
the weights come from the learner's model (its `attention_maps`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gradeschool.pictures.training import _figure


def plot_attention_maps(path: str | Path, weights: np.ndarray, tokens: Sequence | None = None,
                        outputs: Sequence | None = None, titles: Sequence[str] | None = None,
                        suptitle: str = "attention weights") -> Path:
    """One heatmap per map of `weights` (P, L, S) (or one (L, S) map): row i is query
    (output position) i, column j key (input position) j, the colour the weight (0 white,
    1 dark). tokens[p] (S labels, or None for positions) labels panel p's columns with its
    input tokens, outputs[p] (L labels or None) its rows with the predicted tokens;
    `titles` names the panels."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3 or w.shape[0] == 0 or 0 in w.shape[1:]:
        raise ValueError(f"weights must have shape (P, L, S) or (L, S) with sides >= 1, got {np.shape(weights)}")
    count, L, S = w.shape
    cols = min(count, 4)
    rows = -(-count // cols)
    fig = _figure(2.6 * cols + 0.8, 2.6 * rows + 0.6)
    shown = None
    for p in range(count):
        ax = fig.add_subplot(rows, cols, p + 1)
        shown = ax.imshow(w[p], cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks(range(S))
        ax.set_yticks(range(L))
        cols_of = tokens[p] if tokens is not None else None
        rows_of = outputs[p] if outputs is not None else None
        ax.set_xticklabels([str(t) for t in (range(S) if cols_of is None else cols_of)], fontsize=7)
        ax.set_yticklabels([str(t) for t in (range(L) if rows_of is None else rows_of)], fontsize=7)
        ax.set_xlabel("key: input " + ("position" if cols_of is None else "token"), fontsize=8)
        ax.set_ylabel("query: output " + ("position" if rows_of is None else "token"), fontsize=8)
        if titles is not None:
            ax.set_title(titles[p], fontsize=9)
    fig.colorbar(shown, ax=fig.axes, fraction=0.03, pad=0.02)
    fig.suptitle(suptitle)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")  # no tight_layout: it does not know the shared colour bar
    return path


def plot_model_attention(path: str | Path, model: Any, x: np.ndarray, examples: int = 3) -> Path:
    """The attention of a trained sequence model (the capstone's TinyTransformer, or
    anything with `attention_maps(x)` -> (blocks, N, L, S) and `predict(x)` -> (N, L)) on
    the sequences x (N, S): for each block, the mean map over all N sequences, then the
    maps of the first `examples` sequences, labelled with their input and predicted
    tokens. For the reversal task the mean map is the anti-diagonal."""
    x = np.asarray(x)
    maps = np.asarray(model.attention_maps(x), dtype=np.float64)
    if maps.ndim != 4 or maps.shape[1] != len(x):
        raise ValueError(f"attention_maps(x: {x.shape}) returned shape {maps.shape}, expected (blocks, {len(x)}, L, S)")
    predicted = np.asarray(model.predict(x))
    examples = min(examples, len(x))
    panels, tokens, outputs, titles = [], [], [], []
    for b in range(maps.shape[0]):
        panels.append(maps[b].mean(axis=0))
        tokens.append(None)
        outputs.append(None)
        titles.append(f"block {b}: mean of {len(x)} sequences")
        for n in range(examples):
            panels.append(maps[b, n])
            tokens.append(x[n])
            outputs.append(predicted[n])
            titles.append(f"block {b}: sequence {n}")
    return plot_attention_maps(path, np.stack(panels), tokens, outputs, titles,
                               suptitle="attention weights (averaged over heads)")


def anti_diagonal(maps):
    """(mean weight on the anti-diagonal, fraction of rows whose largest weight is there)
    of attention maps (..., T, T)."""
    T = maps.shape[-1]
    rows = np.arange(T)
    return float(maps[..., rows, T - 1 - rows].mean()), float((maps.argmax(axis=-1) == T - 1 - rows).mean())
