"""Signed sample reports for the leaderboard's tests (imported by them: pytest puts this
folder on sys.path), made the way `gradeschool grade` makes them
(gradeschool.grading.outputs.build_report), then signed with a test key."""

from __future__ import annotations

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.results import TestResult
from gradeschool.grading.outputs import build_report, environment, sign_report

KEY = b"test-key-not-a-secret"
CATALOGUE = load_catalogue()
EXERCISES = [CATALOGUE.exercise(n) for n in ("relu", "softmax", "log_softmax")]
SANDBOX = {"tool": "bubblewrap", "version": "0.11.0", "mode": "root"}


def make_report(solved: list[str], ratio: float | None, created: str, pseudonym: str | None = None,
                label: str = "/home/someone/real-name", key: bytes = KEY, exercises=None,
                sandbox: dict = SANDBOX, extra: dict | None = None) -> dict:
    """A signed report: per exercise a correctness test (weight 2) and a speed test
    (weight 1) that measured `ratio`. `pseudonym` binds it (the signed field the course
    workflow writes); None leaves it unbound."""
    results = []
    for e in exercises or EXERCISES:
        ok = "passed" if e.name in solved else "failed"
        results += [TestResult(f"tests/test_x.py::test_{e.name}[cpu]", e.name, e.topic, 2.0, ok),
                    TestResult(f"tests/test_x.py::test_speed[{e.name}]", e.name, e.topic, 1.0, ok,
                               speed_ratio=ratio)]
    body = build_report(results, list(exercises or EXERCISES), label, env=environment(sandbox=sandbox))
    body["created"] = created
    if pseudonym is not None:
        body["pseudonym"] = pseudonym
    body.update(extra or {})
    return sign_report(body, key)


def resign(report: dict, key: bytes = KEY) -> dict:
    """`report` signed again after an edit (what only a holder of the key can do)."""
    return sign_report({k: v for k, v in report.items() if k != "signature"}, key)
