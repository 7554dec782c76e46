"""Importers for Consolidated Screening List files: CSV (29-column, and the older 28-column header
without `_id`, plain or fully quoted, optionally gzip-compressed) and the JSON form of the trade.gov API.

Structure is validated strictly and every problem raises `ListFormatError` naming what is wrong and
where ("line 3 (record 2): expected 29 fields, found 12"): a half-read list must never become a
snapshot, because screening against it would clear parties it no longer contains.

Quirks of real files that are accepted (see the data README): `_id` values shared by rows of
different lists (an OFAC party on SDN and SSI), dates such as `0017-05-26` (kept as published),
empty `type`, and licence texts that differ only in spacing.

Entry ids are "<list code>:<_id>", e.g. "EL:736c2c6a..." or "SDN:21944". The same `_id` on two lists
names two entries with different legal consequences, so both are kept, and the id stays the same
whether or not the party is also on another list in a later file. Rows repeating the same list code
and `_id` with the same content are merged; with different content each gets a suffix from its
content hash, which does not depend on row order.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from compliance.screening.entries import ListEntry, UnknownListSourceError, list_code_from_source

CSL_COLUMNS: tuple[str, ...] = (
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
)
CSL_COLUMNS_WITHOUT_ID: tuple[str, ...] = CSL_COLUMNS[1:]

FORMAT_CSV = "csv"
FORMAT_CSV_WITHOUT_ID = "csv-without-id"
FORMAT_JSON = "json"

ProgressCallback = Callable[[int], None]
Source = TextIO | str | os.PathLike[str]

_PROGRESS_EVERY = 1000
_GZIP_MAGIC = b"\x1f\x8b"
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
# BIS writes the last alias of a list as "...; and K.A. Smich".
_LEADING_AND = re.compile(r"^and\s+")


class ListFormatError(ValueError):
    """A list file that does not have the structure of the Consolidated Screening List.

    `problem` says what is wrong; `line` (1-based, of the file) and `record` (1-based, data records
    only) say where, when known; `str(error)` and `message` give both.
    """

    def __init__(self, problem: str, line: int | None = None, record: int | None = None) -> None:
        self.problem = problem
        self.line = line
        self.record = record
        where = []
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record}" if line is None else f"(record {record})")
        self.message = f"{' '.join(where)}: {problem}" if where else problem
        super().__init__(self.message)


@dataclass(frozen=True)
class ParsedList:
    """The entries of one list file.

    `counts` holds the rows of the file per list code, as published (so they can be compared with the
    publisher's figures); `entries` can be fewer when identical repeated rows were merged, which
    `warnings` reports. `source_hash` is the sha256 of the file's bytes after gzip decompression, so
    the same list as .csv and .csv.gz has the same hash.
    """

    entries: tuple[ListEntry, ...]
    counts: dict[str, int]
    source_hash: str
    format: str
    warnings: tuple[str, ...]
    duplicate_ids: int = 0  # rows whose `_id` (or entity number) already appeared on an earlier row
    merged_rows: int = 0  # identical repeated rows folded into one entry


@dataclass(frozen=True)
class ListDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_entries(old: Mapping[str, str], new: ParsedList) -> ListDiff:
    """Entry ids added, removed and changed (different content hash) from `old` (entry id -> content
    hash, e.g. read from the previous snapshot) to `new`; each tuple sorted."""
    current = {entry.entry_id: entry.content_hash for entry in new.entries}
    return ListDiff(
        added=tuple(sorted(current.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - current.keys())),
        changed=tuple(sorted(i for i in current.keys() & old.keys() if current[i] != old[i])),
    )


# --------------------------------------------------------------------------------------------------
# Reading


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        raw = Path(source).read_bytes()
    else:
        text = source.read()
        raw = text.encode("utf-8")
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ListFormatError(f"damaged gzip data: {error}") from error
    return raw


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ListFormatError(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})", line=line
        ) from error


def parse_csl_file(
    path: str | os.PathLike[str], *, progress: ProgressCallback | None = None
) -> ParsedList:
    """Parse a list file in any supported form (.csv, .csv.gz, .json, .json.gz), by content: gzip by
    its magic bytes, JSON when the first character is "{" or "[", CSV otherwise."""
    return parse_csl_bytes(_read_bytes(path), progress=progress)


def parse_csl_bytes(raw: bytes, *, progress: ProgressCallback | None = None) -> ParsedList:
    """Parse CSL bytes (CSV or JSON, by content; already gunzipped or not)."""
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ListFormatError(f"damaged gzip data: {error}") from error
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _parse_json_bytes(raw, progress)
    return _parse_csv_bytes(raw, progress)


def parse_csl_csv(stream: Source, *, progress: ProgressCallback | None = None) -> ParsedList:
    """Parse CSL CSV from a text stream or a path (a `str` is a path; wrap text in io.StringIO).
    For a text stream, the source hash is taken over its UTF-8 encoding."""
    return _parse_csv_bytes(_read_bytes(stream), progress)


def parse_csl_json(stream: Source, *, progress: ProgressCallback | None = None) -> ParsedList:
    """Parse the JSON form (`{"results": [...]}`) from a text stream or a path."""
    return _parse_json_bytes(_read_bytes(stream), progress)


# --------------------------------------------------------------------------------------------------
# CSV


def _check_header(header: Sequence[str]) -> tuple[tuple[str, ...], str]:
    cells = tuple(cell.strip() for cell in header)
    for columns, form in (
        (CSL_COLUMNS, FORMAT_CSV),
        (CSL_COLUMNS_WITHOUT_ID, FORMAT_CSV_WITHOUT_ID),
    ):
        if cells == columns:
            return columns, form
    expected = CSL_COLUMNS if cells[:1] == ("_id",) else CSL_COLUMNS_WITHOUT_ID
    missing = [c for c in expected if c not in cells]
    unexpected = [c for c in cells if c not in expected]
    details = []
    if missing:
        details.append(f"missing columns: {', '.join(missing)}")
    if unexpected:
        details.append(f"unexpected columns: {', '.join(repr(c) for c in unexpected)}")
    if not details:
        position = next(i for i, (a, b) in enumerate(zip(cells, expected, strict=False)) if a != b)
        details.append(
            f"columns out of order: expected {expected[position]!r} in column {position + 1}, "
            f"found {cells[position]!r}"
        )
    raise ListFormatError(
        "header is not a Consolidated Screening List header "
        f"({len(CSL_COLUMNS)} columns, or {len(CSL_COLUMNS_WITHOUT_ID)} without _id): "
        + "; ".join(details),
        line=1,
    )


def _parse_csv_bytes(raw: bytes, progress: ProgressCallback | None) -> ParsedList:
    source_hash = hashlib.sha256(raw).hexdigest()
    text = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ListFormatError("empty file: no header", line=1)
        columns, form = _check_header(header)
        builder = _EntryBuilder(form)
        line = reader.line_num + 1
        for row in reader:
            if row:  # a blank line is no record
                record = builder.record_count + 1
                if len(row) != len(columns):
                    raise ListFormatError(
                        f"expected {len(columns)} fields, found {len(row)}",
                        line=line,
                        record=record,
                    )
                builder.add(dict(zip(columns, row, strict=True)), line=line, record=record)
                if progress and builder.record_count % _PROGRESS_EVERY == 0:
                    progress(builder.record_count)
            line = reader.line_num + 1
    except csv.Error as error:
        raise ListFormatError(f"malformed CSV: {error}", line=reader.line_num) from error
    return builder.finish(source_hash, progress)


# --------------------------------------------------------------------------------------------------
# JSON

_JSON_TEXT_FIELDS = (
    "entity_number",
    "type",
    "title",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "remarks",
    "source_list_url",
    "source_information_url",
)
_JSON_LIST_FIELDS = ("alt_names", "programs", "citizenships", "nationalities", "dates_of_birth")
_ADDRESS_PARTS = ("address", "city", "state", "postal_code", "country")
_ID_PARTS = ("type", "number", "country", "issue_date", "expiration_date")


def _json_text(value: Any, key: str, record: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise ListFormatError(f"{key!r} must be a string, found {type(value).__name__}", record=record)


def _json_list(value: Any, key: str, record: int) -> str:
    """A list-valued field as the `;`-joined cell the CSV form would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    raise ListFormatError(f"{key!r} must be a list of strings", record=record)


def _json_objects(value: Any, key: str, parts: tuple[str, ...], record: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, list):
        raise ListFormatError(f"{key!r} must be a list", record=record)
    cells = []
    for item in value:
        if isinstance(item, str):
            cells.append(item)
        elif isinstance(item, dict):
            cells.append(
                ", ".join(
                    _json_text(item.get(p), f"{key}.{p}", record) for p in parts if item.get(p)
                )
            )
        else:
            raise ListFormatError(f"{key!r} items must be objects or strings", record=record)
    return "; ".join(cell for cell in cells if cell)


def _parse_json_bytes(raw: bytes, progress: ProgressCallback | None) -> ParsedList:
    source_hash = hashlib.sha256(raw).hexdigest()
    try:
        document = json.loads(_decode(raw))
    except json.JSONDecodeError as error:
        raise ListFormatError(
            f"invalid JSON: {error.msg} (column {error.colno})", line=error.lineno
        ) from error
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise ListFormatError('invalid list JSON: expected an object with a "results" list')
    builder = _EntryBuilder(FORMAT_JSON)
    for record, item in enumerate(document["results"], start=1):
        if not isinstance(item, dict):
            raise ListFormatError(f"expected an object, found {type(item).__name__}", record=record)
        for key in ("id", "source", "name"):
            if key not in item:
                raise ListFormatError(f"missing required key {key!r}", record=record)
        row = {
            "_id": _json_text(item["id"], "id", record),
            "source": _json_text(item["source"], "source", record),
            "name": _json_text(item["name"], "name", record),
            "addresses": _json_objects(item.get("addresses"), "addresses", _ADDRESS_PARTS, record),
            "ids": _json_objects(item.get("ids"), "ids", _ID_PARTS, record),
        }
        row.update((key, _json_text(item.get(key), key, record)) for key in _JSON_TEXT_FIELDS)
        row.update((key, _json_list(item.get(key), key, record)) for key in _JSON_LIST_FIELDS)
        builder.add(row, line=None, record=record)
        if progress and record % _PROGRESS_EVERY == 0:
            progress(record)
    return builder.finish(source_hash, progress)


# --------------------------------------------------------------------------------------------------
# Rows to entries


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in cell.split(";")) if part)


