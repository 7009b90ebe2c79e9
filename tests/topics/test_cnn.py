"""Topic 6 — cnn: property tests against torch (F.conv2d, F.max_pool2d, F.avg_pool2d and
their autograd), the capstone CNN on the 8x8 digits, and speed gates."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.datasets import load_digits
from gradeschool.testing import assert_speed, check_forward, check_layer, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.hints import mistake
from gradeschool.testing.strategies import cnn as ts

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
DOUT_SIZE = 4.0  # check_layer's upstream gradient is standard normal: |dout| < 4 in practice


# ---------------------------------------------------------------- padding and sizes
@pytest.mark.exercise("pad2d")
@given(x=ts.image_batches(), pad=st.integers(0, 3))
def test_pad2d_matches_torch(impl, device, x, pad):
    check_forward(impl.pad2d, lambda t, p: F.pad(t, (p, p, p, p)), x, pad, argnames=["x", "pad"],
                  device=device)


@pytest.mark.exercise("output_size")
@given(size=ts.conv_sizes())
def test_output_size_matches_torch(impl, size):
    n, f, p, s = size
    expected = F.conv2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, f, 1), stride=(s, 1), padding=(p, 0)).shape[2]
    got = impl.output_size(n, f, p, s)
    assert isinstance(got, int | np.integer) and not isinstance(got, bool) and got == expected, (
        f"output_size(n={n}, f={f}, p={p}, s={s}) returned {got!r}; torch's F.conv2d gives {expected} "
        "output pixels\n  hint: (n + 2p - f) // s + 1: padding on both sides, and the floor division "
        "// (an int) drops a last window that would stick out.")


# ---------------------------------------------------------------- convolution
@pytest.mark.exercise("conv2d", weight=4)
@given(case=ts.conv2d_problems())
def test_conv2d_matches_torch(impl, device, case):
    x, w, b, stride, padding = case
    (n, c, h, width), (f, _, hh, ww) = x.shape, w.shape
    positions = ((h + 2 * padding - hh) // stride + 1) * ((width + 2 * padding - ww) // stride + 1)
    ax, aw = float(np.abs(x).max(initial=1)), float(np.abs(w).max(initial=1))
    check_layer(impl.conv2d_forward, impl.conv2d_backward, F.conv2d, x, w, b, grad_wrt=[0, 1, 2],
                argnames=["x", "w", "b"], kwargs={"stride": stride, "padding": padding}, device=device,
                scale=max(ax * aw, DOUT_SIZE * ax, DOUT_SIZE * aw),
                terms=max(c * hh * ww, f * hh * ww, n * positions))


@pytest.mark.exercise("conv2d")
@DTYPES
def test_conv2d_is_a_cross_correlation(impl, dtype):
    """The notes' example: a 6x6 image bright on the left, the vertical-edge filter."""
    x = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=dtype)[None, None]
    w = np.array([[1, 0, -1]] * 3, dtype=dtype)[None, None]
    out, _ = impl.conv2d_forward(x, w, np.zeros(1, dtype=dtype))
    expected = np.array([[0, 30, 30, 0]] * 4, dtype=dtype)[None, None]
    compare(out, expected, dtype=dtype, call="conv2d_forward(6x6 image bright on the left, "
            "w = [[1, 0, -1]] * 3, b = 0)", hint="no flipping of the filter: out[i, j] = sum of "
            "x[i + k, j + l] * w[k, l] (a cross-correlation, as torch's F.conv2d).")


# ---------------------------------------------------------------- pooling
@pytest.mark.exercise("maxpool2d", weight=3)
@given(case=ts.pool2d_problems(distinct=True))
def test_maxpool2d_matches_torch(impl, device, case):
    x, k, stride, padding = case
    check_layer(impl.maxpool2d_forward, impl.maxpool2d_backward, F.max_pool2d, x, grad_wrt=[0],
                argnames=["x"], kwargs={"kernel_size": k, "stride": stride, "padding": padding},
                device=device)


