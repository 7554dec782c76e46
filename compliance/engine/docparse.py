"""Parsing a raw visit document into a validated `VisitDocument` (DESIGN sec. 3).

Every error is recorded with the path of its field, so a caller learns all of them at once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from config.text import nfc, unsafe_message

from .docparse_items import parse_item, parse_party, parse_tool
from .document import (
    ACTIVITIES,
    CITIZENSHIP_FIELDS,
    COUNTRY_CODES,
    DOCUMENT_FIELDS,
    ENGINEER_FIELDS,
    FACILITY_FIELDS,
    MAX_ENGINEERS,
    MAX_JSON_BYTES,
    MAX_LIST_ITEMS,
    MAX_STRING,
    MAX_TOOLS,
    MODES,
    PRODUCTS,
    RESIDENCY_FIELDS,
    SUBDIVISION_CODES,
    VENDOR_FIELDS,
    VISIT_FIELDS,
    Citizenship,
    DocumentError,
    EngineerInfo,
    FacilityInfo,
    Id,
    OwnerStake,
    Residency,
    ToolInfo,
    VendorInfo,
    VisitDocument,
    VisitInfo,
    default_location,
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

__all__ = ["parse_document", "parse_document_json"]


class _Errors:
    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(message)


_MISSING: Final = object()


class _Parser:
    """Reads one raw document, recording every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors = _Errors()

    # Primitive readers. Each returns None (or a default) after recording an error, so that
    # parsing continues and all errors are reported together.

    def obj(self, raw: object, path: str, allowed: frozenset[str]) -> Mapping[str, Any] | None:
        if not isinstance(raw, Mapping):
            self.errors.add(path, "must be an object")
            return None
        for key in raw:
            if not isinstance(key, str) or key not in allowed:
                self.errors.add(_join(path, str(key)), "unknown field")
        return raw

    def string(
        self, raw: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> str | None:
        value = raw.get(key, _MISSING)
        where = _join(path, key)
        if value is _MISSING or value is None:
            if required:
                self.errors.add(where, "is required")
            return None
        return self.text(value, where)

    def text(self, value: object, where: str) -> str | None:
        if not isinstance(value, str):
            self.errors.add(where, "must be a string")
            return None
        if not value.strip():
            self.errors.add(where, "must not be blank")
            return None
        if len(value) > MAX_STRING:
            self.errors.add(where, f"must be at most {MAX_STRING} characters")
            return None
        if message := unsafe_message(value):
            # A direction control or an invisible character makes a name read one way and match
            # another; it is refused, never silently dropped.
            self.errors.add(where, message[0].lower() + message[1:])
            return None
        return nfc(value)

    def choice(self, raw: Mapping[str, Any], key: str, path: str, options: tuple[str, ...]) -> str:
        value = self.string(raw, key, path)
        if value is not None and value not in options:
            self.errors.add(
                _join(path, key), f"unknown value {value!r}; expected one of {', '.join(options)}"
            )
        return value or ""

    def country(self, value: object, where: str, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.errors.add(where, "is required")
            return None
        if not isinstance(value, str):
            self.errors.add(where, "must be an ISO 3166-1 alpha-2 country code (string)")
            return None
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            self.errors.add(where, f"{value[:20]!r} is not an ISO 3166-1 alpha-2 country code")
            return None
        if value != value.upper():
            self.errors.add(where, f"country code {value!r} must be upper case")
            return None
        if value not in COUNTRY_CODES:
            self.errors.add(where, f"unknown country code {value!r}")
            return None
        return value

    def day(self, value: object, where: str, *, required: bool) -> date | None:
        if value is None:
            if required:
                self.errors.add(where, "is required")
            return None
        if isinstance(value, datetime):
            self.errors.add(where, "must be a date, not a date-time")
            return None
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            self.errors.add(where, "must be an ISO 8601 date (YYYY-MM-DD)")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors.add(where, f"{value!r} is not a valid date")
            return None

    def boolean(self, raw: Mapping[str, Any], key: str, path: str) -> bool:
        value = raw.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.errors.add(_join(path, key), "must be true or false")
            return False
        return value

    def number(
        self, raw: Mapping[str, Any], key: str, path: str, *, integer: bool = False
    ) -> int | float | None:
        value = raw.get(key)
        where = _join(path, key)
        if value is None:
            return None
        # bool is an int subclass; true is not a number of layers.
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.errors.add(where, "must be a number or null")
            return None
        if integer and not isinstance(value, int):
            self.errors.add(where, "must be a whole number or null")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.errors.add(where, "must be a finite number")
            return None
        if value < 0:
            self.errors.add(where, "must not be negative")
            return None
        return value

    def ident(self, raw: Mapping[str, Any], path: str) -> Id:
        value = raw.get("id")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.errors.add(_join(path, "id"), "must be a string, an integer or null")
            return None
        if isinstance(value, str):
            return self.text(value, _join(path, "id"))
        return value

    def items(
        self, raw: Mapping[str, Any], key: str, path: str, *, limit: int = MAX_LIST_ITEMS
    ) -> list[Any]:
        value = raw.get(key)
        where = _join(path, key)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.errors.add(where, "must be a list")
            return []
        if len(value) > limit:
            self.errors.add(where, f"must have at most {limit} items")
            return []
        return list(value)

    # Sections.

    def visit(self, raw: object) -> VisitInfo | None:
        v = self.obj(raw, "visit", VISIT_FIELDS)
        if v is None:
            return None
        activity = self.choice(v, "activity", "visit", ACTIVITIES)
        mode = self.choice(v, "mode", "visit", MODES)
        start = self.day(v.get("start_date"), "visit.start_date", required=True)
        end = self.day(v.get("end_date"), "visit.end_date", required=True)
        if start is not None and end is not None and end < start:
            self.errors.add("visit.end_date", "must not be before visit.start_date")
        purpose = self.string(v, "purpose", "visit", required=False)
        ident = self.ident(v, "visit")
        items = (
            tuple(
                item
                for i, raw_item in enumerate(self.items(v, "items", "visit", limit=MAX_TOOLS))
                if (item := parse_item(self, raw_item, f"visit.items[{i}]")) is not None
            )
            if v.get("items") is not None
            else None
        )
        if start is None or end is None:
            return None
        return VisitInfo(activity, mode, start, end, ident, purpose, items)

    def vendor(self, raw: object) -> VendorInfo | None:
        v = self.obj(raw, "vendor", VENDOR_FIELDS)
        if v is None:
            return None
        name = self.string(v, "name", "vendor")
        country = self.country(v.get("country"), "vendor.country")
        us_branch = self.boolean(v, "us_branch", "vendor")
        ident = self.ident(v, "vendor")
        if name is None or country is None:
            return None
        return VendorInfo(name, country, us_branch, ident)

    def facility(self, raw: object) -> FacilityInfo | None:
        f = self.obj(raw, "facility", FACILITY_FIELDS)
        if f is None:
            return None
        name = self.string(f, "name", "facility")
        owner = self.string(f, "owner", "facility")
        country = self.country(f.get("country"), "facility.country")
        aliases = tuple(
            a
            for i, item in enumerate(self.items(f, "owner_aliases", "facility"))
            if (a := self.text(item, f"facility.owner_aliases[{i}]")) is not None
        )
        address = self.string(f, "address", "facility", required=False)
        city = self.string(f, "city", "facility", required=False)
        products: tuple[str, ...] | None = None
        if f.get("products") is not None:
            found: list[str] = []
            for i, item in enumerate(self.items(f, "products", "facility")):
                where = f"facility.products[{i}]"
                if item not in PRODUCTS:
                    self.errors.add(
                        where, f"unknown product {item!r}; expected one of {', '.join(PRODUCTS)}"
                    )
                elif item in found:
                    self.errors.add(where, f"duplicate product {item!r}")
                else:
                    found.append(item)
            products = tuple(found)
        metrics = {
            "logic_node_nm": self.number(f, "logic_node_nm", "facility"),
            "nand_layers": self.number(f, "nand_layers", "facility", integer=True),
            "dram_half_pitch_nm": self.number(f, "dram_half_pitch_nm", "facility"),
            "dram_cell_area_um2": self.number(f, "dram_cell_area_um2", "facility"),
        }
        non_planar = self.boolean(f, "non_planar", "facility")
        ident = self.ident(f, "facility")
        owners = tuple(
            o
            for i, item in enumerate(self.items(f, "owners", "facility"))
            if (o := self.stake(item, f"facility.owners[{i}]")) is not None
        )
        parties = tuple(
            party
            for i, item in enumerate(self.items(f, "parties", "facility"))
            if (party := parse_party(self, item, f"facility.parties[{i}]")) is not None
        )
        region = self.region(f.get("region"), country)
        if name is None or owner is None or country is None:
            return None
        layers = metrics["nand_layers"]
        return FacilityInfo(
            name=name,
            owner=owner,
            country=country,
            owner_aliases=aliases,
            owners=owners,
            address=address,
            city=city,
            products=products,
            logic_node_nm=metrics["logic_node_nm"],
            non_planar=non_planar,
            nand_layers=int(layers) if layers is not None else None,
            dram_half_pitch_nm=metrics["dram_half_pitch_nm"],
            dram_cell_area_um2=metrics["dram_cell_area_um2"],
            id=ident,
            region=region,
            parties=parties,
        )

    def region(self, value: object, country: str | None) -> str | None:
        """An ISO 3166-2 subdivision of the facility country, or None."""
        if value is None:
            return None
        where = "facility.region"
        if not isinstance(value, str) or value not in SUBDIVISION_CODES:
            self.errors.add(where, f"{str(value)[:20]!r} is not an ISO 3166-2 code (e.g. UA-43)")
            return None
        if country is not None and not value.startswith(f"{country}-"):
            self.errors.add(where, f"{value} is not a subdivision of facility.country {country}")
            return None
        return value

    def stake(self, raw: object, path: str) -> OwnerStake | None:
        """One owner of the facility owner: name, share in percent (0 < share <= 100, or null when
        not known), source and as-of date."""
        o = self.obj(raw, path, frozenset({"name", "share", "source", "as_of"}))
        if o is None:
            return None
        name = self.string(o, "name", path)
        share = self.number(o, "share", path)
        if share is not None and not 0 < share <= 100:
            self.errors.add(f"{path}.share", "must be a percentage above 0 and at most 100")
        source = self.string(o, "source", path, required=False)
        as_of = self.day(o.get("as_of"), f"{path}.as_of", required=False)
        if name is None or (share is not None and not 0 < share <= 100):
            return None
        return OwnerStake(name=name, share=share, source=source, as_of=as_of)

    def tool(self, raw: object, path: str) -> ToolInfo | None:
        return parse_tool(self, raw, path)

    def engineer(self, raw: object, path: str, default: str | None) -> EngineerInfo | None:
        e = self.obj(raw, path, ENGINEER_FIELDS)
        if e is None:
            return None
        name = self.string(e, "name", path)
        citizenships: list[Citizenship] = []
        for i, item in enumerate(self.items(e, "citizenships", path)):
            at = f"{path}.citizenships[{i}]"
            if isinstance(item, str):  # shorthand "NL"
                item = {"country": item}
            c = self.obj(item, at, CITIZENSHIP_FIELDS)
            if c is None:
                continue
            country = self.country(c.get("country"), f"{at}.country")
            since = self.day(c.get("since"), f"{at}.since", required=False)
            if country is not None:
                citizenships.append(Citizenship(country, since))
        residencies: list[Residency] = []
        for i, item in enumerate(self.items(e, "permanent_residencies", path)):
            at = f"{path}.permanent_residencies[{i}]"
            if isinstance(item, str):
                item = {"country": item}
            r = self.obj(item, at, RESIDENCY_FIELDS)
            if r is None:
                continue
            country = self.country(r.get("country"), f"{at}.country")
            since = self.day(r.get("since"), f"{at}.since", required=False)
            until = self.day(r.get("until"), f"{at}.until", required=False)
            if since is not None and until is not None and until < since:
                self.errors.add(f"{at}.until", "must not be before since")
                continue
            if country is not None:
                residencies.append(Residency(country, since, until))
        protected = self.boolean(e, "us_protected_individual", path)
        born = self.day(e.get("date_of_birth"), f"{path}.date_of_birth", required=False)
        location = self.country(e.get("location"), f"{path}.location", required=False)
        if location is None and e.get("location") is None:
            location = default
        ident = self.ident(e, path)
        if name is None or location is None:
            return None
        return EngineerInfo(
            name, tuple(citizenships), tuple(residencies), protected, location, ident, born
        )

    def document(self, raw: Mapping[str, Any]) -> VisitDocument | None:
        if not isinstance(raw, Mapping):
            self.errors.add("document", "must be an object")
            return None
        self.obj(raw, "", DOCUMENT_FIELDS)  # top-level keys are reported by their own name
        for section in ("visit", "vendor", "facility", "engineers"):
            if raw.get(section) is None:
                self.errors.add(section, "is required")
        visit = self.visit(raw["visit"]) if raw.get("visit") is not None else None
        vendor = self.vendor(raw["vendor"]) if raw.get("vendor") is not None else None
        facility = self.facility(raw["facility"]) if raw.get("facility") is not None else None

        tools: list[ToolInfo] = []
        for i, item in enumerate(self.items(raw, "tools", "", limit=MAX_TOOLS)):
            tool = self.tool(item, f"tools[{i}]")
            if tool is not None:
                tools.append(tool)

        mode = visit.mode if visit is not None else ""
        default = (
            default_location(mode, facility.country, vendor.country)
            if facility is not None and vendor is not None and mode in MODES
            else None
        )
        engineers: list[EngineerInfo] = []
        raw_engineers = self.items(raw, "engineers", "", limit=MAX_ENGINEERS)
        if (
            raw.get("engineers") is not None
            and not raw_engineers
            and "engineers" not in self.errors.by_path
        ):
            self.errors.add("engineers", "at least one engineer is required")
        seen: dict[str, int] = {}
        for i, item in enumerate(raw_engineers):
            engineer = self.engineer(item, f"engineers[{i}]", default)
            if engineer is None:
                continue
            key = engineer.name.strip().casefold()
            if key in seen:
                self.errors.add(
                    f"engineers[{i}].name",
                    f"duplicates engineers[{seen[key]}].name; names must be unique within a visit "
                    "because findings and licences identify engineers by name",
                )
            seen.setdefault(key, i)
            engineers.append(engineer)

        if self.errors.by_path or visit is None or vendor is None or facility is None:
            return None
        return VisitDocument(visit, vendor, facility, tuple(tools), tuple(engineers))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _raise(errors: dict[str, list[str]]) -> None:
    count = sum(len(v) for v in errors.values())
    first = "; ".join(f"{path}: {msgs[0]}" for path, msgs in list(errors.items())[:3])
    more = "" if len(errors) <= 3 else f"; and {len(errors) - 3} more field(s)"
    raise DocumentError(
        f"Invalid visit document ({count} error{'s' if count != 1 else ''}): {first}{more}",
        errors,
    )


def parse_document(raw: Mapping[str, Any]) -> VisitDocument:
    """Validate a raw visit document (DESIGN sec. 3); raise DocumentError naming every bad field."""
    parser = _Parser()
    document = parser.document(raw)
    if document is None:
        errors = parser.errors.by_path or {"document": ["is invalid"]}
        _raise(errors)
    assert document is not None
    return document


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_document_json(text: str | bytes) -> VisitDocument:
    """Parse JSON text into a validated document; malformed JSON is reported under `document`."""
    if len(text) > MAX_JSON_BYTES:
        _raise({"document": [f"is larger than {MAX_JSON_BYTES} bytes"]})
    try:
        raw = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        _raise({"document": [f"is not valid JSON: {exc}"]})
    if not isinstance(raw, dict):
        _raise({"document": ["must be a JSON object"]})
    return parse_document(raw)
