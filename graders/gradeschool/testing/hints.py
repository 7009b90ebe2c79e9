"""Which hint a failure shows, and the generic diagnoses.

Teaching text is written once, in the catalogue: a test that wants a hint for a typical
mistake names it, `hint=mistake("softmax", "overflow")`, and the text lives in the
exercise's `[exercise.mistakes]` table of core/catalogue/<topic>.toml, beside the
progressive hints that `gradeschool hint` shows.

The selection rule (testing/oracle.compare applies it):
1. What is visibly wrong with the result comes first, whatever the test's hint: not a
   NumPy array (`type_hint`: a list, a Python float), the wrong dtype (`dtype_hint`: an
   integer conversion, an upcast to float64), the wrong shape (`shape_hint`: transposed,
   an axis too many or missing, padded or reduced along the wrong axes), an input changed
   in place (MODIFIED_INPUT), a non-finite value where the reference is finite
   (NON_FINITE: an overflow). A floating-point warning raised by the learner's code fails
   before any comparison (gradeschool.testing.fpwarnings).
2. Only a value mismatch of the right type, dtype and shape shows the test's own hint:
   the mistake the test was written to catch (`value_hint`).
3. A failure with no hint at all gets the exercise's first catalogue hint from the
   learner loop (gradeschool.learner.check.render_check).

Hints name the idea and the NumPy tool, and stop short of the finished line of code."""

from __future__ import annotations

import numpy as np

from gradeschool.core.catalogue import load_catalogue

MODIFIED_INPUT = ("Work on a copy: np.maximum(x, 0) or x * mask return new arrays, while x[...] = v, "
                  "x += v and np.clip(x, ..., out=x) overwrite the caller's array.")
NON_FINITE = ("got a non-finite value where torch's is finite: something overflowed (exp of a large "
              "number?) or divided by zero.")


def mistake(exercise: str, key: str) -> str:
    """The catalogue's hint for the mistake `key` of `exercise` (KeyError if there is none)."""
    return load_catalogue().exercise(exercise).mistake(key)


def type_hint(value) -> str:
    """Why a result that is not a NumPy array is one, and what to return instead."""
    if isinstance(value, list | tuple):
        return (f"a Python {type(value).__name__} is not an array: .tolist(), a list comprehension or "
                "appending in a loop builds one. Compute on whole arrays and return the array.")
    if isinstance(value, bool | int | float | complex):
        return (f"a Python {type(value).__name__} loses the dtype (float(...), .item() and math.* give "
                "one): return a NumPy scalar or array, e.g. a reduction such as x.sum() keeps the dtype.")
    if value is None:
        return "nothing was returned: is a `return` missing?"
    return "Return NumPy arrays (and NumPy scalars for scalar results) of the input's dtype."


def dtype_hint(got, expected) -> str:
    """The likely cause of a result in dtype `got` where `expected` was due."""
    got, expected = np.dtype(got), np.dtype(expected)
    if got.kind in "iub" and expected.kind == "f":
        return (f"Keep the input's dtype: {got} drops the fractions. An .astype(int), np.round(...).astype(...), "
                f"a comparison (bool) or an integer array from np.zeros(..., dtype=int) gives {got}; "
                f"the result should be {expected} like the input.")
    if got.kind == "f" and expected.kind == "f" and got.itemsize > expected.itemsize:
        return (f"Keep the input's dtype: a float64 constant or np.array(..) default can upcast {expected}. "
                f"np.zeros(shape), np.ones(shape) and np.array([...]) are float64 unless given dtype=x.dtype.")
    if got.kind == "f" and expected.kind == "f":
        return (f"Keep the input's dtype: {got} from {expected} input loses precision; is there an "
                f".astype({got.name}) or an array created with dtype={got.name}?")
    return f"Keep the input's dtype ({expected}): build the result from the inputs, not from new arrays."


def shape_hint(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """What a result of shape `got` instead of `expected` suggests."""
    if len(got) == len(expected) >= 2 and got != expected and got == expected[::-1]:
        return (f"looks transposed: {got} is {expected} reversed. Check the order of a matrix product "
                "(A.T @ B against B.T @ A: a gradient has the shape of what it is the gradient of) "
                "or a missing or extra .T.")
    if len(got) == len(expected) + 1:
        for i in range(len(got)):
            if got[i] == 1 and got[:i] + got[i + 1:] == expected:
                return (f"an extra axis of length 1 at position {i}: a reduction with keepdims=True where "
                        "the result drops the axis, np.atleast_2d or x[None]? Check the axis you reduce over "
                        "and keepdims.")
    if len(got) + 1 == len(expected):
        for i in range(len(expected)):
            if expected[i] == 1 and expected[:i] + expected[i + 1:] == got:
                return (f"axis {i} (of length 1) is missing: reduce with keepdims=True when the result keeps "
                        "the axis. Check the axis you reduce over and keepdims.")
    if int(np.prod(got)) == int(np.prod(expected)):
        return ("the right number of elements in the wrong shape: a reshape, transpose or flatten in the "
                "wrong order? Check the shapes the docstring gives.")
    if len(got) == len(expected):
        wrong = [i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e]
        axes = ", ".join(f"axis {i} is {got[i]} instead of {expected[i]}" for i in wrong)
        grown = {got[i] - expected[i] for i in wrong}
        if len(grown) == 1 and grown.pop() > 0:
            return (f"{axes}: grown by the same amount, as padding does. Pad only the axes the docstring "
                    "names (np.pad takes one (before, after) pair per axis: (0, 0) leaves an axis alone).")
        if all(got[i] == 1 for i in wrong):
            return f"{axes}: a reduction over the wrong axis (with keepdims=True)? Check the axis you reduce over."
        return f"{axes}: check the sizes the docstring gives for each axis (stride, padding, kernel size)."
    return (f"{len(got)} axes instead of {len(expected)}: check the axis you reduce over, keepdims, and the "
            "shapes the docstring gives.")


def value_hint(got: np.ndarray, expected: np.ndarray, mistake_hint: str | None) -> str | None:
    """The hint of a value mismatch: NON_FINITE where the learner's value is inf or nan and
    the reference's is finite, else the test's hint for the mistake it catches."""
    with np.errstate(invalid="ignore"):
        if (~np.isfinite(got) & np.isfinite(expected)).any():
            return NON_FINITE
    return mistake_hint
