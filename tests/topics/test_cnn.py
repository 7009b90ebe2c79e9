"""Topic 6 — cnn: property tests against torch (F.conv2d, F.max_pool2d, F.avg_pool2d and
their autograd), the capstone CNN on the 8x8 digits, and speed gates.

Domain: non-square images and kernels, stride 1..4 and padding 0..3 (pooling: padding up
to kernel_size // 2, as torch), every option left out now and then (its default), ties in
overlapping and padded pooling windows, padding counted and not counted by average
pooling, flatten of 2- to 5-D inputs, the CNN built with its defaults."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gradeschool.datasets import load_digits
from gradeschool.testing import check_forward, check_layer, compare
from gradeschool.testing import strategies as gs
from gradeschool.testing.gates import label, normal
from gradeschool.testing.hints import mistake
from gradeschool.testing.references import epoch_losses
from gradeschool.testing.speed import Gate, gate_params, limited, run_gate
from gradeschool.testing.strategies import cnn as ts
from gradeschool.testing.strategies.regularization import without_none

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
DOUT_SIZE = 4.0  # check_layer's upstream gradient is standard normal: |dout| < 4 in practice


# ---------------------------------------------------------------- padding and sizes
@pytest.mark.exercise("pad2d")
@given(x=ts.image_batches(empty=True), pad=st.integers(0, 5))
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
        f"output pixels\n  hint: {mistake('output_size', 'formula')}")


# ---------------------------------------------------------------- convolution
@pytest.mark.exercise("conv2d", weight=4)
@given(case=ts.conv2d_problems())
def test_conv2d_matches_torch(impl, device, case):
    x, w, b, stride, padding = case
    kwargs = without_none(stride=stride, padding=padding)
    stride, padding = stride or 1, padding or 0
    (n, c, h, width), (f, _, hh, ww) = x.shape, w.shape
    positions = ((h + 2 * padding - hh) // stride + 1) * ((width + 2 * padding - ww) // stride + 1)
    ax, aw = float(np.abs(x).max(initial=1)), float(np.abs(w).max(initial=1))
    check_layer(impl.conv2d_forward, impl.conv2d_backward, F.conv2d, x, w, b, grad_wrt=[0, 1, 2],
                argnames=["x", "w", "b"], kwargs=kwargs, device=device,
                scale=max(ax * aw, DOUT_SIZE * ax, DOUT_SIZE * aw),
                terms=max(c * hh * ww, f * hh * ww, n * positions))


@pytest.mark.exercise("conv2d")
@DTYPES
def test_conv2d_every_stride_and_padding(impl, device, dtype):
    """A non-square image and kernel, strides 1 to 3 and paddings 0 to 2: every
    combination, forward and backward (a stride applied to the rows only, or a padding to
    one side only, fails)."""
    rng = np.random.default_rng(14)
    x, w, b = normal(rng, (2, 2, 7, 6), dtype), normal(rng, (3, 2, 3, 2), dtype), normal(rng, 3, dtype)
    for stride in (1, 2, 3):
        for padding in (0, 1, 2):
            check_layer(impl.conv2d_forward, impl.conv2d_backward, F.conv2d, x, w, b, grad_wrt=[0, 1, 2],
                        argnames=["x", "w", "b"], kwargs={"stride": stride, "padding": padding}, device=device,
                        scale=4 * DOUT_SIZE, terms=84)


@pytest.mark.exercise("conv2d")
@DTYPES
def test_conv2d_is_a_cross_correlation(impl, dtype):
    """The notes' example: a 6x6 image bright on the left, the vertical-edge filter."""
    x = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=dtype)[None, None]
    w = np.array([[1, 0, -1]] * 3, dtype=dtype)[None, None]
    out, _ = impl.conv2d_forward(x, w, np.zeros(1, dtype=dtype))
    expected = np.array([[0, 30, 30, 0]] * 4, dtype=dtype)[None, None]
    compare(out, expected, dtype=dtype, call="conv2d_forward(6x6 image bright on the left, "
            "w = [[1, 0, -1]] * 3, b = 0)", hint=mistake("conv2d", "flipped_filter"))


# ---------------------------------------------------------------- pooling
@pytest.mark.exercise("maxpool2d", weight=3)
@given(case=ts.pool2d_problems(distinct=True))
def test_maxpool2d_matches_torch(impl, device, case):
    x, k, stride, padding = case
    check_layer(impl.maxpool2d_forward, impl.maxpool2d_backward, F.max_pool2d, x, grad_wrt=[0],
                argnames=["x"], kwargs=dict(kernel_size=k, **without_none(stride=stride, padding=padding)),
                device=device)


