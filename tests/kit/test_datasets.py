"""The bundled and generated datasets: shapes, dtypes, fixed disjoint splits, determinism,
and nothing downloaded."""

import socket

import numpy as np
import pytest

from gradeschool import datasets as data
from gradeschool.core.paths import datasets_dir

pytestmark = pytest.mark.kit

CLASSIFICATION = [
    pytest.param(data.load_xor, {}, 2, (4, 4), id="xor"),
    pytest.param(data.load_spirals, {"n_per_class": 150}, 2, (240, 60), id="spirals"),
    pytest.param(data.load_moons, {"n": 200}, 2, (160, 40), id="moons"),
    pytest.param(data.load_digits, {}, 64, (1438, 359), id="digits"),
]


@pytest.mark.parametrize("loader, kwargs, features, sizes", CLASSIFICATION)
def test_classification_shapes_and_dtypes(loader, kwargs, features, sizes):
    X, y, X_test, y_test = loader(**kwargs)
    assert (len(X), len(X_test)) == sizes
    for a, b in ((X, y), (X_test, y_test)):
        assert a.dtype == np.float64 and a.shape == (len(b), features) and np.isfinite(a).all()
        assert b.dtype == np.int64 and b.ndim == 1 and b.min() >= 0


@pytest.mark.parametrize("loader, kwargs, features, sizes", CLASSIFICATION)
def test_loaders_are_deterministic(loader, kwargs, features, sizes):
    first, second = loader(**kwargs), loader(**kwargs)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("loader, kwargs", [(data.load_spirals, {}), (data.load_moons, {}),
                                            (data.load_sine_sequences, {})])
def test_seed_changes_generated_data(loader, kwargs):
    assert not np.array_equal(loader(seed=0)[0], loader(seed=1)[0])


@pytest.mark.parametrize("loader", [data.load_spirals, data.load_moons, data.load_digits, data.load_sine_sequences])
def test_train_and_test_are_disjoint(loader):
    X, _, X_test, _ = loader()
    train_rows = {row.tobytes() for row in X.reshape(len(X), -1)}
    test_rows = [row.tobytes() for row in X_test.reshape(len(X_test), -1)]
    if loader is data.load_digits:
        # a few digit images occur twice in the UCI data; the split is by sample, so check indices
        with np.load(datasets_dir() / "digits.npz") as f:
            train, test = set(f["train_index"].tolist()), set(f["test_index"].tolist())
        assert not train & test and len(train | test) == 1797
    else:
        assert not any(r in train_rows for r in test_rows)


def test_xor_truth_table():
    X, y, X_test, y_test = data.load_xor()
    np.testing.assert_array_equal(y, (X[:, 0] != X[:, 1]).astype(np.int64))
    np.testing.assert_array_equal(X, X_test)


def test_digits_values_classes_and_images():
    X, y, X_test, y_test = data.load_digits()
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.all((X * 16) == np.round(X * 16))  # the original 0..16 pixel levels
    counts, test_counts = np.bincount(y, minlength=10), np.bincount(y_test, minlength=10)
    # stratified: per class 80% of 174..183 samples in training
    assert counts.min() >= 139 and counts.max() <= 147 and test_counts.min() >= 34 and test_counts.max() <= 37
    Xi, yi, Xi_test, _ = data.load_digits(images=True)
    assert Xi.shape == (1438, 1, 8, 8) and Xi_test.shape == (359, 1, 8, 8)
    np.testing.assert_array_equal(Xi.reshape(len(Xi), 64), X)
    np.testing.assert_array_equal(yi, y)


def test_spirals_and_moons_classes_are_balanced():
    for loader in (data.load_spirals, data.load_moons):
        X, y, X_test, y_test = loader()
        total = np.bincount(np.concatenate([y, y_test]))
        assert total.tolist() == [total[0]] * 2


def test_sine_sequences_forecast_the_next_value():
    X, y, X_test, y_test = data.load_sine_sequences(n_sequences=50, length=12)
    assert X.shape == (40, 12, 1) and y.shape == (40, 1) and X_test.shape == (10, 12, 1)
    assert X.dtype == y.dtype == np.float64
    assert np.abs(X).max() <= 1.0 and np.abs(y).max() <= 1.0
    # a noiseless sine obeys s[t+1] = 2 cos(omega) s[t] - s[t-1]: the target continues the wave
    s = X[:, :, 0]
    two_cos = (s[:, 2] + s[:, 0]) / s[:, 1]
    np.testing.assert_allclose(y[:, 0], two_cos * s[:, -1] - s[:, -2], atol=1e-9)


def test_text_corpus():
    text = data.load_text()
    assert isinstance(text, str) and 2000 < len(text) < 20000
    assert "Humpty Dumpty" in text and set(text) <= set(map(chr, range(32, 127))) | {"\n"}


def test_nothing_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader opened a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for loader in (data.load_xor, data.load_spirals, data.load_moons, data.load_digits,
                   data.load_sine_sequences, data.load_text):
        loader()


def test_datasets_folder_is_not_a_package():
    assert not (datasets_dir() / "__init__.py").exists()
    assert (datasets_dir() / "README.md").is_file()


def test_missing_file_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADESCHOOL_ROOT", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="digits.npz"):
        data.load_digits()
