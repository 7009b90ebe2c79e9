"""The teaching pictures, drawn headless as PNG files: loss curves and decision boundaries,
Sobel edges and CNN filters, optimizer paths."""

import struct

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from kitutils import copy_kit, gradeschool_cli, solution_code, write_definition

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
needs_solutions = pytest.mark.skipif(not HAVE_SOLUTIONS, reason="draws with the reference solutions")


@pytest.mark.cnn
@needs_solutions
def test_sobel_picture(tmp_path):
    from gradeschool.harness.mutants import solution
    from gradeschool.pictures.cnn import plot_sobel_edges

    sobel_edges = solution("cnn").sobel_edges
    x = load_digits(images=True)[0][:5]
    expected = F.conv2d(torch.tensor(x), torch.tensor(SOBEL, dtype=torch.float64)[:, None], padding=1)
    compare(sobel_edges(x, padding=1), expected, call="sobel_edges")
    path = plot_sobel_edges(tmp_path / "sobel.png", sobel_edges)
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 2000
    with pytest.raises(ValueError, match=r"returned shape \(1, 8, 8\), expected \(1, 2, 8, 8\)"):
        plot_sobel_edges(tmp_path / "bad.png", lambda x, padding: x[:, 0])


@pytest.mark.cnn
@needs_solutions
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
@needs_solutions
def test_optimizer_paths_picture(tmp_path):
    from gradeschool.pictures.optimizers import plot_optimizer_paths

    path = plot_optimizer_paths(tmp_path / "paths.png", "solutions")
    assert path.exists() and path.read_bytes()[:8] == PNG


# ---------------------------------------------------------------- gradeschool pictures (issue 14, problem 6)
def _kit_with(tmp_path, topic, solved):
    """A copy of the kit whose exercises of `topic` are the solutions for `solved`."""
    kit = copy_kit(tmp_path / "kit", topics=(topic,))
    for name in solved:
        write_definition(kit, name, solution_code(name, topic), topic)
    return kit


def test_pictures_of_a_topic_not_written_say_what_to_write_first(tmp_path):
    kit = _kit_with(tmp_path, "cnn", [])
    out = gradeschool_cli(kit, "pictures", "cnn", timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "cnn: write sobel_edges first: it is not started" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    assert not (kit / "pictures" / "cnn").exists() or not any((kit / "pictures" / "cnn").iterdir())


def test_pictures_are_drawn_from_the_learners_code_into_a_named_folder(tmp_path):
    from gradeschool.core.catalogue import load_catalogue

    solved = [f for e in load_catalogue().topic("optimizers").exercises for f in e.functions]
    kit = _kit_with(tmp_path, "optimizers", solved)
    out = gradeschool_cli(kit, "pictures", "optimizers", timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    folder = kit / "pictures" / "optimizers"
    assert f"1 picture in {folder.relative_to(kit)}/: optimizer-paths.png" in out.stdout
    assert (folder / "optimizer-paths.png").read_bytes()[:8] == PNG


def test_an_error_in_the_learners_code_is_named_not_a_traceback(tmp_path):
    kit = _kit_with(tmp_path, "optimizers", ["SGD", "RMSprop"])
    head = "def update(self, param, grad, state):"
    broken = solution_code("Adam", "optimizers").replace(head, head + "\n        raise ValueError('oops')", 1)
    write_definition(kit, "Adam", broken, "optimizers")
    out = gradeschool_cli(kit, "pictures", "optimizers", timeout=300)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert "drawing with your code failed: ValueError: oops at optimizers.py line" in out.stdout


def test_check_and_watch_say_where_a_capstones_pictures_are(tmp_path, monkeypatch):
    from gradeschool.pictures import note_for

    monkeypatch.setenv("GRADESCHOOL_ROOT", str(tmp_path))
    assert note_for(["relu"]) == ""
    note = note_for(["train_mlp"])
    assert "`gradeschool pictures backprop` draws the loss curves and decision boundaries" in note
    assert "pictures/backprop/" in note
    (tmp_path / "pictures" / "cnn").mkdir(parents=True)
    (tmp_path / "pictures" / "cnn" / "filters.png").write_bytes(PNG)
    assert "are in pictures/cnn/ (1 PNG files)" in note_for(["CNN"])


def test_the_readme_shows_a_picture():
    import re

    from gradeschool.core.paths import kit_root

    readme = (kit_root() / "README.md").read_text()
    assert "gradeschool pictures" in readme
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert shown and all((kit_root() / p).read_bytes()[:8] == PNG for p in shown)


def test_no_reference_answer_is_left_in_the_pictures():
    import gradeschool.pictures.cnn as cnn

    assert not hasattr(cnn, "reference_sobel_edges")


@pytest.mark.parametrize("topic, files", [("lstm", ["gradient-norms.png"]), ("attention", ["attention-maps.png"])])
def test_the_sequence_topics_pictures_are_drawn_from_an_implementation(tmp_path, topic, files):
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.paths import solutions_dir
    from gradeschool.pictures import PICTURES, draw

    assert topic in PICTURES, "`gradeschool pictures` must know every topic that has pictures"
    written = draw(topic, LocalImplementation(solutions_dir()), tmp_path)
    assert [p.name for p in written] == files and all(p.read_bytes()[:8] == PNG for p in written)
