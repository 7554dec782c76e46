"""What every list-format importer shares: reading bytes (gzip by its magic bytes, with a ceiling on
the decompressed size), parsing XML without entity expansion, naming countries by ISO 3166-1
alpha-2 code, and assembling a `ParsedList` whose entry ids are unique.

Every problem raises `ListFormatError` saying what is wrong and where, so that a half-read list never
becomes a snapshot.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import pycountry
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from compliance.screening.entries import ListEntry
from compliance.screening.importers import ListFormatError, ParsedList, _decode

# One UTF-8 rule (a byte-order mark allowed; the offset and line of a bad byte named) for all formats.
decode_utf8 = _decode

ProgressCallback = Callable[[int], None]
RawSource = bytes | str | os.PathLike[str]

# A list file of any government is a few tens of megabytes; a gzip stream that inflates past this is
# refused rather than read into memory.
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_WHITESPACE = re.compile(r"\s+")


def read_raw(source: RawSource, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """The bytes of a list file (a path or the bytes themselves), gunzipped when gzip."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
                if out.tell() > max_bytes:
                    raise ListFormatError(
                        f"gzip data inflates past {max_bytes // (1024 * 1024)} MiB"
                    )
    except (OSError, EOFError, zlib.error) as error:
        raise ListFormatError(f"damaged gzip data: {error}") from error
    return out.getvalue()


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_xml(raw: bytes) -> Element:
    """The root element of an XML document; DTDs, entities and external references are refused."""
    if not raw.strip():
        raise ListFormatError("the file is empty")
    try:
        root: Element = fromstring(raw, forbid_dtd=True)
        return root
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise ListFormatError(
            f"not well-formed XML ({error.msg if hasattr(error, 'msg') else error})"
            + (f" at column {column}" if column is not None else ""),
            line=line,
        ) from error
    except DefusedXmlException as error:
        raise ListFormatError(f"XML with a DTD or entities is refused ({error})") from error


def local_name(element: Element) -> str:
    """The tag without its namespace: "{http://…}sanctionEntity" -> "sanctionEntity"."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def children(element: Element, name: str) -> list[Element]:
    """Direct children named `name`, whatever their namespace."""
    return [child for child in element if local_name(child) == name]


def child_text(element: Element, name: str) -> str:
    """The collapsed text of the first direct child named `name`, or ""."""
    for child in element:
        if local_name(child) == name:
            return clean(child.text)
    return ""


def clean(value: Any) -> str:
    """Text with runs of whitespace collapsed to one space; None -> ""."""
    if value is None:
        return ""
    return _WHITESPACE.sub(" ", str(value)).strip()


# Names the lists use for countries that ISO 3166 (pycountry) spells otherwise.
_COUNTRY_ALIASES: dict[str, str] = {
    "democratic people's republic of korea": "KP",
    "dprk": "KP",
    "north korea": "KP",
    "republic of korea": "KR",
    "south korea": "KR",
    "korea, south": "KR",
    "korea, north": "KP",
    "iran (islamic republic of)": "IR",
    "iran": "IR",
    "syrian arab republic": "SY",
    "syria": "SY",
    "russian federation": "RU",
    "russia": "RU",
    "united republic of tanzania": "TZ",
    "democratic republic of the congo": "CD",
    "congo, democratic republic of the": "CD",
    "republic of the congo": "CG",
    "congo": "CG",
    "lao people's democratic republic": "LA",
    "viet nam": "VN",
    "vietnam": "VN",
    "bolivia (plurinational state of)": "BO",
    "venezuela (bolivarian republic of)": "VE",
    "republic of moldova": "MD",
    "the former yugoslav republic of macedonia": "MK",
    "state of palestine": "PS",
    "palestine": "PS",
    "occupied palestinian territory": "PS",
    "türkiye": "TR",
    "turkey": "TR",
    "united kingdom of great britain and northern ireland": "GB",
    "united kingdom": "GB",
    "uk": "GB",
    "united states of america": "US",
    "united states": "US",
    "usa": "US",
    "china": "CN",
    "people's republic of china": "CN",
    "hong kong": "HK",
    "hong kong, china": "HK",
    "taiwan": "TW",
    "macau": "MO",
    "macao": "MO",
    "burma": "MM",
    "myanmar": "MM",
    "côte d'ivoire": "CI",
    "cote d'ivoire": "CI",
    "ivory coast": "CI",
    "kosovo": "XK",
    "czech republic": "CZ",
    "the netherlands": "NL",
    "netherlands": "NL",
    "belarus": "BY",
    "libya": "LY",
    "libyan arab jamahiriya": "LY",
    "sudan": "SD",
    "south sudan": "SS",
    "gaza strip": "PS",
    "west bank": "PS",
}


@cache
def country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country as a list names it (a name or a code), or None."""
    text = clean(name).strip(" .,;")
    if not text:
        return None
    key = text.casefold()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(text) == 2 and text.isalpha():
        found = pycountry.countries.get(alpha_2=text.upper())
        return found.alpha_2 if found else None
    if len(text) == 3 and text.isalpha():
        found = pycountry.countries.get(alpha_3=text.upper())
        if found:
            return found.alpha_2
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def country_codes(names: Iterable[str]) -> tuple[str, ...]:
    """Sorted unique ISO codes of the countries named; names that are no country are left out."""
    return tuple(sorted({code for n in names if (code := country_code(n))}))


def unique_values(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, cleaned, in first-seen order, without repeats (casefolded)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        text = clean(value)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return tuple(out)


def birth_values(births: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """Dates of birth as published, from (date, year, first year, last year) of each record: a
    whole date, else a year, else both years of a span."""
    out: list[str] = []
    for date, year, first, last in births:
        if date:
            out.append(date[:10])
        elif year:
            out.append(year)
        else:
            out.extend(y for y in (first, last) if y)
    return unique_values(out)


def assemble(
    entries: list[ListEntry],
    *,
    raw: bytes,
    form: str,
    warnings: list[str] | None = None,
    expect_entries: bool = True,
) -> ParsedList:
    """A `ParsedList` of `entries`; an id seen twice or an empty file is a format error."""
    if expect_entries and not entries:
        raise ListFormatError("the file holds no entries")
    ids = Counter(entry.entry_id for entry in entries)
    repeated = [entry_id for entry_id, n in ids.items() if n > 1]
    if repeated:
        raise ListFormatError(
            f"{len(repeated)} entry ids appear more than once, e.g. {sorted(repeated)[0]!r}"
        )
    counts = Counter(entry.list_code for entry in entries)
    return ParsedList(
        entries=tuple(entries),
        counts=dict(sorted(counts.items())),
        source_hash=sha256_hex(raw),
        format=form,
        warnings=tuple(warnings or ()),
    )
