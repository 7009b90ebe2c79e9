"""Error-scale estimates for the topics' tolerances: how large the numbers are that meet
in the sums behind a result, so that `oracle.tolerance(dtype, scale, terms)` (the rule
itself, shared by every topic) allows the rounding a correct float32 implementation
makes and nothing more. One module per topic (`tolerances.<topic>`), beside the torch
references they go with (`gradeschool.testing.references.<topic>`); bounds are derived,
never tuned to get green."""