@pytest.mark.exercise("maxpool2d")
@pytest.mark.parametrize("kernel_size, stride, padding", [(2, 2, 0), (3, 1, 0), (2, 1, 1), (3, 2, 1)])
def test_maxpool2d_ties_go_to_the_first_maximum(impl, kernel_size, stride, padding):
    """An image of equal values: every window's gradient goes to its first cell inside the
    image, row-major (the rule in the docstring; torch leaves the choice open)."""
    x = np.full((1, 2, 5, 6), 0.5)
    out, cache = impl.maxpool2d_forward(x, kernel_size, stride, padding)
    dout = np.random.default_rng(0).standard_normal(out.shape)
    dx = impl.maxpool2d_backward(dout, cache)
    expected = np.zeros_like(x)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            row, col = max(i * stride - padding, 0), max(j * stride - padding, 0)
            expected[:, :, row, col] += dout[:, :, i, j]
    compare(dx, expected, dtype=x.dtype, call=f"maxpool2d_backward after maxpool2d_forward(x: 1x2x5x6 all "
            f"0.5, kernel_size={kernel_size}, stride={stride}, padding={padding})",
            what="the gradient w.r.t. x", hint=mistake("maxpool2d", "ties"))


@pytest.mark.exercise("avgpool2d", weight=3)
@given(case=ts.pool2d_problems(), count_include_pad=st.booleans())
def test_avgpool2d_matches_torch(impl, device, case, count_include_pad):
    x, k, stride, padding = case
    check_layer(impl.avgpool2d_forward, impl.avgpool2d_backward, F.avg_pool2d, x, grad_wrt=[0],
                argnames=["x"], device=device, scale=float(np.abs(x).max(initial=1)) * DOUT_SIZE,
                terms=k * k, kwargs={"kernel_size": k, "stride": stride, "padding": padding,
                                     "count_include_pad": count_include_pad})


# ---------------------------------------------------------------- flatten and Sobel
@pytest.mark.exercise("flatten")
@given(x=ts.image_batches(min_dims=2, max_dims=5, max_side=5))
def test_flatten_matches_torch(impl, device, x):
    check_layer(impl.flatten_forward, impl.flatten_backward, lambda t: torch.flatten(t, 1), x,
                grad_wrt=[0], argnames=["x"], device=device)


def sobel_reference(x, padding=0):
    vertical = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype=x.dtype, device=x.device)
    return F.conv2d(x, torch.stack([vertical, vertical.T])[:, None], padding=padding)


@pytest.mark.exercise("sobel_edges", weight=2)
@given(dtype=gs.dtypes, size=st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
       padding=st.integers(0, 2), data=st.data())
def test_sobel_edges_matches_torch(impl, device, dtype, size, padding, data):
    n, h, w = size
    x = data.draw(gs.arrays(dtype, (n, 1, max(h, 3 - 2 * padding), max(w, 3 - 2 * padding)), 0.0, 1.0))
    check_forward(impl.sobel_edges, sobel_reference, x, argnames=["x"], kwargs={"padding": padding},
                  device=device, scale=4.0, terms=9)


@pytest.mark.exercise("sobel_edges")
def test_sobel_finds_a_vertical_edge(impl):
    """Bright left half, dark right half: a vertical edge, and no horizontal one."""
    x = np.zeros((1, 1, 6, 6))
    x[..., :3] = 1.0
    edges = impl.sobel_edges(x)
    expected = np.zeros((1, 2, 4, 4))
    expected[0, 0, :, 1:3] = 4.0
    compare(edges, expected, dtype=x.dtype, call="sobel_edges(6x6 image, left half 1, right half 0)",
            hint="channel 0 is the vertical-edge filter [[1, 0, -1], [2, 0, -2], [1, 0, -1]], "
            "channel 1 its transpose (horizontal edges).")


# ---------------------------------------------------------------- the capstone CNN
class TorchCNN:
    """The capstone's network in torch, from a copy of the learner model's parameters."""

    def __init__(self, params):
        self.p = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in params.items()}

    def __call__(self, x):
        p = self.p
        a = F.max_pool2d(torch.relu(F.conv2d(x, p["W1"], p["b1"], padding=1)), 2)
        a = torch.relu(torch.flatten(a, 1) @ p["W2"] + p["b2"])
        return a @ p["W3"] + p["b3"]