@pytest.mark.exercise("maxpool2d")
@given(case=ts.pool2d_problems(ties=True))
def test_maxpool2d_ties_match_torch_on_the_cpu(impl, case):
    """Values from {-1, 0, 1}: most windows, overlapping and padded ones included, hold
    several maxima. torch's CPU kernel, like the docstring, sends the gradient to the first
    maximum in row-major order (a GPU may choose another)."""
    x, k, stride, padding = case
    check_layer(impl.maxpool2d_forward, impl.maxpool2d_backward, F.max_pool2d, x, grad_wrt=[0],
                argnames=["x"], kwargs=dict(kernel_size=k, **without_none(stride=stride, padding=padding)),
                device="cpu", hint=mistake("maxpool2d", "ties"))


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


def check_avgpool(impl, device, x, **kwargs):
    check_layer(impl.avgpool2d_forward, impl.avgpool2d_backward, F.avg_pool2d, x, grad_wrt=[0],
                argnames=["x"], device=device, scale=float(np.abs(x).max(initial=1)) * DOUT_SIZE,
                terms=kwargs["kernel_size"] ** 2, kwargs=kwargs,
                hint=mistake("avgpool2d", "padding") if kwargs.get("padding") else None)


@pytest.mark.parametrize("name, torch_pool, kwargs", [
    pytest.param("maxpool2d", F.max_pool2d, {"kernel_size": 2}, marks=pytest.mark.exercise("maxpool2d"), id="max"),
    pytest.param("avgpool2d", F.avg_pool2d, {"kernel_size": 3, "padding": 1}, marks=pytest.mark.exercise("avgpool2d"),
                 id="avg"),
])
def test_pooling_defaults(impl, device, name, torch_pool, kwargs):
    """The options left out: stride None (= kernel_size), padding 0, count_include_pad True."""
    x = normal(np.random.default_rng(8), (2, 2, 6, 7), np.float64)
    check_layer(impl.get(f"{name}_forward"), impl.get(f"{name}_backward"), torch_pool, x, grad_wrt=[0],
                argnames=["x"], kwargs=kwargs, device=device, name=f"{name}_forward",
                hint=mistake(name, "defaults"))


@pytest.mark.exercise("avgpool2d", weight=3)
@given(case=ts.pool2d_problems(), count_include_pad=st.sampled_from([True, False, None]))
def test_avgpool2d_matches_torch(impl, device, case, count_include_pad):
    x, k, stride, padding = case
    check_avgpool(impl, device, x, kernel_size=k,
                  **without_none(stride=stride, padding=padding, count_include_pad=count_include_pad))


@pytest.mark.exercise("avgpool2d")
@pytest.mark.parametrize("count_include_pad", [True, False, None], ids=["counted", "not-counted", "default"])
def test_avgpool2d_windows_over_the_padding(impl, device, count_include_pad):
    """Windows that reach into the padding, with padding counted in the divisor or not
    (and the default, counted): every kernel size, stride and padding torch allows up to 4."""
    rng = np.random.default_rng(4)
    x = normal(rng, (1, 2, 5, 6), np.float64)
    for k in range(2, 5):
        for stride in range(1, 4):
            for padding in range(1, k // 2 + 1):
                check_avgpool(impl, device, x, kernel_size=k, stride=stride, padding=padding,
                              **without_none(count_include_pad=count_include_pad))


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
       padding=st.one_of(st.none(), st.integers(0, 3)), data=st.data())
def test_sobel_edges_matches_torch(impl, device, dtype, size, padding, data):
    """padding 0..3, or left out (the default 0)."""
    n, h, w = size
    p = padding or 0
    x = data.draw(gs.arrays(dtype, (n, 1, max(h, 3 - 2 * p), max(w, 3 - 2 * p)), 0.0, 1.0))
    check_forward(impl.sobel_edges, sobel_reference, x, argnames=["x"], kwargs=without_none(padding=padding),
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
            hint=mistake("sobel_edges", "channel_order"))


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
    assert isinstance(loss, float), (f"{call} returned {loss!r} ({type(loss).__name__}), expected a Python "
                                     f"float\n  hint: {mistake('CNN', 'python_float')}")
    compare(np.asarray(loss).astype(dtype), expected, call=call, what="the loss", terms=64)
    compare_grads(model, ref, call, dtype)


FIT_DEFAULTS = {"epochs": 10, "lr": 0.05, "momentum": 0.9, "batch_size": 32, "seed": 0}


def torch_fit(ref, x, y, epochs, lr, momentum, batch_size, seed):
    """CNN.fit's documented protocol with torch.optim.SGD: the history of epoch losses."""
    optimizer = torch.optim.SGD(list(ref.p.values()), lr=lr, momentum=momentum)
    return epoch_losses(optimizer, lambda batch: F.cross_entropy(ref(torch.tensor(x[batch].astype(np.float64))),
                                                                 torch.tensor(y[batch])),
                        len(x), epochs=epochs, batch_size=batch_size, seed=seed)


