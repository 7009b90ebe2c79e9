"""Tolerances of topic 7 (lstm): the float32 error scale and the length of the sums of a
recurrent problem (sizes_of), for cells and whole sequences alike."""

from __future__ import annotations

DOUT_SIZE = 4.0  # the upstream gradients are standard normal: |dout| < 4 in practice


def sizes_of(problem, gates):
    """(scale, terms) for the tolerance of a recurrent problem.

    scale: the size of the numbers that meet in a sum. Forward, a preactivation adds
    products x * W and h * W and a bias; backward, the gradients are products of the
    upstream gradient (|dout| < 4 per output; up to T of them accumulate into one step's
    gradient, one per later hidden state), a gate derivative (<= 1; the forget gate's is
    multiplied by c_prev, the GRU's update gate's by h_prev - n) and an input, a state or
    a weight. terms: the length of the sums, D + G*H per step forward and G*H backward,
    chained along the T steps of the recurrence; the weight gradients add N*T products."""
    ax, aw = problem.magnitude("x"), problem.magnitude("Wx", "Wh")
    ab = problem.magnitude(*[n for n in problem.names if n.startswith("b")])
    states = [n for n in problem.names if n[0] in "hc" and n != "x"]
    ah = max([problem.magnitude(n) for n in states] + [1.0 + problem.t])  # |c_t| <= |c_0| + t
    scale = max(ax * aw + ah * aw + ab, DOUT_SIZE * problem.t * max(ax, ah, aw) * max(ah, aw, 1.0))
    terms = max(problem.t * (problem.d + gates * problem.h + 1), problem.n * problem.t)
    return scale, terms
