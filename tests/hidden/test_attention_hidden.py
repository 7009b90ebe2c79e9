"""Hidden tests of topic 8 — attention. Never released, never run by `gradeschool check`:
the grader and the instructor's nbgrader run collect them. Property runs draw their
examples from the course's seed (`--course-seed`), longer sequences, more features and
more heads than the public tests draw; edge cases are fixed. In each exercise they cover
they weigh `results.HIDDEN_SHARE` of its points. The checks are the public tests' own
(run_mha, run_block, sdpa_scale, the closed form of the positional encoding)."""

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given, settings

from gradeschool.testing import check_layer, compare, references
from gradeschool.testing.hints import mistake
from gradeschool.testing.public import public_property, public_tests
from gradeschool.testing.references import attention as ra
from gradeschool.testing.strategies import attention as ga
from gradeschool.testing.tolerances import attention as ta

pytestmark = pytest.mark.hidden

PUBLIC = public_tests("attention")
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])

# ---------------------------------------------------------------- the public properties, on the course's examples
EMBEDDING, SDPA, MHA, BLOCK, SKIPGRAM = (public_property("attention", f"test_{name}") for name in (
    "embedding_matches_torch", "scaled_dot_product_attention_matches_torch", "multi_head_attention_matches_torch",
    "transformer_encoder_block_matches_torch", "skipgram_loss_matches_torch"))


@pytest.mark.exercise("embedding")
@settings(max_examples=10)
@given(case=ga.embedding_problems())
def test_embedding_on_the_course_examples(impl, device, case):
    EMBEDDING(impl, device, case)


@pytest.mark.exercise("scaled_dot_product_attention")
@settings(max_examples=10)
@given(case=ga.sdpa_problems(max_len=9, max_features=8))  # the public tests draw up to 5 and 6
def test_scaled_dot_product_attention_on_the_course_examples(impl, device, case):
    SDPA(impl, device, case)


@pytest.mark.exercise("multi_head_attention")
@settings(max_examples=10)
@given(case=ga.mha_problems(max_len=6, max_heads=4))  # the public tests draw up to 4 and 3
def test_multi_head_attention_on_the_course_examples(impl, device, case):
    MHA(impl, device, case)


@pytest.mark.exercise("transformer_encoder_block")
@settings(max_examples=5)
@given(case=ga.encoder_block_problems(max_len=6, max_heads=3, max_ff=8))  # the public tests: 4, 2, 6
def test_transformer_encoder_block_on_the_course_examples(impl, device, case):
    BLOCK(impl, device, case)


@pytest.mark.exercise("skipgram_loss")
@settings(max_examples=10)
@given(case=ga.skipgram_problems())
def test_skipgram_loss_on_the_course_examples(impl, device, case):
    SKIPGRAM(impl, device, case)


# ---------------------------------------------------------------- fixed edge cases
@pytest.mark.exercise("embedding")
@pytest.mark.parametrize("padding_idx", [3, -1], ids=["padding_idx=3", "padding_idx=-1"])
@DTYPES
def test_embedding_padding_at_the_last_row(impl, device, padding_idx, dtype):
    """padding_idx the last row of 4 (3, or -1 counted from the end): its row is looked up
    as any other (torch does not zero it), gets no gradient though used three times, while
    token 1, used twice, gets the sum of its two rows of dout. One sample (N = 1)."""
    W = np.random.default_rng(8).standard_normal((4, 3)).astype(dtype)
    idx = np.array([[3, 1, 3, 0, 1, 3]])
    check_layer(impl.embedding_forward, impl.embedding_backward, F.embedding, idx, W, grad_wrt=[1],
                argnames=["idx", "W"], kwargs={"padding_idx": padding_idx}, device=device,
                scale=ta.DOUT, terms=idx.size,  # dW adds up to 3 rows of dout (|dout| <= DOUT)
                hint=mistake("embedding", "negative_padding_idx") if padding_idx < 0
                else mistake("embedding", "repeated_tokens"))


@pytest.mark.exercise("positional_encoding")
@pytest.mark.parametrize("T, d_model", [(1, 1), (3000, 1), (7, 513)])
@DTYPES
def test_positional_encoding_of_extreme_sizes(impl, T, d_model, dtype):
    """One column (a sine only), one position (sines 0, cosines 1), positions far beyond
    the public tests' 200, and an odd width of 513 whose last column is a sine."""
    got = impl.positional_encoding(T, d_model, dtype=dtype)
    # sin and cos of angles up to T: an angle rounded in the dtype is off by eps * T
    compare(got, ra.sinusoidal_table(T, d_model), call=f"positional_encoding(T={T}, "
            f"d_model={d_model}, dtype={dtype.__name__})", what="PE", dtype=dtype, scale=T,
            hint=mistake("positional_encoding", "odd_width") if d_model % 2
            else mistake("positional_encoding", "columns"))


def sdpa_check(impl, device, q, k, v, mask=None, is_causal=False, hint=None):
    scale, terms = ta.sdpa_scale(q, k, v, mask)
    check_layer(impl.scaled_dot_product_attention_forward, impl.scaled_dot_product_attention_backward,
                references.sdpa_reference, q, k, v, mask, grad_wrt=[0, 1, 2], argnames=["q", "k", "v", "attn_mask"],
                kwargs={"is_causal": is_causal}, device=device, scale=scale, terms=terms, hint=hint)


