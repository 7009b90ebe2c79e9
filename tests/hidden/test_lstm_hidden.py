"""Hidden tests of topic 7 — lstm. Never released, never run by `gradeschool check`: the
grader and the instructor's nbgrader run collect them. Property runs draw their examples
from the course's seed (`--course-seed`), longer sequences and wider layers than the
public tests draw; edge cases are fixed. In each exercise they cover they weigh
`results.HIDDEN_SHARE` of its points. The checks are the public tests' own
(check_recurrent, sizes_of, torch's modules as the oracle)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradeschool.testing.hints import mistake
from gradeschool.testing.public import public_property, public_tests
from gradeschool.testing.references import lstm as rl
from gradeschool.testing.strategies import lstm as ls
from gradeschool.testing.tolerances import lstm as tl

pytestmark = pytest.mark.hidden

PUBLIC = public_tests("lstm")
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
WIDE = dict(max_n=5, max_t=9, max_d=6, max_h=6)  # the public tests draw up to 3, 4, 4, 4

# ---------------------------------------------------------------- the public properties, on the course's examples
RNN_CELL, RNN, LSTM_CELL, LSTM, GRU_CELL, NORMS = (public_property("lstm", f"test_{name}") for name in (
    "rnn_cell_matches_torch", "rnn_matches_torch", "lstm_cell_matches_torch", "lstm_matches_torch",
    "gru_cell_matches_torch", "gradient_norms_match_autograd"))


@pytest.mark.exercise("rnn_cell")
@settings(max_examples=10)
@given(problem=ls.recurrent_problems("rnn", sequence=False, **WIDE))
def test_rnn_cell_on_the_course_examples(impl, device, problem):
    RNN_CELL(impl, device, problem)


@pytest.mark.exercise("rnn_sequence")
@settings(max_examples=10)
@given(problem=ls.recurrent_problems("rnn", sequence=True, **WIDE), final=st.booleans())
def test_rnn_on_the_course_examples(impl, device, problem, final):
    RNN(impl, device, problem, final)


@pytest.mark.exercise("lstm_cell")
@settings(max_examples=10)
@given(problem=ls.recurrent_problems("lstm", sequence=False, **WIDE))
def test_lstm_cell_on_the_course_examples(impl, device, problem):
    LSTM_CELL(impl, device, problem)


@pytest.mark.exercise("lstm_sequence")
@settings(max_examples=10)
@given(problem=ls.recurrent_problems("lstm", sequence=True, **WIDE),
       final=st.sampled_from(["both", "h", "c", "none"]))
def test_lstm_on_the_course_examples(impl, device, problem, final):
    LSTM(impl, device, problem, final)


@pytest.mark.exercise("gru_cell")
@settings(max_examples=10)
@given(problem=ls.recurrent_problems("gru", sequence=False, **WIDE))
def test_gru_cell_on_the_course_examples(impl, device, problem):
    GRU_CELL(impl, device, problem)


@pytest.mark.exercise("gradient_norms_over_time")
@settings(max_examples=10)
@given(case=ls.gradient_norm_problems(max_n=4, max_t=12, max_d=5, max_h=6))
def test_gradient_norms_on_the_course_examples(impl, case):
    NORMS(impl, case)


# ---------------------------------------------------------------- fixed edge cases
# kind: (forward, backward, torch's, outputs, gates, the hints of the forward and backward mistakes)
LAYERS = {
    "rnn_cell": ("rnn_cell_forward", "rnn_cell_backward", rl.torch_rnn_cell, ["h_next"], 1,
                 mistake("rnn_cell", "weight_layout"), mistake("rnn_cell", "tanh_grad")),
    "rnn": ("rnn_forward", "rnn_backward", rl.torch_rnn, ["h", "h_T"], 1,
            mistake("rnn_sequence", "states"), mistake("rnn_sequence", "bptt")),
    "lstm_cell": ("lstm_cell_forward", "lstm_cell_backward", rl.torch_lstm_cell, ["h_next", "c_next"], 4,
                  mistake("lstm_cell", "gates"), mistake("lstm_cell", "cell_grad")),
    "lstm": ("lstm_forward", "lstm_backward", rl.torch_lstm, ["h", "h_T", "c_T"], 4,
             mistake("lstm_sequence", "states"), mistake("lstm_sequence", "bptt")),
    "gru_cell": ("gru_cell_forward", "gru_cell_backward", rl.torch_gru_cell, ["h_next"], 3,
                 mistake("gru_cell", "reset_on_hidden_part"), mistake("gru_cell", "grad_paths")),
}


def fixed_problem(layer, n, t, d, h, dtype, seed=0, Wh=None, biases=None):
    """A recurrent problem of `layer` (a key of LAYERS) in the order of its forward's
    arguments: values uniform in [-1, 1], unless Wh or the biases ({name: array}) are given."""
    rng = np.random.default_rng(seed)
    kind, sequence = layer.removesuffix("_cell"), not layer.endswith("_cell")
    g = ls.GATES[kind]
    names = ["x", "h0" if sequence else "h_prev"] + (["c0" if sequence else "c_prev"] if kind == "lstm" else []) \
        + ["Wx", "Wh"] + (["bx", "bh"] if kind == "gru" else ["b"])
    shapes = {"x": (n, t, d) if sequence else (n, d), "Wx": (d, g * h), "Wh": (h, g * h)}
    given_values = {"Wh": Wh, **(biases or {})}
    args = [np.asarray(given_values[name] if given_values.get(name) is not None
                       else rng.uniform(-1, 1, shapes.get(name, (g * h,) if name.startswith("b") else (n, h))),
                       dtype=dtype) for name in names]
    return ls.Problem(kind, args, names, n, t if sequence else 1, d, h)


def check(impl, device, layer, problem):
    forward, backward, torch_fn, outputs, gates, hint, grad_hint = LAYERS[layer]
    scale, terms = tl.sizes_of(problem, gates)
    PUBLIC.check_recurrent(getattr(impl, forward), getattr(impl, backward), torch_fn, problem, outputs, device,
                           scale, terms, hint=hint, grad_hint=grad_hint)


@pytest.mark.parametrize("layer", [pytest.param("rnn_cell", marks=pytest.mark.exercise("rnn_cell")),
                                   pytest.param("rnn", marks=pytest.mark.exercise("rnn_sequence")),
                                   pytest.param("lstm_cell", marks=pytest.mark.exercise("lstm_cell")),
                                   pytest.param("lstm", marks=pytest.mark.exercise("lstm_sequence")),
                                   pytest.param("gru_cell", marks=pytest.mark.exercise("gru_cell"))])
@DTYPES
def test_one_sample_one_step_one_hidden_unit(impl, device, layer, dtype):
    """N = 1, T = 1, H = 1 (and D = 2): every (N, H) array is 1x1, where a squeeze, a
    broadcast against the wrong axis or a product in the wrong order goes unnoticed by
    the shapes alone; a sequence of one step is one cell step."""
    check(impl, device, layer, fixed_problem(layer, n=1, t=1, d=2, h=1, dtype=dtype, seed=1))


def long_memory(layer, dtype, t=40, h=3):
    """T = 40 steps over which the state survives: an LSTM whose forget gates are open and
    input gates shut (biases +20 and -20 against at most 5 from inputs and states: c_T is
    c0 to within 40 * 2 * sigmoid(-15) < 3e-5), an RNN whose recurrent weights are 0.95 times an orthogonal matrix
    (what reaches h0 shrinks by at most 0.95 per step, and by tanh'); inputs in [-1, 1]."""
    if layer == "lstm":
        b = np.zeros(4 * h)
        b[:h], b[h:2 * h] = -20.0, 20.0
        return fixed_problem(layer, 2, t, 2, h, dtype, seed=3, biases={"b": b})
    Q, _ = np.linalg.qr(np.random.default_rng(4).standard_normal((h, h)))
    return fixed_problem(layer, 2, t, 2, h, dtype, seed=3, Wh=0.95 * Q, biases={"b": np.zeros(h)})


@pytest.mark.parametrize("layer", [pytest.param("rnn", marks=pytest.mark.exercise("rnn_sequence")),
                                   pytest.param("lstm", marks=pytest.mark.exercise("lstm_sequence"))])
@DTYPES
def test_gradients_reach_the_start_of_a_long_sequence(impl, device, layer, dtype):
    """dh0 (and dc0) of a 40-step sequence that remembers its start: BPTT truncated or cut
    short anywhere along the way, or a running gradient not carried, loses what reaches
    the first steps."""
    check(impl, device, layer, long_memory(layer, dtype))


@pytest.mark.exercise("gru_cell")
@pytest.mark.parametrize("gate, value", [("r", -40.0), ("z", 40.0)], ids=["reset=0", "update=1"])
@DTYPES
def test_gru_cell_with_a_saturated_gate(impl, device, gate, value, dtype):
    """A reset gate of 0 switches off the whole hidden part of the candidate, b_hn included
    (n = tanh(x @ Wx_n + bx_n)); an update gate of 1 keeps the old state (h_next = h_prev,
    dh_prev = dh_next). Forward and backward, with b_hn = 2."""
    H = 3
    bx, bh = np.random.default_rng(6).uniform(-1, 1, (2, 3 * H))
    block = "rz".index(gate)
    bx[block * H:(block + 1) * H] = value
    bh[2 * H:] = 2.0
    check(impl, device, "gru_cell", fixed_problem("gru_cell", 2, 1, 2, H, dtype, seed=5, biases={"bx": bx, "bh": bh}))