def _countries(addresses: tuple[str, ...], *cells: str) -> tuple[str, ...]:
    """ISO alpha-2 codes: the last comma-separated part of each address ("..., Shanghai, 201203, CN")
    when it is a two-letter code, plus the citizenship and nationality codes."""
    found = set()
    for address in addresses:
        last = address.rsplit(",", 1)[-1].strip()
        if _COUNTRY_CODE.fullmatch(last):
            found.add(last)
    for cell in cells:
        found.update(code for code in _split(cell) if _COUNTRY_CODE.fullmatch(code))
    return tuple(sorted(found))


@dataclass
class _Row:
    key: tuple[str, str]  # (list code, published id)
    entry: ListEntry
    position: int  # order in the file
    record: int


class _EntryBuilder:
    def __init__(self, form: str) -> None:
        self.form = form
        self.record_count = 0
        self.rows: list[_Row] = []
        self.counts: Counter[str] = Counter()
        self.warnings: list[str] = []
        self.derived_ids = 0

    def add(self, row: Mapping[str, str], *, line: int | None, record: int) -> None:
        self.record_count = record
        source = row["source"].strip()
        try:
            list_code = list_code_from_source(source)
        except UnknownListSourceError as error:
            raise ListFormatError(str(error), line=line, record=record) from error
        name = row["name"].strip()
        if not name:
            raise ListFormatError("empty name", line=line, record=record)
        addresses = _split(row["addresses"])
        entry = ListEntry(
            entry_id="",  # assigned in finish(), once duplicates are known
            list_code=list_code,
            source=source,
            name=name,
            alt_names=tuple(_LEADING_AND.sub("", alias) for alias in _split(row["alt_names"])),
            entity_type=row["type"].strip(),
            programs=_split(row["programs"]),
            countries=_countries(addresses, row["citizenships"], row["nationalities"]),
            addresses=addresses,
            federal_register_notice=row["federal_register_notice"].strip(),
            start_date=row["start_date"].strip(),
            license_requirement=row["license_requirement"].strip(),
            license_policy=row["license_policy"].strip(),
            remarks=row["remarks"].strip(),
            source_list_url=row["source_list_url"].strip(),
            source_information_url=row["source_information_url"].strip(),
            source_id=row.get("_id", "").strip(),
            title=row["title"].strip(),
            end_date=row["end_date"].strip(),
            dates_of_birth=_split(row["dates_of_birth"]),
            ids=_split(row["ids"]),
        )
        published_id = entry.source_id or row["entity_number"].strip()
        if not published_id:
            # The older files have no `_id`: name the entry by what BIS publishes as its identity,
            # its name and addresses on its list (two "I. ASH" rows of the DPL differ by address).
            self.derived_ids += 1
            identity = "\x1f".join(
                (list_code, " ".join(name.casefold().split()), *sorted(addresses))
            )
            published_id = "h" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
        self.rows.append(_Row((list_code, published_id), entry, len(self.rows), record))
        self.counts[list_code] += 1

    def finish(self, source_hash: str, progress: ProgressCallback | None) -> ParsedList:
        if progress:
            progress(self.record_count)
        groups: dict[tuple[str, str], list[_Row]] = {}
        for row in self.rows:
            groups.setdefault(row.key, []).append(row)

        published_rows = Counter(row.key[1] for row in self.rows)
        duplicate_ids = sum(n - 1 for n in published_rows.values())
        shared_ids = sum(1 for n in published_rows.values() if n > 1)

        entries: dict[int, ListEntry] = {}  # position of the first row of a group -> entry
        merged = 0
        for (list_code, published), group in groups.items():
            hashes = {row.entry.content_hash for row in group}
            base_id = f"{list_code}:{published}"
            if len(hashes) == 1:
                # Identical content (at most the source URLs differ): one entry, chosen by content
                # rather than by row order.
                keep = min(
                    group, key=lambda r: (r.entry.source_list_url, r.entry.source_information_url)
                )
                entries[group[0].position] = replace(keep.entry, entry_id=base_id)
                if len(group) > 1:
                    merged += len(group) - 1
                    self.warnings.append(
                        f"{base_id}: {len(group)} identical rows merged into one entry "
                        f"(records {', '.join(str(r.record) for r in group)})"
                    )
            else:
                for row in group:
                    suffixed = f"{base_id}~{row.entry.content_hash[:12]}"
                    entries[row.position] = replace(row.entry, entry_id=suffixed)
                self.warnings.append(
                    f"{base_id}: {len(group)} rows with different content share this id; "
                    "each is kept with a suffix from its content hash"
                )
        if duplicate_ids:
            self.warnings.insert(
                0,
                f"{duplicate_ids} rows repeat the id of an earlier row ({shared_ids} ids shared, "
                "mostly one party on several lists); entries are keyed by list code and id",
            )
        if self.derived_ids:
            self.warnings.append(
                f"{self.derived_ids} rows have no id; their ids are derived from list, name and "
                "addresses, so a changed name or address appears as a removal and an addition"
            )
        ordered = tuple(entries[position] for position in sorted(entries))
        return ParsedList(
            entries=ordered,
            counts=dict(sorted(self.counts.items())),
            source_hash=source_hash,
            format=self.form,
            warnings=tuple(self.warnings),
            duplicate_ids=duplicate_ids,
            merged_rows=merged,
        )
