"""CSV that is safe to open in a spreadsheet (OWASP's "CSV injection"): a text cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula, so
it is written with a leading apostrophe (which spreadsheets show as text). Numbers are
written as they are, negative ones too. A carriage return in a text becomes a newline
(the writer quotes a cell holding a newline, but not one holding only a carriage return,
which would split the row)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value`, with an apostrophe before a text that a spreadsheet would run."""
    if not isinstance(value, str):
        return value
    if value.startswith(TRIGGERS):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


def safe_row(row: dict) -> dict:
    return {k: safe_cell(v) for k, v in row.items()}


def csv_text(rows: Iterable[dict], columns: list[str], header: bool = True) -> str:
    """`rows` as CSV text (quoted where needed, cells neutralised), `columns` in order."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writeheader()
    writer.writerows(safe_row(r) for r in rows)
    return buf.getvalue()
