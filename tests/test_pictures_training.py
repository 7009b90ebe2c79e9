"""Pictures of training, drawn headless: loss curves and decision boundaries as PNG files."""

import struct

import numpy as np
import pytest

from gradeschool.pictures.training import plot_decision_boundary, plot_loss_curve

pytestmark = pytest.mark.kit


def png_size(path):
    """(width, height) from a PNG's header; fails if the file is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("losses", [[2.3, 1.1, 0.6, 0.31, 0.2], list(np.geomspace(10, 1e-4, 50)), [0.5]],
                         ids=["linear", "log", "one-epoch"])
def test_loss_curve_is_a_png(tmp_path, losses):
    path = plot_loss_curve(losses, tmp_path / "sub" / "loss.png")
    width, height = png_size(path)
    assert 200 <= width <= 2000 and 200 <= height <= 2000 and path.stat().st_size > 2000


def test_loss_curve_rejects_empty(tmp_path):
    with pytest.raises(ValueError):
        plot_loss_curve([], tmp_path / "loss.png")


def test_decision_boundary_is_a_png(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    calls = []

    def predict(points):
        calls.append(points.shape)
        return (points[:, 0] * points[:, 1] > 0).astype(np.int64)

    path = plot_decision_boundary(predict, X, y, tmp_path / "boundary.png", resolution=50)
    width, height = png_size(path)
    assert 200 <= width <= 2000 and 200 <= height <= 2000 and path.stat().st_size > 2000
    assert calls == [(2500, 2)]  # one vectorised call over the whole grid


def test_decision_boundary_needs_2d_inputs(tmp_path):
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((5, 3)), np.zeros(5), tmp_path / "b.png")
