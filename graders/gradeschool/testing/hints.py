"""Teaching text is written once, in the catalogue: a test that wants a hint for a typical
mistake names it, `hint=mistake("softmax", "overflow")`, and the text lives in the
exercise's `[exercise.mistakes]` table of core/catalogue/<topic>.toml, beside the
progressive hints that `gradeschool hint` shows."""

from __future__ import annotations

from gradeschool.core.catalogue import load_catalogue


def mistake(exercise: str, key: str) -> str:
    """The catalogue's hint for the mistake `key` of `exercise` (KeyError if there is none)."""
    return load_catalogue().exercise(exercise).mistake(key)
