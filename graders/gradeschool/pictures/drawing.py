"""The pictures of each topic, drawn with an implementation's own code (see the package
docstring); one function per topic, named after it, returning the files it wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradeschool import datasets as data

# The backprop capstone's settings (tests/topics/test_backprop.py): the pictures show the
# training that the capstone test grades.
MLP_RUNS = [
    ("xor", data.load_xor, [2, 8, 2], "tanh", dict(epochs=500, lr=0.5, batch_size=4)),
    ("spirals", data.load_spirals, [2, 64, 64, 2], "relu", dict(epochs=300, lr=0.1, batch_size=32)),
    ("digits", data.load_digits, [64, 64, 10], "relu", dict(epochs=20, lr=0.1, batch_size=32)),
]


def backprop(impl, out: Path) -> list[Path]:
    from gradeschool.pictures.training import plot_decision_boundary, plot_loss_curve

    written = []
    for name, loader, sizes, activation, options in MLP_RUNS:
        X, y, _, _ = loader()
        model = impl.MLP(sizes, activation=activation, rng=0)
        losses = impl.train_mlp(model, X, y, rng=0, **options)
        title = f"{name}: MLP {sizes}, {activation}, lr {options['lr']}"
        written.append(plot_loss_curve(losses, out / f"{name}-loss.png", title=title))
        if X.shape[1] == 2:
            written.append(plot_decision_boundary(model.predict, X, y, out / f"{name}-boundary.png",
                                                  title=f"{name}: decision boundary"))
    return written


def cnn(impl, out: Path) -> list[Path]:
    from gradeschool.pictures.cnn import plot_filters, plot_sobel_edges
    from gradeschool.pictures.training import plot_loss_curve

    written = [plot_sobel_edges(out / "sobel-edges.png", impl.sobel_edges)]
    X, y, _, _ = data.load_digits(images=True)
    model = impl.CNN(seed=0)
    losses = model.fit(X[:512], y[:512], epochs=5)
    written.append(plot_filters(np.asarray(model.params["W1"]), out / "filters.png",
                                title="first-layer filters after 5 epochs on 512 digits"))
    if losses is not None and len(losses):
        written.append(plot_loss_curve(losses, out / "cnn-loss.png", title="CNN training loss"))
    return written


def optimizers(impl, out: Path) -> list[Path]:
    from gradeschool.pictures.optimizers import plot_optimizer_paths

    return [plot_optimizer_paths(out / "optimizer-paths.png", impl)]


def lstm(impl, out: Path) -> list[Path]:
    from gradeschool.pictures.lstm import plot_gradient_norms

    path, _ = plot_gradient_norms(out / "gradient-norms.png", rnn_forward=impl.rnn_forward,
                                  rnn_backward=impl.rnn_backward, lstm_forward=impl.lstm_forward,
                                  lstm_backward=impl.lstm_backward, clip_grad_norm=impl.clip_grad_norm)
    return [path]


def attention(impl, out: Path) -> list[Path]:
    from gradeschool.pictures.attention import plot_model_attention
    from gradeschool.testing.strategies.attention import CAPSTONE, CAPSTONE_FIT

    x_train, y_train, x_test, _ = data.load_reversal()
    model = impl.TinyTransformer(**CAPSTONE)
    model.fit(x_train, y_train, **CAPSTONE_FIT)
    return [plot_model_attention(out / "attention-maps.png", model, x_test[:200])]
