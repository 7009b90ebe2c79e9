"""Hypothesis strategies of the backprop topic (backward passes and MLPs)."""

from hypothesis import strategies as st

from gradeschool.testing.strategies import arrays


@st.composite
def dense_args(draw, dtype, max_batch: int = 8, max_features: int = 8):
    """(x, W, b) for a dense layer: x (N, D_in), W (D_in, D_out), b (D_out,), sides from 1."""
    n, d_in, d_out = (draw(st.integers(1, m)) for m in (max_batch, max_features, max_features))
    return (draw(arrays(dtype, (n, d_in))), draw(arrays(dtype, (d_in, d_out))), draw(arrays(dtype, (d_out,))))


def activation_inputs(dtype, shape):
    """Inputs of an activation: moderate values, exact zeros (where a ReLU-like derivative
    jumps) and now and then +-30 and +-1e3 (saturation, overflow of a naive exp)."""
    return arrays(dtype, shape, -6.0, 6.0, extremes=(0.0, 0.0, 30.0, -30.0, 1e3, -1e3))


mlp_sizes = st.lists(st.integers(1, 6), min_size=2, max_size=4)