def small_batch(dtype, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 1, 8, 8)).astype(dtype), rng.integers(0, 10, n)


def compare_grads(model, ref, call, dtype, terms=64):
    for key, tensor in ref.p.items():
        compare(model.grads.get(key), tensor.grad, call=call, what=f"grads[{key!r}]", dtype=dtype, terms=terms)


@pytest.mark.exercise("CNN", weight=2)
@DTYPES
def test_cnn_forward_and_backward_match_torch(impl, dtype):
    x, _ = small_batch(dtype)
    model = impl.CNN(filters=3, hidden=7, seed=1, dtype=dtype)
    ref = TorchCNN(model.params)
    call = f"CNN(filters=3, hidden=7).forward(x: {dtype.__name__} {x.shape})"
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    scores = ref(xt)
    compare(model.forward(x), scores, call=call, what="the scores", dtype=dtype, terms=64)
    dscores = np.random.default_rng(1).standard_normal(scores.shape).astype(dtype)
    dx = model.backward(dscores)
    scores.backward(torch.tensor(dscores.astype(np.float64)))
    call = f"backward(dscores: {dtype.__name__} {dscores.shape}) after {call}"
    compare(dx, xt.grad, call=call, what="dx", dtype=dtype, terms=64)
    compare_grads(model, ref, call, dtype)


@pytest.mark.exercise("CNN")
@DTYPES
def test_cnn_loss_matches_torch(impl, dtype):
    x, y = small_batch(dtype, seed=2)
    model = impl.CNN(filters=3, hidden=7, seed=2, dtype=dtype)
    ref = TorchCNN(model.params)
    loss = model.loss(x, y)
    expected = F.cross_entropy(ref(torch.tensor(x.astype(np.float64))), torch.tensor(y))
    expected.backward()
    call = f"CNN(filters=3, hidden=7).loss(x: {dtype.__name__} {x.shape}, y: {y.shape})"
    assert isinstance(loss, float | np.floating), f"{call} returned {loss!r}, expected a float"
    compare(np.asarray(loss).astype(dtype), expected, call=call, what="the loss", terms=64)
    compare_grads(model, ref, call, dtype)


@pytest.mark.exercise("CNN")
@pytest.mark.parametrize("batch_size", [8, 3])
def test_cnn_fit_follows_torch_sgd(impl, batch_size):
    x, y = small_batch(np.float64, n=8, seed=3)
    model = impl.CNN(filters=3, hidden=7, seed=3)
    ref = TorchCNN(model.params)
    optimizer = torch.optim.SGD(list(ref.p.values()), lr=0.1, momentum=0.9)
    rng, expected_history = np.random.default_rng(5), []
    for _ in range(2):
        order, losses = rng.permutation(len(x)), []
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(ref(torch.tensor(x[batch])), torch.tensor(y[batch]))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        expected_history.append(np.mean(losses))
    history = model.fit(x, y, epochs=2, lr=0.1, momentum=0.9, batch_size=batch_size, seed=5)
    call = f"CNN(filters=3, hidden=7).fit(x: {x.shape}, y, epochs=2, lr=0.1, momentum=0.9, batch_size={batch_size})"
    compare(np.asarray(history, dtype=np.float64), np.array(expected_history), call=call,
            what="the history of epoch losses", terms=64)
    for key, tensor in ref.p.items():
        compare(model.params[key], tensor, call=call, what=f"params[{key!r}] after training", terms=64,
                hint="torch.optim.SGD with momentum, the samples in the order of "
                     "np.random.default_rng(seed).permutation(N), a fresh permutation each epoch.")


