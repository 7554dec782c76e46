"""CSV cells a spreadsheet shows as text and never runs as a formula (OWASP "CSV Injection").

Every CSV the product writes goes through ``safe_cell`` (or ``SafeWriter``, which applies it to
each cell): a text that a spreadsheet would read as a formula — it starts with ``=``, ``+``, ``-``,
``@``, a tab, a carriage return or a line feed, after any leading spaces — gets a leading single
quote. Numbers the code writes as numbers (a count, a negative score) are left as they are; only
text is neutralised, so ``"-5"`` typed by a user comes out as ``'-5``.
"""

from __future__ import annotations

import csv
import decimal
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NUMBER_TYPES = (int, float, decimal.Decimal)

Cell = str | int | float | decimal.Decimal


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula (leading spaces do not hide one)."""
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def safe_cell(value: object) -> Cell:
    """``value`` as a CSV cell: numbers unchanged, ``None`` empty, text prefixed with ``'`` when
    it would start a formula."""
    if isinstance(value, NUMBER_TYPES):  # bool is an int: written as True/False, never a formula
        return value
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def safe_row(row: Iterable[object]) -> list[Cell]:
    return [safe_cell(value) for value in row]


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``; ``writerow`` returns what the
    underlying file's ``write`` returned (so a streaming echo buffer still works)."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