@pytest.mark.exercise("scaled_dot_product_attention")
@pytest.mark.parametrize("is_causal", [False, True], ids=["plain", "causal"])
@DTYPES
def test_attention_to_a_single_key(impl, device, is_causal, dtype):
    """S = 1: every query's weight is 1 whatever its score (+-1559 here: +-30 in 3 features), so
    out repeats v, and dq = dk = 0 exactly (the softmax's Jacobian of one element is 0)."""
    rng = np.random.default_rng(9)
    q, k = rng.choice([-30.0, 30.0], (2, 5, 3)).astype(dtype), rng.choice([-30.0, 30.0], (2, 1, 3)).astype(dtype)
    sdpa_check(impl, device, q, k, rng.uniform(-2, 2, (2, 1, 4)).astype(dtype), is_causal=is_causal,
               hint=mistake("scaled_dot_product_attention", "softmax_over_keys"))


@pytest.mark.exercise("scaled_dot_product_attention")
@pytest.mark.parametrize("kind", ["bool", "float"])
@DTYPES
def test_a_head_whose_every_query_is_masked(impl, device, kind, dtype):
    """Head 1 of 2 may attend to nothing at all (a boolean mask of False, or -inf, on its
    whole (L, S) block): its output and all its gradients are 0, not NaN; head 0, with
    scores up to 156 (q of +-30), is torch's."""
    rng = np.random.default_rng(10)
    q, k = rng.choice([-30.0, 3.0, 30.0], (2, 4, 3)).astype(dtype), rng.uniform(-3, 3, (2, 5, 3)).astype(dtype)
    opened = np.ones((2, 4, 5), dtype=bool)
    opened[1] = False
    mask = opened if kind == "bool" else np.where(opened, 0.0, -np.inf).astype(dtype)
    sdpa_check(impl, device, q, k, rng.uniform(-2, 2, (2, 5, 2)).astype(dtype), mask,
               hint=mistake("scaled_dot_product_attention", "fully_masked"))


def mha_case(dtype, N, L, S, H, d, E_k, E_v, average, masks=False, seed=12):
    """A cross-attention problem for run_mha: values in [-2, 2], weights in [-1, 1]; with
    `masks`, a boolean attn_mask per sample and head, (N * H, L, S), blocking about half the
    keys but never key 0, and a key_padding_mask on the last key of sample 0."""
    rng = np.random.default_rng(seed)
    E = H * d
    am = kpm = None
    if masks:
        am = rng.random((N * H, L, S)) < 0.5
        am[..., 0] = False
        kpm = np.zeros((N, S), dtype=bool)
        kpm[0, -1] = True
    shapes = {"W_q": (E, E), "b_q": (E,), "W_k": (E_k, E), "b_k": (E,), "W_v": (E_v, E), "b_v": (E,),
              "W_o": (E, E), "b_o": (E,)}
    return dict(query=rng.uniform(-2, 2, (N, L, E)).astype(dtype), key=rng.uniform(-2, 2, (N, S, E_k)).astype(dtype),
                value=rng.uniform(-2, 2, (N, S, E_v)).astype(dtype), num_heads=H,
                params={k: rng.uniform(-1, 1, s).astype(dtype) for k, s in shapes.items()},
                key_padding_mask=kpm, attn_mask=am, average_attn_weights=average, self_attention=False)


@pytest.mark.exercise("multi_head_attention")
@pytest.mark.parametrize("sizes", [dict(N=2, L=4, S=1, H=2, d=2, E_k=3, E_v=5, average=True),
                                   dict(N=1, L=3, S=5, H=1, d=4, E_k=4, E_v=4, average=False),
                                   dict(N=2, L=3, S=2, H=4, d=1, E_k=2, E_v=4, average=True),
                                   dict(N=3, L=3, S=4, H=2, d=2, E_k=4, E_v=4, average=False, masks=True)],
                         ids=["key-length-1", "one-head", "head-size-1", "per-head-masks"])
@DTYPES
def test_multi_head_attention_of_extreme_sizes(impl, device, sizes, dtype):
    """Cross-attention on one key (weights 1: out does not depend on the query), one head
    (nothing to average, weights per head asked for), and heads of one feature each
    (E = H: a reshape without the transpose mixes them), key and value of other widths, and
    a boolean mask per sample and head (True = may NOT attend, index n * H + h, as torch)
    over three samples, with padding."""
    PUBLIC.run_mha(impl, mha_case(dtype, **sizes), device)


@pytest.mark.exercise("transformer_encoder_block")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@DTYPES
def test_transformer_encoder_block_on_one_token(impl, device, norm_first, activation, dtype):
    """T = 1: self-attention of one token is its value projection (weight 1), so the block
    is layernorm, dense layers and residuals only; both norm modes and activations."""
    case = ga.block_case(dtype, norm_first, activation, seed=13, T=1)
    case["src_key_padding_mask"] = None  # block_case pads the last token of sample 1: with T = 1, all of it
    PUBLIC.run_block(impl, case, device)
