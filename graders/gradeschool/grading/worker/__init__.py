"""The worker: the only process that runs a learner's code during grading.

This package is what the sandbox holds besides Python and NumPy. It imports nothing but
the standard library and NumPy (never `gradeschool`): the judge binds copies of its files
read-only into the sandbox (`FILES`, as the package `gradeschool_worker`) and starts
`python -I -S` on `BOOT`. The judge imports the same `wire` module, so the message format,
the value tags, the operations and the size caps are written once.

- `wire`: framing, caps, tags, operations, digests (both sides).
- `guards`: the import and process guards (a second line, with clear messages; the
  sandbox is the wall).
- `values`: the worker's side of values: handles for objects that stay here, arrays
  linked to the judge's, what changed in place after a call.
- `speed`: speed measurements: a program on fresh input sets per run, outputs kept
  for the judge's commitments and checks.
- `serve`: the loop that answers the judge's requests.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = "gradeschool_worker"  # the name the worker's files import as, inside the sandbox
FILES = ("__init__.py", "wire.py", "guards.py", "values.py", "speed.py", "serve.py")
BOOT = f"from {PACKAGE}.serve import main; main()"


def sources() -> dict[str, bytes]:
    """The package's files by name, as the judge hands them to the sandbox."""
    here = Path(__file__).resolve().parent
    return {name: (here / name).read_bytes() for name in FILES}
