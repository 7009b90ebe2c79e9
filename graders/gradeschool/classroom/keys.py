"""The course key in CI. `gradeschool.grading.signing` falls back to a random key kept in
the kit when $GRADESCHOOL_KEY is unset: right for one person grading on their machine,
wrong in CI, where a missing secret arrives as an empty variable and every report would
be signed with a key nobody else has (the leaderboard then rejects them all, silently).
Every CI step that signs or verifies asks for the key here first."""

from __future__ import annotations

import os

from gradeschool.grading.signing import KEY_ENV


class MissingKey(RuntimeError):
    """$GRADESCHOOL_KEY is unset or empty where the course key is required."""


def require_key(what: str) -> bytes:
    """The course key from $GRADESCHOOL_KEY; raises MissingKey when it is unset or blank."""
    key = os.environ.get(KEY_ENV, "")
    if not key.strip():
        state = "empty" if KEY_ENV in os.environ else "not set"
        raise MissingKey(f"{what}: ${KEY_ENV} is {state}. In CI it must hold the course's signing key "
                         f"(the repository secret {KEY_ENV}); a missing secret arrives as an empty "
                         "variable. Refusing to sign or verify with a key made up on this machine.")
    return key.encode("utf-8")
