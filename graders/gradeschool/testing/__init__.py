"""What the kit's tests are built from: the torch oracle, Hypothesis strategies, profiles,
and the side-by-side speed gate. Topic tests import from here and stay a line or two each."""

from gradeschool.testing.oracle import LearnerFailure, check_forward, check_layer, check_loss, compare
from gradeschool.testing.speed import assert_speed

__all__ = [
    "LearnerFailure",
    "assert_speed",
    "check_forward",
    "check_layer",
    "check_loss",
    "compare",
]
