"""METI's End User List (Japan), as the Ministry publishes it: an .xlsx workbook whose table has the
columns "No.", "Country or Region", "Company or Organization", "Also Known As" and "Type of WMD"
(and, in recent editions, "Conventional weapons"). The header cells are bilingual ("別名\\nAlso Known
As"), so a column is found by its English label, and the header row is found by its cells, below
the title rows. The same table saved as CSV (UTF-8) is accepted too: a workbook is told from CSV by
its content (an .xlsx file is a ZIP archive, starting with "PK").

An entry's id is "JP-EUL:<No.>". METI numbers the table afresh in each edition, so the same party can
get another id in the next edition (it then shows as a removal and an addition). Every entry is an
entity. `countries` comes from "Country or Region" (a Japanese and an English line, e.g. "中国\\nChina").
A Japanese name printed in parentheses after the English one ("Beihang University (北京航空航天大学)")
becomes an alias. "Also Known As" lists one alias per line, each after a bullet "・"; aliases are split
on line breaks, bullets and ";", never on commas, which the list uses inside names ("Co., Ltd.").
`programs` holds the types of weapon, the codes spelt out as METI's legend does: B Biological,
C Chemical, M Missile, N Nuclear, and CW (the conventional-weapons column) Conventional weapons.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from typing import Any
from xml.etree.ElementTree import ParseError

from compliance.screening.entries import ListEntry
from compliance.screening.formats.common import (
    MAX_DECOMPRESSED_BYTES,
    ProgressCallback,
    assemble,
    clean,
    country_code,
    decode_utf8,
    unique_values,
)
from compliance.screening.importers import ListFormatError, ParsedList

FORMAT = "jp-eul"
SOURCE_LABEL = "METI End User List"
LIST_URL = "https://www.meti.go.jp/policy/anpo/englishpage.html"
HEADER_SEARCH_ROWS = 30
# column -> (English label, how the label ends in a header cell, casefolded)
_COLUMNS: dict[str, tuple[str, re.Pattern[str]]] = {
    "no": ("No.", re.compile(r"(?:^|\s)no\.?$")),
    "country": ("Country or Region", re.compile(r"country or region$")),
    "name": ("Company or Organization", re.compile(r"company or organi[sz]ation$")),
    "aliases": ("Also Known As", re.compile(r"also known as$")),
    "wmd": ("Type of WMD", re.compile(r"type of wmd$")),
    "conventional": ("Conventional weapons", re.compile(r"conventional weapons?$")),
}
_REQUIRED = ("no", "country", "name", "aliases", "wmd")
_EXPECTED = ", ".join(_COLUMNS[key][0] for key in _REQUIRED)
_WEAPONS = {"b": "Biological", "c": "Chemical", "m": "Missile", "n": "Nuclear"}
_WEAPONS["cw"] = "Conventional weapons"
_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]")
_LATIN = re.compile(r"[A-Za-z]")
_PARENS = re.compile(r"[（(]([^()（）]*)[)）]")
_ALIAS_SPLIT = re.compile(r"[\r\n;；]+|(?:^|\s)[・•●]")
_WMD_SPLIT = re.compile(r"[\s,、，/・]+")
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"

Rows = Iterable[tuple[int, list[str]]]


def parse_jp_eul(raw: bytes, *, progress: ProgressCallback | None = None) -> ParsedList:
    if not raw.strip():
        raise ListFormatError("the file is empty")
    if raw.startswith(_XLS_MAGIC):
        raise ListFormatError("a legacy .xls workbook: save it as .xlsx or as CSV (UTF-8)")
    builder = _Builder(progress)
    if raw.startswith(b"PK"):
        with closing(_xlsx_sheets(raw)) as sheets:
            for title, rows in sheets:
                if builder.read(rows, sheet=title):
                    break
    else:
        builder.read(_csv_rows(raw), sheet=None)
    if not builder.found:
        raise ListFormatError(
            f"no header row with the columns {_EXPECTED} in the first {HEADER_SEARCH_ROWS} rows"
        )
    return builder.finish(raw)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_sheets(raw: bytes) -> Generator[tuple[str, Rows], None, None]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    damaged = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, ParseError)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except damaged as error:
        raise ListFormatError(
            f"damaged .xlsx workbook (not a complete ZIP archive): {error}"
        ) from error
    if inflated > MAX_DECOMPRESSED_BYTES:
        raise ListFormatError(
            f"the workbook inflates past {MAX_DECOMPRESSED_BYTES // (1024 * 1024)} MiB"
        )
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except damaged as error:
        raise ListFormatError(f"damaged .xlsx workbook: {clean(error)}") from error
    try:
        for sheet in workbook.worksheets:
            yield sheet.title, _sheet_rows(sheet)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    rows = sheet.iter_rows(min_row=1, values_only=True)
    number = 0
    while True:
        try:
            row = next(rows, None)
        except Exception as error:  # whatever the reader trips on, the sheet is damaged
            raise ListFormatError(
                f"damaged .xlsx workbook, sheet {sheet.title!r}: {clean(error)}"
            ) from error
        if row is None:
            return
        number += 1
        yield number, [_cell(v) for v in row]


def _csv_rows(raw: bytes) -> Rows:
    reader = csv.reader(io.StringIO(decode_utf8(raw), newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            yield line, [cell.strip() for cell in row]
            line = reader.line_num + 1
    except csv.Error as error:
        raise ListFormatError(f"malformed CSV: {error}", line=reader.line_num) from error


def _header(cells: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = clean(cell).casefold()
        for key, (_label, pattern) in _COLUMNS.items():
            if key not in found and text and pattern.search(text):
                found[key] = index
                break
    return found if all(key in found for key in _REQUIRED) else None


class _Builder:
    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.found = False
        self.entries: list[ListEntry] = []
        self.notes = 0
        self.unknown_countries: Counter[str] = Counter()
        self.unknown_weapons: Counter[str] = Counter()

    def read(self, rows: Rows, *, sheet: str | None) -> bool:
        """Read the table from `rows`; False when no header row is found in them."""
        columns: dict[str, int] | None = None
        for number, cells in rows:
            if columns is None:
                if number > HEADER_SEARCH_ROWS:
                    return False
                columns = _header(cells)
                continue
            values = {key: cells[i] if i < len(cells) else "" for key, i in columns.items()}
            self._row(values, self._where(sheet, number))
        self.found = self.found or columns is not None
        return columns is not None

    @staticmethod
    def _where(sheet: str | None, number: int) -> tuple[int | None, str]:
        # A CSV row is located by its line; a workbook row by its row number and sheet.
        return (number, "") if sheet is None else (None, f"row {number} of sheet {sheet!r}: ")

    def _row(self, values: dict[str, str], where: tuple[int | None, str]) -> None:
        line, prefix = where
        record = len(self.entries) + 1
        no = values["no"]
        content = any(values.get(key) for key in ("country", "name", "aliases", "wmd"))
        if not content and not no.isdigit():
            self.notes += bool(no or any(values.values()))
            return  # a blank row, or a note below the table
        if not no:
            raise ListFormatError(f"{prefix}entry without No.", line=line, record=record)
        if not no.isdigit():
            raise ListFormatError(f"{prefix}No. {no!r} is not a number", line=line, record=record)
        name, local_names = _name(values["name"])
        if not name:
            raise ListFormatError(
                f"{prefix}No. {no}: empty Company or Organization", line=line, record=record
            )
        countries = self._countries(values["country"])
        aliases = [clean(a).strip(" ・•●") for a in _ALIAS_SPLIT.split(values["aliases"])]
        self.entries.append(
            ListEntry(
                entry_id=f"JP-EUL:{no}",
                list_code="JP-EUL",
                source=SOURCE_LABEL,
                name=name,
                alt_names=tuple(
                    a
                    for a in unique_values([*local_names, *aliases])
                    if a.casefold() != name.casefold()
                ),
                entity_type="Entity",
                programs=self._weapons(values["wmd"], values.get("conventional", "")),
                countries=countries,
                addresses=(),
                federal_register_notice="",
                start_date="",
                license_requirement="",
                license_policy="",
                remarks="",
                source_list_url=LIST_URL,
                source_information_url="",
                source_id=no,
            )
        )
        if self.progress and len(self.entries) % 1000 == 0:
            self.progress(len(self.entries))

    def _countries(self, cell: str) -> tuple[str, ...]:
        codes: set[str] = set()
        for line in cell.splitlines() or [cell]:
            text = clean(line)
            if not text or (_JAPANESE.search(text) and not _LATIN.search(text)):
                continue  # the Japanese line of the bilingual cell
            code = country_code(text) or country_code(_JAPANESE.sub("", text))
            if code:
                codes.add(code)
            else:
                self.unknown_countries[text] += 1
        return tuple(sorted(codes))

    def _weapons(self, wmd: str, conventional: str) -> tuple[str, ...]:
        out: list[str] = []
        for token in [*_WMD_SPLIT.split(wmd), *_WMD_SPLIT.split(conventional)]:
            if not token:
                continue
            label = _WEAPONS.get(token.casefold())
            if label is None and token.casefold() in (v.casefold() for v in _WEAPONS.values()):
                label = token
            if label is None:
                self.unknown_weapons[token] += 1
                label = token
            out.append(label)
        return unique_values(out)

    def finish(self, raw: bytes) -> ParsedList:
        if self.progress:
            self.progress(len(self.entries))
        warnings: list[str] = []
        if self.notes:
            warnings.append(f"rows without a No. or name, read as notes: {self.notes}")
        if self.unknown_countries:
            named = ", ".join(sorted(self.unknown_countries))
            warnings.append(f"country names without an ISO code, left out of countries: {named}")
        if self.unknown_weapons:
            named = ", ".join(sorted(self.unknown_weapons))
            warnings.append(f"types of weapon not in METI's legend, kept as published: {named}")
        return assemble(self.entries, raw=raw, form=FORMAT, warnings=warnings)


def _name(cell: str) -> tuple[str, list[str]]:
    """The English name and the Japanese names printed beside it (in parentheses or on a line)."""
    latin: list[str] = []
    local: list[str] = []

    def take(match: re.Match[str]) -> str:
        if _JAPANESE.search(match.group(1)):
            local.append(clean(match.group(1)))
            return " "
        return match.group(0)

    for line in cell.splitlines():
        rest = clean(_PARENS.sub(take, line))
        if rest and _JAPANESE.search(rest) and not _LATIN.search(rest):
            local.append(rest)
        elif rest:
            latin.append(rest)
    name = " ".join(latin) or (local.pop(0) if local else "")
    return name, local