def check_fit(model, x, y, call, **options):
    """model.fit(x, y, **options) against torch_fit from the same starting parameters."""
    ref = TorchCNN(model.params)
    expected_history = torch_fit(ref, x, y, **{**FIT_DEFAULTS, **options})
    history = model.fit(x, y, **options)
    call += f".fit(x: {x.shape}, y, {', '.join(f'{k}={v!r}' for k, v in options.items())})"
    compare(np.asarray(history, dtype=np.float64), np.array(expected_history), call=call,
            what="the history of epoch losses", terms=64)
    for key, tensor in ref.p.items():
        compare(model.params[key], tensor, call=call, what=f"params[{key!r}] after training", terms=64,
                hint=mistake("CNN", "training_order"))


@pytest.mark.exercise("CNN")
@pytest.mark.parametrize("batch_size", [8, 3])
def test_cnn_fit_follows_torch_sgd(impl, batch_size):
    x, y = small_batch(np.float64, n=8, seed=3)
    check_fit(impl.CNN(filters=3, hidden=7, seed=3), x, y, "CNN(filters=3, hidden=7)", epochs=2, lr=0.1,
              momentum=0.9, batch_size=batch_size, seed=5)


CNN_SHAPES = {"W1": (8, 1, 3, 3), "b1": (8,), "W2": (128, 64), "b2": (64,), "W3": (64, 10), "b3": (10,)}


@pytest.mark.exercise("CNN")
def test_cnn_defaults(impl):
    """CNN() with its defaults (8 filters, 64 hidden units, 10 classes, float64): its
    parameters and gradients by name and shape, and fit with its own defaults (10 epochs,
    lr 0.05, momentum 0.9, batches of 32, seed 0) on 40 images against torch."""
    model = impl.CNN()
    shapes = {k: getattr(v, "shape", None) for k, v in model.params.items()}
    assert shapes == CNN_SHAPES and all(v.dtype == np.float64 for v in model.params.values()), (
        f"CNN().params has the shapes {shapes}, expected float64 arrays of shapes {CNN_SHAPES}")
    x, y = small_batch(np.float64, n=40, seed=6)
    model.loss(x[:4], y[:4])
    grads = {k: getattr(v, "shape", None) for k, v in model.grads.items()}
    assert grads == CNN_SHAPES, f"after CNN().loss(...), grads has the shapes {grads}, expected {CNN_SHAPES}"
    check_fit(model, x, y, "CNN()")


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
        f"{', '.join(f'{v:.3f}' for v in history)}\n  hint: {mistake('CNN', 'accuracy')}")


# ---------------------------------------------------------------- speed
def conv_pass(impl):
    def conv2d_forward_backward(x, w, b, dout):
        out, cache = impl.conv2d_forward(x, w, b, stride=1, padding=1)
        return out, *impl.conv2d_backward(dout, cache)

    return conv2d_forward_backward


def torch_conv_pass(x, w, b, dout):
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in (x, w, b)]
        out = F.conv2d(*leaves, stride=1, padding=1)
        return out.detach(), *torch.autograd.grad(out, leaves, dout)


def pool_pass(name, **options):
    def pool_forward_backward(impl):
        def forward_backward(x, dout):
            out, cache = impl.get(f"{name}_forward")(x, 2, **options)
            return out, impl.get(f"{name}_backward")(dout, cache)

        return forward_backward

    return pool_forward_backward


def torch_pool_pass(torch_pool, **options):
    def forward_backward(x, dout):
        with torch.enable_grad():
            t = x.detach().requires_grad_()
            out = torch_pool(t, 2, **options)
            return out.detach(), torch.autograd.grad(out, t, dout)[0]

    return forward_backward


def flatten_pass(impl):
    def flatten_forward_backward(x, dout):
        out, cache = impl.flatten_forward(x)
        return out, impl.flatten_backward(dout, cache)

    return flatten_forward_backward


def torch_flatten_pass(x, dout):
    return torch.flatten(x, 1), dout.reshape(x.shape)


def cnn_pass(impl):
    def cnn_forward_backward(x, dscores, params):
        model = impl.CNN(filters=params["W1"].shape[0], hidden=params["W2"].shape[1], dtype=x.dtype)
        model.params = dict(params)  # set as a whole: a grader's isolated model is not this process's
        scores = model.forward(x)
        return scores, model.backward(dscores), [model.grads[k] for k in params]

    return cnn_forward_backward


def torch_cnn_pass(x, dscores, params):
    with torch.enable_grad():
        ref = TorchCNN({k: v.numpy() for k, v in params.items()})
        tx = x.detach().to(torch.float64).requires_grad_()
        scores = ref(tx)
        grads = torch.autograd.grad(scores, [tx, *ref.p.values()], dscores.to(torch.float64))
        return scores.detach(), grads[0], list(grads[1:])


