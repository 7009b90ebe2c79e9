"""The lstm and attention topics' kit tests: the teaching pictures drawn from the reference
solution's layers, the reversal data, and torch's behaviour that the attention rule
follows (torch 2.13)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from gradeschool.core.paths import solutions_dir
from gradeschool.datasets import load_reversal
from gradeschool.pictures.attention import anti_diagonal
from gradeschool.testing import compare, references
from gradeschool.testing.strategies import attention as attention_strategies
from gradeschool.testing.strategies import lstm as lstm_strategies

pytestmark = pytest.mark.kit
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.lstm
@pytest.mark.skipif(not (solutions_dir() / "lstm.py").is_file(), reason="draws with the reference solution's layers")
def test_gradient_norms_picture(tmp_path):
    from gradeschool.harness.mutants import solution
    from gradeschool.pictures.lstm import gradient_norms_from_sequences, plot_gradient_norms

    sol = solution("lstm")
    functions = dict(rnn_forward=sol.rnn_forward, rnn_backward=sol.rnn_backward, lstm_forward=sol.lstm_forward,
                     lstm_backward=sol.lstm_backward, clip_grad_norm=sol.clip_grad_norm)
    path, curves = plot_gradient_norms(tmp_path / "gradient-norms.png", **functions)
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 5000
    vanish, explode, alive = curves["rnn 0.5"], curves["rnn 1.5"], curves["lstm"]
    assert vanish[0] < 1e-8 * vanish[-1] and explode[0] > 10 * explode[-1] and 1e-2 < alive[0] / alive[-1] < 10
    clipped = curves["clipped"]
    assert np.all(clipped <= 1.0 + 1e-9) and curves["raw"][-1] > 10, curves
    # The picture's norms (prefix runs of the sequence functions) agree with the exercise's.
    p = lstm_strategies.lesson_problem(T=12)
    for cell, weights in (("rnn", (p["rnn_Wx"], 1.5 * p["Q"], np.zeros(16))),
                          ("lstm", (p["lstm_Wx"], p["lstm_Wh"], p["lstm_b"]))):
        forward, backward = functions[f"{cell}_forward"], functions[f"{cell}_backward"]
        norms = gradient_norms_from_sequences(p["x"], *weights, p["dh_T"], forward, backward, cell)
        compare(norms, sol.gradient_norms_over_time(p["x"], *weights, p["dh_T"], cell=cell), call=cell,
                terms=12 * 64)


@pytest.mark.attention
def test_torch_sdpa_gives_zeros_for_a_fully_masked_query_too():
    """Documents torch's behaviour that the kit's rule follows (torch 2.13): F.scaled_dot_
    product_attention's output and gradients are those of the kit's reference."""
    q, k, v, mask = attention_strategies.fully_masked_case(np.float64, "bool")
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask))
    sq, sk, sv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ref = references.sdpa_reference(sq, sk, sv, torch.tensor(mask))
    torch.testing.assert_close(out, ref)
    dout = torch.randn(out.shape, dtype=torch.float64)
    for a, b in zip(torch.autograd.grad(out, (tq, tk, tv), dout), torch.autograd.grad(ref, (sq, sk, sv), dout),
                    strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.attention
def test_reversal_data_is_held_out():
    x_train, y_train, x_test, y_test = load_reversal(n_train=512, n_test=300, length=3, vocab_size=10)
    assert x_train.shape == (512, 3) and x_test.shape == (300, 3) and x_train.dtype == np.int64
    assert np.array_equal(y_train, x_train[:, ::-1]) and np.array_equal(y_test, x_test[:, ::-1])
    train = {r.tobytes() for r in x_train}
    assert not any(r.tobytes() in train for r in x_test) and len({r.tobytes() for r in x_test}) == 300
    assert load_reversal(n_train=4, n_test=50, length=1, vocab_size=3)[2].shape[0] <= 3  # what is left to hold out


@pytest.mark.attention
@pytest.mark.skipif(not (solutions_dir() / "attention.py").is_file(),
                    reason="draws the attention of the reference solution's TinyTransformer")
def test_attention_picture_shows_the_reversal(tmp_path):
    from gradeschool.harness.mutants import solution
    from gradeschool.pictures.attention import plot_attention_maps, plot_model_attention

    x_train, y_train, x_test, y_test = load_reversal()
    model = solution("attention").TinyTransformer(**attention_strategies.CAPSTONE)
    with threadpool_limits(limits=1):
        model.fit(x_train, y_train, **attention_strategies.CAPSTONE_FIT)
    maps = model.attention_maps(x_test)
    mass, argmax = anti_diagonal(maps)
    # measured at seed 0: 57% of the weight on the anti-diagonal (its two neighbours hold most of the rest), the
    # largest weight of 99.8% of the rows; over seeds 1-4, post- and pre-norm: 50-64% and 93-100%
    assert mass > 0.45 and argmax > 0.9, (mass, argmax)
    path = plot_model_attention(tmp_path / "attention.png", model, x_test[:200])
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 5000
    assert plot_attention_maps(tmp_path / "one.png", np.eye(3)).read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="P, L, S"):
        plot_attention_maps(tmp_path / "bad.png", np.zeros(3))
