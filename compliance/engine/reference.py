"""Reference files: country groups with effective-dated memberships, and named constants."""

from __future__ import annotations

import re
from typing import Any, Final

from .document import ACTIVITIES, COUNTRY_CODES
from .facts import OBJECT_ROOTS, SCALAR_FACTS
from .rulepack import (
    CONFIDENCES,
    HELPERS,
    REFERENCE_DIR,
    Collector,
    Constant,
    CountryGroup,
    GroupMembership,
    as_date,
    nonblank,
    unknown_fields,
)

_GROUP_FIELDS: Final = frozenset(
    {"code", "title", "citation", "source_url", "confidence", "complete", "notes", "members"}
)
_MEMBER_FIELDS: Final = frozenset({"country", "from", "to", "citation", "confidence", "notes"})
_CONSTANT_FIELDS: Final = frozenset({"name", "description", "citation", "values"})
_GROUP_CODE = re.compile(r"[A-Z][A-Z0-9]*(?::[A-Z0-9]+(?:-[A-Z0-9]+)*)?")
_CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def check_unique(items: Any, errors: Collector) -> None:
    seen: set[str] = set()
    for code, kind in items:
        if code in seen:
            errors.add(REFERENCE_DIR, None, f"duplicate {kind} {code}")
        seen.add(code)


def load_groups(file: str, raw: object, errors: Collector) -> list[CountryGroup]:
    if not isinstance(raw, list):
        errors.add(file, None, "country_groups must be a list")
        return []
    groups: list[CountryGroup] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(file, None, f"country_groups[{i}] must be a mapping")
            continue
        code = item.get("code")
        label = f"country group {code}" if isinstance(code, str) else f"country_groups[{i}]"
        problems: list[str] = [f"unknown field {k!r}" for k in unknown_fields(item, _GROUP_FIELDS)]
        if not isinstance(code, str) or not _GROUP_CODE.fullmatch(code):
            problems.append("code must look like US:D5, US:D1-UNVERIFIED, JP:BULK42 or EU")
        for key in ("title", "citation", "source_url"):
            if nonblank(item.get(key)) is None:
                problems.append(f"missing {key}")
        if item.get("confidence") not in CONFIDENCES:
            problems.append(f"confidence must be one of {', '.join(CONFIDENCES)}")
        if not isinstance(item.get("complete"), bool):
            problems.append("complete must be true or false (is the member list exhaustive?)")
        members: list[GroupMembership] = []
        raw_members = item.get("members")
        if not isinstance(raw_members, list) or not raw_members:
            problems.append("members must be a non-empty list")
            raw_members = []
        for j, m in enumerate(raw_members):
            if not isinstance(m, dict):
                problems.append(f"members[{j}] must be a mapping")
                continue
            problems.extend(
                f"members[{j}]: unknown field {k!r}" for k in unknown_fields(m, _MEMBER_FIELDS)
            )
            country = m.get("country")
            if not isinstance(country, str) or country not in COUNTRY_CODES:
                # YAML reads an unquoted NO (Norway) as false: quote country codes.
                problems.append(
                    f"members[{j}]: {country!r} is not an ISO 3166-1 alpha-2 code (quote it)"
                )
                continue
            start = as_date(m["from"]) if m.get("from") is not None else None
            end = as_date(m["to"]) if m.get("to") is not None else None
            if (m.get("from") is not None and start is None) or (
                m.get("to") is not None and end is None
            ):
                problems.append(f"members[{j}] {country}: from/to must be ISO dates")
                continue
            if start is not None and end is not None and not start < end:
                problems.append(f"members[{j}] {country}: from must be before to")
                continue
            confidence = m.get("confidence", item.get("confidence"))
            if confidence not in CONFIDENCES:
                problems.append(f"members[{j}] {country}: bad confidence")
                continue
            members.append(
                GroupMembership(
                    country=country,
                    from_date=start,
                    to_date=end,
                    citation=nonblank(m.get("citation")) or str(item.get("citation", "")),
                    confidence=str(confidence),
                    notes=nonblank(m.get("notes")) or "",
                )
            )
        for p in problems:
            errors.add(file, None, f"{label}: {p}")
        if not problems:
            groups.append(
                CountryGroup(
                    code=str(code),
                    title=str(item["title"]).strip(),
                    citation=str(item["citation"]).strip(),
                    source_url=str(item["source_url"]).strip(),
                    confidence=str(item["confidence"]),
                    complete=bool(item["complete"]),
                    members=tuple(members),
                    notes=nonblank(item.get("notes")) or "",
                )
            )
    return groups


def load_constants(file: str, raw: object, errors: Collector) -> list[Constant]:
    if not isinstance(raw, list):
        errors.add(file, None, "constants must be a list")
        return []
    reserved = OBJECT_ROOTS | frozenset(SCALAR_FACTS) | HELPERS
    constants: list[Constant] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(file, None, f"constants[{i}] must be a mapping")
            continue
        name = item.get("name")
        label = f"constant {name}" if isinstance(name, str) else f"constants[{i}]"
        problems = [f"unknown field {k!r}" for k in unknown_fields(item, _CONSTANT_FIELDS)]
        if not isinstance(name, str) or not _CONSTANT_NAME.fullmatch(name) or name in reserved:
            problems.append("name must be UPPER_CASE and not a fact or helper name")
        values = item.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            problems.append("values must be a non-empty list of strings (quote country codes)")
        for key in ("description", "citation"):
            if nonblank(item.get(key)) is None:
                problems.append(f"missing {key}")
        if isinstance(name, str) and name.endswith("_ACTIVITIES") and isinstance(values, list):
            problems.extend(f"unknown activity {v!r}" for v in values if v not in ACTIVITIES)
        for p in problems:
            errors.add(file, None, f"{label}: {p}")
        if not problems and isinstance(values, list):
            constants.append(
                Constant(
                    name=str(name),
                    values=tuple(str(v) for v in values),
                    description=str(item["description"]).strip(),
                    citation=str(item["citation"]).strip(),
                )
            )
    return constants