def cnn_gate(n):
    def make(rng, dtype):
        sizes = {"W1": (4, 1, 3, 3), "b1": (4,), "W2": (64, 16), "b2": (16,), "W3": (16, 10), "b3": (10,)}
        return (normal(rng, (n, 1, 8, 8), dtype), normal(rng, (n, 10), dtype),
                {k: normal(rng, s, dtype, 0.3) for k, s in sizes.items()}), {}

    return Gate("CNN", f"CNN-{n}x1x8x8", make, cnn_pass, torch_cnn_pass,
                name="CNN(filters=4, hidden=16).forward + backward")


def pooled(side, stride=2, padding=0, **_):
    """Output pixels of a 2x2 pooling along one side."""
    return (side + 2 * padding - 2) // stride + 1


def image_gate(exercise, tag, shape, fn, torch_fn, out_shape=None, **options):
    """A gate whose arguments are an image batch of `shape` and an upstream gradient."""
    def make(rng, dtype):
        return normal(rng, shape, dtype), normal(rng, out_shape or shape, dtype)

    return Gate(exercise, f"{exercise}{tag}-{label(shape)}", make, fn, torch_fn, **options)


# (N, C, H, W, filters): for each axis a loop could run over (the samples, the channels,
# the filters, the output rows, the output columns), a shape where it is long
CONV_SHAPES = [(512, 1, 4, 4, 2), (2, 256, 4, 4, 2), (2, 1, 4, 4, 256), (1, 1, 1024, 4, 2), (1, 1, 4, 1024, 2)]
POOL_SHAPES = [(512, 1, 4, 4), (1, 512, 4, 4), (1, 1, 2048, 4), (1, 1, 4, 2048)]
LOOP_HINT = mistake("conv2d", "pixel_loop")
# Each exercise's limit (max_ratio): between the slowest correct style and the fastest loop
# measured by tests/kit/testing/calibrate_gates.py; the figures and margins (at least 2.3x
# both ways) are in tests/kit/testing/gate_figures.txt.
LIMITS = {
    "pad2d": 14,
    "conv2d": 20,
    "maxpool2d": 25,
    "avgpool2d": 50,
    "flatten": 10,
    "sobel_edges": 30,
    "CNN": 9,
}
SPEED_GATES = limited([
    # np.pad costs ~30 us a call: a loop over the samples needs thousands of them to show
    *[Gate("pad2d", f"pad2d-{label(s)}", lambda rng, dtype, s=s: (normal(rng, s, dtype), 1),
           lambda impl: impl.pad2d, lambda x, pad: F.pad(x, (pad, pad, pad, pad)))
      for s in [(4096, 1, 2, 2), (1, 4096, 2, 2), (1, 1, 2048, 4), (1, 1, 4, 2048)]],
    *[Gate("conv2d", f"conv2d-{label(s[:4])}-f{s[4]}", lambda rng, dtype, s=s: (
        normal(rng, s[:4], dtype), normal(rng, (s[4], s[1], 3, 3), dtype), normal(rng, s[4], dtype),
        normal(rng, (s[0], s[4], *s[2:4]), dtype)), conv_pass, torch_conv_pass,
        name="conv2d_forward + conv2d_backward (3x3, padding 1)", hint=LOOP_HINT) for s in CONV_SHAPES],
    *[image_gate(name, tag, s, pool_pass(name, **options), torch_pool_pass(torch_pool, **options),
                 out_shape=(*s[:2], *(pooled(side, **options) for side in s[2:])),
                 name=f"{name}_forward + {name}_backward (2x2)",
                 hint=LOOP_HINT)
      for name, torch_pool, tag, options in [("maxpool2d", F.max_pool2d, "", {}),
                                             ("avgpool2d", F.avg_pool2d, "", {}),
                                             ("avgpool2d", F.avg_pool2d, "-pad-uncounted",
                                              {"stride": 2, "padding": 1, "count_include_pad": False})]
      for s in POOL_SHAPES],
    *[image_gate("flatten", "", s, flatten_pass, torch_flatten_pass, out_shape=(s[0], math.prod(s[1:])),
                 name="flatten_forward + flatten_backward") for s in [(2048, 2, 2), (1024, 2, 2, 2)]],
    *[Gate("sobel_edges", f"sobel_edges-{label(s)}", lambda rng, dtype, s=s: ((normal(rng, s, dtype),),
           {"padding": 1}), lambda impl: impl.sobel_edges, sobel_reference, hint=LOOP_HINT)
      for s in [(512, 1, 4, 4), (1, 1, 1024, 4), (1, 1, 4, 1024)]],
    cnn_gate(256),
], LIMITS)


@pytest.mark.bench
@pytest.mark.parametrize("gate, dtype", gate_params(SPEED_GATES))
def test_speed(impl, benchmark, gate, dtype):
    run_gate(benchmark, impl, gate, dtype)
