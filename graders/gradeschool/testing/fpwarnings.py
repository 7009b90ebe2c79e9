"""Floating-point warnings raised by learner code fail the test that triggered them.

NumPy warns (RuntimeWarning) when a computation overflows, divides by zero or produces an
invalid value, and goes on with inf or nan. A result that happens to compare equal after
such a warning (a sigmoid whose exp overflowed to inf, 1 / inf = 0) is still the unstable
code the docstring warned about, so the warning itself is the failure: the message names
the warning and the learner's line.

A warning is the learner's when NumPy attributes it to a file outside the installed
packages, the standard library, this package and the kit's tests (the learner's module,
or a notebook cell); the kit's own NumPy code and torch never fail a test this way, and
other warnings pass through untouched."""

from __future__ import annotations

import contextlib
import linecache
import sysconfig
import warnings
from pathlib import Path

from gradeschool.core.paths import PACKAGE_DIR, tests_dir
from gradeschool.testing.oracle import LearnerFailure

KINDS = {  # words in NumPy's message -> what usually causes it
    "overflow": "a number grew past the largest float (exp of a large number?): rewrite the formula "
                "so that exp only sees values <= 0, e.g. with exp(-|x|) or by subtracting the maximum.",
    "divide by zero": "a division by zero or log(0): keep denominators and log arguments away from 0 "
                      "(rewrite the formula, or clip by a tiny amount where the docstring allows it).",
    "invalid value": "an invalid operation (inf - inf, 0 / 0, inf * 0, sqrt or log of a negative): an "
                     "earlier overflow often causes it; rewrite the formula so that no step leaves the "
                     "finite range.",
}


def _library_dirs() -> list[Path]:
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return [Path(p).resolve() for p in paths] + [PACKAGE_DIR.resolve(), tests_dir().resolve()]


def is_learner_file(filename: str) -> bool:
    """Whether a warning attributed to `filename` comes from learner code."""
    if not filename or filename.startswith("<frozen"):
        return False
    path = Path(filename)
    if not path.is_absolute():  # "<string>", "<ipython-input-...>": code typed by the learner
        return True
    path = path.resolve()
    return not any(d == path or d in path.parents for d in _library_dirs())


def is_fp_warning(w: warnings.WarningMessage) -> bool:
    return issubclass(w.category, RuntimeWarning) and any(k in str(w.message) for k in KINDS)


def describe(w: warnings.WarningMessage, call: str | None = None) -> str:
    """The learner-facing text of one floating-point warning."""
    line = linecache.getline(w.filename, w.lineno).strip()
    where = f"{Path(w.filename).name} line {w.lineno}" + (f": `{line}`" if line else "")
    kind = next(k for k in KINDS if k in str(w.message))
    head = [call] if call else []
    return "\n".join([*head, f"  NumPy warned `RuntimeWarning: {w.message}` at {where}",
                      "  (NumPy goes on with inf or nan: a warning is a failure even when the result looks right)",
                      f"  hint: {KINDS[kind]}"])


@contextlib.contextmanager
def fail_on_fp_warnings(call: str | None = None):
    """Raise LearnerFailure if learner code warns about a floating-point problem inside
    the block (the first such warning is described); other warnings are re-emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    learner = None
    for w in caught:
        if learner is None and is_fp_warning(w) and is_learner_file(w.filename):
            learner = w
        elif not (is_fp_warning(w) and is_learner_file(w.filename)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                   module=None, registry=None, source=w.source)
    if learner is not None:
        raise LearnerFailure(describe(learner, call))


__all__ = ["fail_on_fp_warnings", "is_learner_file", "describe"]
