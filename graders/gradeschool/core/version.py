"""The kit's version, as reports, notebooks, packages and the leaderboard record it."""

from __future__ import annotations

UNKNOWN = "0+unknown"


def kit_version() -> str:
    """The installed distribution's version (UNKNOWN when the package is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradeschool")
    except PackageNotFoundError:
        return UNKNOWN
