"""The oracle (gradeschool.testing.oracle, .snapshots): every argument is snapshotted before
the learner's call, keyword arguments and arrays inside containers included; an input
changed in place fails with its name; the reference is computed from the snapshots; and
one tolerance rule accepts every correct form of softmax while rejecting wrong ones."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradeschool.testing.oracle import LearnerFailure, check_forward, check_layer, check_loss, tolerance
from gradeschool.testing.snapshots import first_change, snapshot

pytestmark = pytest.mark.kit


def scale_weight_in_place(logits, y, weight=None, reduction="mean"):
    """A cross-entropy that normalises the caller's class weights in place, then computes
    the right value for the weights it now holds."""
    weight /= weight.sum()
    return F.cross_entropy(torch.tensor(logits), torch.tensor(y), weight=torch.tensor(weight)).numpy(), \
        np.zeros_like(logits)


def test_a_keyword_argument_changed_in_place_fails_by_name():
    logits, y = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 1, 2, 1])
    with pytest.raises(LearnerFailure, match=r"modified its input `weight` in place"):
        check_loss(scale_weight_in_place, F.cross_entropy, logits, y, kwargs={"weight": np.array([1.0, 2.0, 3.0])})


def test_an_array_inside_a_list_changed_in_place_fails_by_name():
    def forward(x, weights):
        weights[1] *= 2
        return x @ weights[0] @ weights[1]

    x, weights = np.ones((2, 3)), [np.ones((3, 3)), np.ones((3, 1))]
    with pytest.raises(LearnerFailure, match=r"`weights\[1\]`"):
        check_forward(forward, lambda x, ws: x @ ws[0] @ ws[1], x, weights, argnames=["x", "weights"])


def test_the_reference_is_computed_from_the_snapshots():
    """A function that halves its input in place and returns the half: the untouched check
    fails it, and even without that check the reference (from the snapshot) would differ."""
    def halve(x):
        x *= 0.5
        return x.copy()

    seen = []

    def reference(t):
        seen.append(t.clone())
        return t * 0.5

    x = np.array([2.0, 4.0])
    with pytest.raises(LearnerFailure, match="modified its input `x` in place"):
        check_forward(halve, reference, x, argnames=["x"])
    assert not seen, "the untouched check runs before the reference"
    check_forward(lambda x: x * 0.5, reference, np.array([2.0, 4.0]), argnames=["x"])
    assert seen[-1].tolist() == [2.0, 4.0]


def test_an_input_changed_through_the_cache_in_backward_fails():
    def forward(x):
        return x * 2, x

    def backward(dout, cache):
        cache[...] = 0  # the cache is the caller's x
        return dout * 2

    with pytest.raises(LearnerFailure, match="through the cache"):
        check_layer(forward, backward, lambda t: t * 2, np.ones(3), grad_wrt=[0], argnames=["x"])


def test_snapshots_are_deep_and_name_the_first_change():
    value = {"W": np.ones(2), "layers": [np.zeros(1), (np.ones(1),)]}
    before = snapshot(value)
    value["layers"][1][0][0] = 5
    assert first_change(value, before, "params") == "params['layers'][1][0]"
    value["layers"].append(np.ones(1))
    assert first_change(value, before, "params") == "params['layers']"


def softmax_lse(x, axis=-1):
    """exp(x - logsumexp(x)): correct, and the one that loses float32 digits at 1e4."""
    m = x.max(axis=axis, keepdims=True)
    return np.exp(x - (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))))


def softmax_tolerance(x):
    return dict(scale=1.0, rscale=float(np.abs(x).max(initial=1.0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_tolerance_rule_accepts_exp_of_x_minus_logsumexp_at_1e4(dtype):
    x = np.array([[1e4, 1e4 - 3, 1e4 - 7, -1e4], [1e3, 999.0, 0.0, 1.0]], dtype)
    check_forward(softmax_lse, torch.softmax, x, argnames=["x"], kwargs={"axis": -1}, torch_kwargs={"dim": -1},
                  terms=4, **softmax_tolerance(x))


def test_the_tolerance_rule_still_rejects_a_wrong_softmax():
    """Reducing the wrong axis, or a missing max shift, stays far outside the rule."""
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32) * 5

    def wrong_axis(x, axis=-1):
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    with pytest.raises(LearnerFailure):
        check_forward(wrong_axis, torch.softmax, x, argnames=["x"], kwargs={"axis": -1}, torch_kwargs={"dim": -1},
                      terms=4, **softmax_tolerance(x))
    big = np.array([1e4, 1e4 - 1], np.float32)
    with pytest.raises(LearnerFailure), np.errstate(over="ignore", invalid="ignore"):
        check_forward(lambda x: np.exp(x) / np.exp(x).sum(), lambda t: torch.softmax(t, -1), big, argnames=["x"],
                      terms=2, **softmax_tolerance(big))


def test_tolerance_grows_with_scale_rscale_and_terms():
    rtol, atol = tolerance(np.float32)
    assert tolerance(np.float32, scale=100) == (rtol, 100 * atol)
    assert tolerance(np.float32, rscale=100) == (100 * rtol, atol)
    assert tolerance(np.float32, terms=16) == (4 * rtol, 4 * atol)
    assert tolerance(np.float64)[0] < 1e-13 < tolerance(np.float32)[0]
