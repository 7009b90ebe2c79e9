"""The teaching pictures, drawn headless as PNG files: loss curves and decision boundaries,
Sobel edges and CNN filters, optimizer paths."""

import struct

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradeschool.core.paths import solutions_dir
from gradeschool.datasets import load_digits
from gradeschool.pictures.training import plot_decision_boundary, plot_loss_curve
from gradeschool.testing import compare

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


# ---------------------------------------------------------------- the teaching pictures
PNG = b"\x89PNG\r\n\x1a\n"
SOBEL = [[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]],   # vertical edges
         [[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]]   # horizontal edges
HAVE_SOLUTIONS = (solutions_dir() / "cnn.py").is_file()


@pytest.mark.cnn
def test_sobel_picture(tmp_path):
    from gradeschool.harness.mutants import solution
    from gradeschool.pictures.cnn import plot_sobel_edges, reference_sobel_edges

    x = load_digits(images=True)[0][:5]
    expected = F.conv2d(torch.tensor(x), torch.tensor(SOBEL, dtype=torch.float64)[:, None], padding=1)
    compare(reference_sobel_edges(x), expected, call="reference_sobel_edges")
    drawers = [("kit", None)] + ([("solution", solution("cnn").sobel_edges)] if HAVE_SOLUTIONS else [])
    for name, fn in drawers:
        path = plot_sobel_edges(tmp_path / f"sobel-{name}.png", sobel_edges=fn)
        assert path.read_bytes()[:8] == PNG and path.stat().st_size > 2000


@pytest.mark.cnn
@pytest.mark.skipif(not HAVE_SOLUTIONS, reason="draws the filters of the reference solution's CNN")
def test_filters_picture(tmp_path):
    from gradeschool.harness.mutants import solution
    from gradeschool.pictures.cnn import plot_filters

    X_train, y_train, _, _ = load_digits(images=True)
    model = solution("cnn").CNN(seed=0)
    model.fit(X_train[:256], y_train[:256], epochs=2)
    path = plot_filters(model.params["W1"], tmp_path / "filters.png")
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 2000
    with pytest.raises(ValueError, match="F, C, HH, WW"):
        plot_filters(np.zeros((3, 3)), tmp_path / "bad.png")


@pytest.mark.optimizers
def test_optimizer_paths_picture(tmp_path):
    from gradeschool.pictures.optimizers import plot_optimizer_paths

    if not (solutions_dir() / "optimizers.py").exists():
        pytest.skip("the picture draws the solutions' optimizers; there are none here")

    path = plot_optimizer_paths(tmp_path / "paths.png")
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
