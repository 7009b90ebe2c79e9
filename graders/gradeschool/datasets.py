"""Small datasets for the capstones, as NumPy arrays with a fixed train/test split.

Nothing here downloads: the toy problems (XOR, two spirals, moons, sine sequences) are
generated from a seed, and the real ones (the 8x8 handwritten digits, a short text
corpus) are files bundled in datasets/ (see datasets/README.md for sources and licences),
read by path. Classification loaders return (X_train, y_train, X_test, y_test) with X
float64 and y int64."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradeschool.core.paths import datasets_dir

TRAIN_FRACTION = 0.8


def dataset_path(name: str) -> Path:
    """The bundled file `name` in datasets/; a clear error if it is missing."""
    path = datasets_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the kit's datasets/ folder ships with it")
    return path


def _split(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """A seeded permutation; the first TRAIN_FRACTION of it is the training set."""
    order = np.random.default_rng(seed).permutation(len(X))
    cut = int(round(TRAIN_FRACTION * len(X)))
    train, test = order[:cut], order[cut:]
    return X[train], y[train], X[test], y[test]


def load_xor() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four points of XOR: X (4, 2) in {0, 1}, y = x0 xor x1. Train and test are the
    same four points (there is nothing else to test on)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y, X.copy(), y.copy()


def load_spirals(n_per_class: int = 150, noise: float = 0.1, seed: int = 0, turns: float = 1.5):
    """Two interleaved spirals (classes 0 and 1) in the plane, about [-1, 1]^2.

    Class c's points lie on r = t, angle = 2 pi turns t + pi c for t in (0, 1], plus
    Gaussian noise of standard deviation noise * r (so the centre stays separable). Of the
    2 * n_per_class points, a seeded 80% is the training set."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in (0, 1):
        t = np.sqrt(rng.uniform(0.02, 1.0, n_per_class))
        angle = 2 * np.pi * turns * t + np.pi * c
        points = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        X.append(points + rng.normal(0.0, 1.0, points.shape) * noise * t[:, None])
        y.append(np.full(n_per_class, c, dtype=np.int64))
    return _split(np.concatenate(X), np.concatenate(y), seed + 1)


def load_moons(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (classes 0 and 1), n points in all, with Gaussian
    noise of standard deviation `noise`; a seeded 80% is the training set."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    a0, a1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])
    return _split(X, y, seed + 1)


def load_digits(images: bool = False):
    """The 8x8 handwritten digits (UCI ML hand-written digits; 1797 samples, 10 classes).

    Pixels are scaled from 0..16 to [0, 1]. X has shape (N, 64), or (N, 1, 8, 8) with
    images=True (PyTorch's (N, C, H, W) layout); y holds the digits 0..9 as int64. The
    split is fixed in the file: per class, a seeded 80% is training (1438 train, 359
    test)."""
    with np.load(dataset_path("digits.npz")) as data:
        pixels = data["images"].astype(np.float64) / 16.0
        labels = data["labels"].astype(np.int64)
        train, test = data["train_index"].astype(np.int64), data["test_index"].astype(np.int64)
    X = pixels[:, None, :, :] if images else pixels.reshape(len(pixels), 64)
    return X[train], labels[train], X[test], labels[test]


def load_sine_sequences(n_sequences: int = 512, length: int = 20, noise: float = 0.0, seed: int = 0):
    """Forecast the next value of a sine wave from the previous `length` values.

    Each sequence is sin(omega * t + phase) for t = 0 .. length, with omega in [0.2, 0.6]
    and phase in [0, 2 pi) drawn per sequence, plus optional Gaussian noise on the inputs.
    X has shape (N, length, 1) (batch-first, as torch.nn.LSTM(batch_first=True)); y is the
    clean value at t = length, shape (N, 1). A seeded 80% is training."""
    rng = np.random.default_rng(seed)
    omega = rng.uniform(0.2, 0.6, (n_sequences, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n_sequences, 1))
    t = np.arange(length + 1)[None, :]
    wave = np.sin(omega * t + phase)
    X = wave[:, :length, None] + rng.normal(0.0, 1.0, (n_sequences, length, 1)) * noise
    y = wave[:, length:]
    return _split(X, y, seed + 1)


def load_text() -> str:
    """A short public-domain English text (nursery rhymes and two original passages, a
    few KB; see datasets/README.md), for character-level sequence models."""
    return dataset_path("text.txt").read_text(encoding="utf-8")


def load_reversal(n_train: int = 4096, n_test: int = 1000, length: int = 8, vocab_size: int = 10, seed: int = 0):
    """(x_train, y_train, x_test, y_test): int64 arrays (n, length) of tokens in
    [0, vocab_size); y is x reversed along the sequence, so output position t must copy
    input position length - 1 - t. Test sequences are distinct from every training
    sequence (held out), and there are n_test of them (fewer only if the vocabulary
    cannot supply that many)."""
    if length < 1 or vocab_size < 1 or n_train < 0 or n_test < 0:
        raise ValueError("length and vocab_size must be >= 1, n_train and n_test >= 0")
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, vocab_size, (n_train, length))
    seen = {row.tobytes() for row in x_train}
    candidates = rng.integers(0, vocab_size, (4 * n_test + 64, length))
    fresh, kept = [], set()
    for row in candidates:
        key = row.tobytes()
        if key not in seen and key not in kept:
            kept.add(key)
            fresh.append(row)
            if len(fresh) == n_test:
                break
    x_test = np.array(fresh, dtype=np.int64).reshape(-1, length)
    return x_train, x_train[:, ::-1].copy(), x_test, x_test[:, ::-1].copy()
