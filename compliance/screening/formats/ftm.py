"""FollowTheMoney entities, one JSON object per line, as OpenSanctions publishes them
(entities.ftm.json): each object has `id`, `schema`, `properties` (every value a list of strings:
`name`, `alias`, `weakAlias`, `country`, `nationality`, `birthDate`, `topics`, `address`,
`sourceUrl`, …), `datasets`, and in OpenSanctions exports `caption`, `target`, `first_seen`,
`last_seen`, `last_change` and `referents`.

Only parties are screened: the schemata Person ("Individual"), Organization, Company, LegalEntity,
PublicBody ("Entity"), Vessel ("Vessel") and Airplane ("Aircraft"); and when an object has the key
`target`, only the targets (OpenSanctions marks as targets the entities with a sanction or other
risk topic; the others are relatives, owners or officials named beside them). Objects of other
schemata (Address, Sanction, Ownership, …) and parties that are no target are skipped and counted in
a warning.

An entry's id is "FTM:<id>"; `programs` holds the datasets, `remarks` the topics ("sanction",
"role.pep", …) joined with "; ". Aliases include the weak aliases, counted in a warning. Dates of
birth are kept as published (FollowTheMoney writes ISO dates and their prefixes: "1952-10-07",
"1952"). A line that is not JSON, not an object, or lacks `id` or `schema` is an error naming the
line; blank lines are allowed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from compliance.screening.entries import ListEntry
from compliance.screening.formats.common import (
    ProgressCallback,
    assemble,
    country_codes,
    decode_utf8,
    unique_values,
)
from compliance.screening.importers import ListFormatError, ParsedList

FORMAT = "ftm-jsonl"
SOURCE_LABEL = "FollowTheMoney entities"
_ENTITY_TYPES = {
    "Person": "Individual",
    "Organization": "Entity",
    "Company": "Entity",
    "LegalEntity": "Entity",
    "PublicBody": "Entity",
    "Vessel": "Vessel",
    "Airplane": "Aircraft",
}
_COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction", "mainCountry", "flag")
_ID_PROPS = (
    "idNumber",
    "passportNumber",
    "registrationNumber",
    "taxNumber",
    "innCode",
    "ogrnCode",
    "leiCode",
    "swiftBic",
    "imoNumber",
    "mmsi",
    "callSign",
    "serialNumber",
)


def parse_ftm_jsonl(raw: bytes, *, progress: ProgressCallback | None = None) -> ParsedList:
    if not raw.strip():
        raise ListFormatError("the file is empty")
    lines = decode_utf8(raw).split("\n")
    entries: list[ListEntry] = []
    skipped: Counter[str] = Counter()
    not_targets = 0
    weak = 0
    record = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record += 1
        item = _object(line, line=number, record=record, last=number == len(lines))
        schema = item["schema"]
        if schema not in _ENTITY_TYPES:
            skipped[schema] += 1
        elif "target" in item and item["target"] is not True:
            if not isinstance(item["target"], bool):
                raise ListFormatError("'target' must be true or false", line=number, record=record)
            not_targets += 1
        else:
            entry, weak_names = _entry(item, line=number, record=record)
            entries.append(entry)
            weak += weak_names
        if progress and record % 1000 == 0:
            progress(record)
    if progress:
        progress(record)
    warnings: list[str] = []
    if skipped:
        counts = ", ".join(f"{schema} {n}" for schema, n in sorted(skipped.items()))
        warnings.append(f"entities of schemata that are no party, skipped: {counts}")
    if not_targets:
        warnings.append(f"parties that are no target, skipped: {not_targets}")
    if weak:
        warnings.append(f"weak aliases screened (they may not identify a party alone): {weak}")
    return assemble(entries, raw=raw, form=FORMAT, warnings=warnings)


def _object(text: str, *, line: int, record: int, last: bool) -> dict[str, Any]:
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        cut = " (the file ends inside this line: cut off?)" if last else ""
        raise ListFormatError(
            f"not JSON: {error.msg} (column {error.colno}){cut}", line=line, record=record
        ) from error
    if not isinstance(item, dict):
        raise ListFormatError(
            f"expected a JSON object, found {type(item).__name__}", line=line, record=record
        )
    for key in ("id", "schema"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ListFormatError(f"object without {key!r}", line=line, record=record)
    properties = item.get("properties", {})
    if not isinstance(properties, dict):
        raise ListFormatError("'properties' must be an object", line=line, record=record)
    for name, values in properties.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ListFormatError(
                f"entity {item['id']}: property {name!r} must be a list of strings",
                line=line,
                record=record,
            )
    datasets = item.get("datasets", [])
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise ListFormatError("'datasets' must be a list of strings", line=line, record=record)
    return item


def _entry(item: dict[str, Any], *, line: int, record: int) -> tuple[ListEntry, int]:
    entity_id = item["id"].strip()
    props: dict[str, list[str]] = item.get("properties", {})

    def values(*names: str) -> tuple[str, ...]:
        return unique_values(v for n in names for v in props.get(n, ()))

    caption = item.get("caption")
    names = values("name") or (unique_values([caption]) if isinstance(caption, str) else ())
    if not names:
        raise ListFormatError(
            f"entity {entity_id} ({item['schema']}) has no name", line=line, record=record
        )
    primary = names[0]
    aliases = values("name", "alias", "previousName", "weakAlias")
    entry = ListEntry(
        entry_id=f"FTM:{entity_id}",
        list_code="FTM",
        source=SOURCE_LABEL,
        name=primary,
        alt_names=tuple(a for a in aliases if a.casefold() != primary.casefold()),
        entity_type=_ENTITY_TYPES[item["schema"]],
        programs=unique_values(item.get("datasets", [])),
        countries=country_codes(values(*_COUNTRY_PROPS)),
        addresses=values("address"),
        federal_register_notice="",
        start_date=next(iter(values("createdAt")), "")[:10],
        license_requirement="",
        license_policy="",
        remarks="; ".join(values("topics")),
        source_list_url="",
        source_information_url=next(iter(values("sourceUrl")), ""),
        source_id=entity_id,
        title="; ".join(values("title", "position")),
        dates_of_birth=values("birthDate"),
        ids=unique_values(f"{p} {v}" for p in _ID_PROPS for v in props.get(p, ())),
    )
    return entry, len(values("weakAlias"))
