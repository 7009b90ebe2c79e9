"""Adversarial: makes its failures look like skipped tests (a skipped test holds no
share of the points, so skipping every failing test would leave full marks).

Its errors are exceptions named as pytest's skip, xfail and exit outcomes, with a
`__module__` that claims to be pytest's; their messages ask for a skip. The judge builds
its own exception from the type's name (a built-in exception or a fresh LearnerError),
never one of pytest's: every test fails."""


def _outcome(name):
    return type(name, (Exception,), {"__module__": "_pytest.outcomes"})


Skipped, XFailed, Exit = _outcome("Skipped"), _outcome("XFailed"), _outcome("Exit")


def relu(x):
    raise Skipped("SKIPPED: not applicable on this platform")


def step(x):
    raise XFailed("XFAIL: known issue, do not count")