@pytest.mark.exercise("CNN", weight=3)
def test_cnn_learns_digits(impl):
    X_train, y_train, X_test, y_test = load_digits(images=True)
    model = impl.CNN(seed=0)
    history = model.fit(X_train, y_train, epochs=10, lr=0.05, momentum=0.9, batch_size=32, seed=0)
    predicted = model.predict(X_test)
    assert type(predicted) is np.ndarray and predicted.shape == y_test.shape, (
        f"CNN.predict(x: {X_test.shape}) returned {type(predicted).__name__} "
        f"{getattr(predicted, 'shape', '')}, expected an int array of shape {y_test.shape}")
    accuracy = float((predicted == y_test).mean())
    assert accuracy >= 0.97, (
        f"CNN().fit(8x8 digits: {X_train.shape}, epochs=10, lr=0.05, momentum=0.9, batch_size=32) "
        f"reached {accuracy:.1%} test accuracy, expected at least 97%; epoch losses "
        f"{', '.join(f'{v:.3f}' for v in history)}\n  hint: the gradient tests above pass? Then check "
        "the optimizer step (every parameter, in place) and predict (argmax along axis 1).")


# ---------------------------------------------------------------- speed
def conv_forward_backward(impl):
    def conv2d_forward_backward(x, w, b, dout):
        out, cache = impl.conv2d_forward(x, w, b, stride=1, padding=1)
        return impl.conv2d_backward(dout, cache)

    return conv2d_forward_backward


def torch_conv_forward_backward(x, w, b, dout):
    with torch.enable_grad():
        x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
        return torch.autograd.grad(F.conv2d(x, w, b, stride=1, padding=1), (x, w, b), dout)


def pool_forward_backward(impl):
    def maxpool2d_forward_backward(x, dout):
        out, cache = impl.maxpool2d_forward(x, 2)
        return impl.maxpool2d_backward(dout, cache)

    return maxpool2d_forward_backward


def torch_pool_forward_backward(x, dout):
    with torch.enable_grad():
        x = x.detach().requires_grad_()
        return torch.autograd.grad(F.max_pool2d(x, 2), x, dout)


# (N, C, H, W, filters). The first, one large image, is where a loop over output pixels
# costs most (a loop vectorised over the batch and filters: 147456 small steps, 200-550x
# torch); on the CIFAR-like batches after it such a loop is only 2-7x slower than torch.
CONV_SHAPES = [(1, 1, 384, 384, 4), (32, 3, 32, 32, 16), (64, 16, 16, 16, 32)]
POOL_SHAPES = [(1, 2, 512, 512), (64, 32, 32, 32)]
CONV_MAX_RATIO = 10
POOL_MAX_RATIO = 8
LOOP_HINT = ("Is there a Python loop over output pixels? Gather every window at once "
             "(numpy.lib.stride_tricks.sliding_window_view) and let one matrix product or "
             "reduction do the work; a loop over the few kernel positions is fine.")


@pytest.mark.bench
@pytest.mark.exercise("conv2d")
@pytest.mark.parametrize("shape", CONV_SHAPES, ids=lambda s: "x".join(map(str, s[:4])) + f"-f{s[4]}")
@DTYPES
def test_conv2d_speed(impl, benchmark, shape, dtype):
    n, c, h, w, f = shape
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(dtype) for s in [(n, c, h, w), (f, c, 3, 3), (f,), (n, f, h, w)]]
    assert_speed(benchmark, impl, conv_forward_backward(impl), torch_conv_forward_backward, *args,
                 max_ratio=CONV_MAX_RATIO, name="conv2d_forward + conv2d_backward (3x3, padding 1)",
                 hint=LOOP_HINT)


@pytest.mark.bench
@pytest.mark.exercise("maxpool2d")
@pytest.mark.parametrize("shape", POOL_SHAPES, ids=lambda s: "x".join(map(str, s)))
@DTYPES
def test_maxpool2d_speed(impl, benchmark, shape, dtype):
    rng = np.random.default_rng(0)
    n, c, h, w = shape
    x = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal((n, c, h // 2, w // 2)).astype(dtype)
    assert_speed(benchmark, impl, pool_forward_backward(impl), torch_pool_forward_backward, x, dout,
                 max_ratio=POOL_MAX_RATIO, name="maxpool2d_forward + maxpool2d_backward (2x2)",
                 hint=LOOP_HINT)
