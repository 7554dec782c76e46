"""The UK Sanctions List, XML as the FCDO publishes it (UK-Sanctions-List.xml: root `Designations`
with a `DateGenerated` and one `Designation` per designated person, entity or ship).

A `Designation` holds `UniqueID` (e.g. "RUS0251", kept for the life of the designation),
`OFSIGroupID`, `UNReferenceNumber`, `DateDesignated` (dd/mm/yyyy), `Names/Name` (`Name1`…`Name5`
given and other names, `Name6` the family or whole name, `NameType` "Primary Name", "Primary name
variation" or "Alias"), `NonLatinNames` (`NameNonLatinScript`), `RegimeName`,
`IndividualEntityShip`, `SanctionsImposed` ("Asset freeze|Trust services sanctions|Travel Ban"),
`OtherInformation`, `Addresses/Address` (`AddressLine1`…`AddressLine6`, `AddressPostalCode`,
`AddressCountry`), `IndividualDetails/Individual` (`DOBs/DOB`, `Nationalities/Nationality`,
`Positions/Position`, passports) and `ShipDetails/Ship` (`IMONumbers`, flags).

An entry's id is "UK:<UniqueID>"; `programs` holds the regime; `license_requirement` the sanctions
imposed, joined with "; ", which is where the screening side tells an asset freeze from other
measures; `remarks` the other information. Dates of birth keep what is published, as ISO: a whole
date "1952-10-07", a year "1945" for "dd/mm/1945", a month "1958-03" for "dd/03/1958"; a date in any
other form is kept as published and counted in a warning. Country names the product cannot map to
an ISO code are left out of `countries` and named in a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from xml.etree.ElementTree import Element

from compliance.screening.entries import ListEntry
from compliance.screening.formats.common import (
    ProgressCallback,
    assemble,
    child_text,
    children,
    clean,
    country_code,
    country_codes,
    local_name,
    parse_xml,
    unique_values,
)
from compliance.screening.importers import ListFormatError, ParsedList

FORMAT = "uk-xml"
SOURCE_LABEL = "UK Sanctions List"
LIST_URL = "https://www.gov.uk/government/publications/the-uk-sanctions-list"
_ENTITY_TYPES = {"individual": "Individual", "entity": "Entity", "ship": "Vessel"}
_NAME_PARTS = ("Name1", "Name2", "Name3", "Name4", "Name5", "Name6")
_DATE = re.compile(r"(\d\d|dd)/(\d\d|mm)/(\d{4})", re.IGNORECASE)


class _Tally:
    def __init__(self) -> None:
        self.odd_dates: list[str] = []
        self.unknown_countries: Counter[str] = Counter()
        self.no_primary = 0


def parse_uk_xml(raw: bytes, *, progress: ProgressCallback | None = None) -> ParsedList:
    root = parse_xml(raw)
    if local_name(root) != "Designations":
        raise ListFormatError(
            f"root element is <{local_name(root)}>, not <Designations> of the UK Sanctions List"
        )
    entries: list[ListEntry] = []
    tally = _Tally()
    record = 0
    for element in root:
        tag = local_name(element)
        if tag == "DateGenerated":
            continue
        record += 1
        if tag != "Designation":
            raise ListFormatError(f"unexpected <{tag}> inside <Designations>", record=record)
        entries.append(_entry(element, record=record, tally=tally))
        if progress and record % 1000 == 0:
            progress(record)
    if progress:
        progress(record)
    warnings: list[str] = []
    if generated := child_text(root, "DateGenerated"):
        warnings.append(f"list generated {generated}")
    if tally.no_primary:
        warnings.append(
            f"designations without a primary name, named by their first name: {tally.no_primary}"
        )
    if tally.odd_dates:
        warnings.append(
            f"dates not in the form dd/mm/yyyy, kept as published: {len(tally.odd_dates)} "
            f"(e.g. {tally.odd_dates[0]!r})"
        )
    if tally.unknown_countries:
        named = ", ".join(sorted(tally.unknown_countries))
        warnings.append(f"country names without an ISO code, left out of countries: {named}")
    return assemble(entries, raw=raw, form=FORMAT, warnings=warnings)


def _texts(element: Element, path: str) -> tuple[str, ...]:
    """The texts of the elements at `path` ("Nationalities/Nationality") below `element`."""
    nodes = [element]
    for name in path.split("/"):
        nodes = [child for node in nodes for child in children(node, name)]
    return unique_values(node.text or "" for node in nodes)


def _entry(element: Element, *, record: int, tally: _Tally) -> ListEntry:
    unique_id = child_text(element, "UniqueID")
    if not unique_id:
        raise ListFormatError("<Designation> without UniqueID", record=record)
    primary, names, marked = _names(element)
    if not primary:
        raise ListFormatError(f"designation {unique_id} has no name", record=record)
    tally.no_primary += not marked
    kind = child_text(element, "IndividualEntityShip")
    if kind.casefold() not in _ENTITY_TYPES:
        raise ListFormatError(
            f"designation {unique_id}: IndividualEntityShip is {kind!r}, "
            "not Individual, Entity or Ship",
            record=record,
        )
    individuals = [i for d in children(element, "IndividualDetails") for i in d]
    ships = [s for d in children(element, "ShipDetails") for s in d]
    addresses, address_countries = _addresses(element)
    country_names = [
        *(n for i in individuals for n in _texts(i, "Nationalities/Nationality")),
        *address_countries,
        *(
            f
            for s in ships
            for f in _texts(s, "CurrentBelievedFlagOfShips/CurrentBelievedFlagOfShip")
        ),
    ]
    tally.unknown_countries.update(n for n in country_names if not country_code(n))
    measures = [m for text in _texts(element, "SanctionsImposed") for m in text.split("|")]
    group = child_text(element, "OFSIGroupID")
    un_reference = child_text(element, "UNReferenceNumber")
    ids = [
        f"OFSI group ID {group}" if group else "",
        f"UN reference {un_reference}" if un_reference else "",
        *(
            f"Passport {p}"
            for i in individuals
            for p in _texts(i, "PassportDetails/Passport/PassportNumber")
        ),
        *(
            f"National identifier {n}"
            for i in individuals
            for n in _texts(
                i, "NationalIdentifierDetails/NationalIdentifier/NationalIdentifierNumber"
            )
        ),
        *(
            f"IMO {imo.removeprefix('IMO')}"
            for s in ships
            for imo in _texts(s, "IMONumbers/IMONumber")
        ),
    ]
    return ListEntry(
        entry_id=f"UK:{unique_id}",
        list_code="UK",
        source=SOURCE_LABEL,
        name=primary,
        alt_names=tuple(n for n in names if n.casefold() != primary.casefold()),
        entity_type=_ENTITY_TYPES[kind.casefold()],
        programs=_texts(element, "RegimeName"),
        countries=country_codes(country_names),
        addresses=addresses,
        federal_register_notice="",
        start_date=_date(child_text(element, "DateDesignated"), tally),
        license_requirement="; ".join(unique_values(measures)),
        license_policy="",
        remarks="; ".join(_texts(element, "OtherInformation"))[:4000],
        source_list_url=LIST_URL,
        source_information_url="",
        source_id=unique_id,
        title="; ".join(
            unique_values(
                [
                    *_texts(element, "Titles/Title"),
                    *(t for i in individuals for t in _texts(i, "Positions/Position")),
                ]
            )
        ),
        dates_of_birth=unique_values(
            _date(dob, tally) for i in individuals for dob in _texts(i, "DOBs/DOB")
        ),
        ids=unique_values(ids),
    )


def _names(element: Element) -> tuple[str, list[str], bool]:
    """The primary name, every name (Latin names, then the non-Latin ones), and whether a name is
    marked primary (else the first name stands in)."""
    primary = ""
    names: list[str] = []
    for group in children(element, "Names"):
        for name in children(group, "Name"):
            whole = child_text(name, "Name") or " ".join(
                part for p in _NAME_PARTS if (part := child_text(name, p))
            )
            if not whole:
                continue
            names.append(whole)
            if not primary and child_text(name, "NameType").casefold() == "primary name":
                primary = whole
    names.extend(
        clean(node.text)
        for group in children(element, "NonLatinNames")
        for node in group.iter()
        if local_name(node) == "NameNonLatinScript" and clean(node.text)
    )
    if not names:
        return "", [], False
    return primary or names[0], list(unique_values(names)), bool(primary)


def _addresses(element: Element) -> tuple[tuple[str, ...], list[str]]:
    lines: list[str] = []
    countries: list[str] = []
    for group in children(element, "Addresses"):
        for address in children(group, "Address"):
            parts = [child_text(address, f"AddressLine{n}") for n in range(1, 7)]
            parts.append(child_text(address, "AddressPostalCode"))
            if country := child_text(address, "AddressCountry"):
                countries.append(country)
            lines.append(", ".join(p for p in [*parts, country] if p))
    return unique_values(lines), countries


def _date(text: str, tally: _Tally) -> str:
    """dd/mm/yyyy as ISO; "dd/mm/1945" (day and month unknown) as "1945", "dd/03/1958" as
    "1958-03"; anything else as published."""
    if not text:
        return ""
    match = _DATE.fullmatch(text)
    if not match:
        tally.odd_dates.append(text)
        return text
    day, month, year = match.groups()
    if not month.isdigit() or month == "00":
        return year
    if not day.isdigit() or day == "00":
        return f"{year}-{month}"
    return f"{year}-{month}-{day}"
