"""Hypothesis profiles.

- grading: derandomized, so every student (and CI) sees the same cases; no example database.
- dev: random cases for maintainers hunting for a counter-example; keeps the database.
- mutants: grading without shrinking; a mutant only needs to be caught, not minimised.
"""

from hypothesis import HealthCheck, Phase, settings

_common = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=False,
)

# Grading stops at the first bug and skips the explain phase: a learner reads one shrunk
# counter-example, and explaining it cost 15 s of a 16 s failing test (0.4 s without).
settings.register_profile(
    "grading",
    derandomize=True,
    database=None,
    max_examples=30,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    **_common,
)
settings.register_profile("dev", derandomize=False, max_examples=100, **_common)
settings.register_profile(
    "mutants",
    derandomize=True,
    database=None,
    max_examples=30,
    phases=[Phase.explicit, Phase.generate],
    **_common,
)

PROFILES = ("grading", "dev", "mutants")
