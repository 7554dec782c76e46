"""The UN Security Council Consolidated List, XML as the UN publishes it (root `CONSOLIDATED_LIST`
with `INDIVIDUALS/INDIVIDUAL` and `ENTITIES/ENTITY`).

An entry's id is its permanent reference number ("UN:QDi.001", the committee's prefix and a serial),
which the UN keeps for the life of a listing; `programs` holds the sanctions regime (`UN_LIST_TYPE`:
"Al-Qaida", "DPRK", "Taliban", …). Aliases of every quality are kept, "Low" ones too: the UN warns
that they may not identify a person on their own, but a gate screens them and lets an approver
dismiss the hit rather than miss it. Dates of birth keep what is published: a whole date, a year,
or both years of a "BETWEEN" span.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from compliance.screening.entries import ListEntry
from compliance.screening.formats.common import (
    ProgressCallback,
    assemble,
    birth_values,
    child_text,
    children,
    clean,
    country_codes,
    local_name,
    parse_xml,
    unique_values,
)
from compliance.screening.importers import ListFormatError, ParsedList

FORMAT = "un-xml"
SOURCE_LABEL = "UN Security Council Consolidated List"
LIST_URL = "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def parse_un_xml(raw: bytes, *, progress: ProgressCallback | None = None) -> ParsedList:
    root = parse_xml(raw)
    if local_name(root) != "CONSOLIDATED_LIST":
        raise ListFormatError(
            f"root element is <{local_name(root)}>, not <CONSOLIDATED_LIST> of the UN list"
        )
    sections = {local_name(child) for child in root}
    if not {"INDIVIDUALS", "ENTITIES"} <= sections:
        missing = sorted({"INDIVIDUALS", "ENTITIES"} - sections)
        raise ListFormatError(f"<CONSOLIDATED_LIST> has no <{'>, <'.join(missing)}> section")
    entries: list[ListEntry] = []
    warnings: list[str] = []
    low_aliases = 0
    record = 0
    for section, tag, person in (
        ("INDIVIDUALS", "INDIVIDUAL", True),
        ("ENTITIES", "ENTITY", False),
    ):
        for container in children(root, section):
            for element in container:
                record += 1
                if local_name(element) != tag:
                    raise ListFormatError(
                        f"unexpected <{local_name(element)}> inside <{section}>", record=record
                    )
                entry, low = _entry(element, person=person, record=record)
                low_aliases += low
                entries.append(entry)
                if progress and record % 1000 == 0:
                    progress(record)
    if progress:
        progress(record)
    if low_aliases:
        warnings.append(
            f"{low_aliases} aliases of low quality are screened; the UN notes they may not "
            "identify a party on their own"
        )
    generated = root.get("dateGenerated")
    if generated:
        warnings.insert(0, f"list generated {generated}")
    return assemble(entries, raw=raw, form=FORMAT, warnings=warnings)


def _values(element: Element, name: str) -> tuple[str, ...]:
    """The VALUE texts of every child `name` (NATIONALITY, DESIGNATION, TITLE, …)."""
    return unique_values(
        value.text or "" for child in children(element, name) for value in children(child, "VALUE")
    )


def _entry(element: Element, *, person: bool, record: int) -> tuple[ListEntry, int]:
    reference = child_text(element, "REFERENCE_NUMBER")
    data_id = child_text(element, "DATAID")
    if not reference and not data_id:
        raise ListFormatError("entry without REFERENCE_NUMBER or DATAID", record=record)
    name = " ".join(part for p in _NAME_PARTS if (part := child_text(element, p)))
    if not name:
        raise ListFormatError(f"entry {reference or data_id} has no name", record=record)
    prefix = "INDIVIDUAL" if person else "ENTITY"
    aliases: list[str] = []
    low = 0
    for alias in children(element, f"{prefix}_ALIAS"):
        alias_name = child_text(alias, "ALIAS_NAME")
        if alias_name:
            aliases.append(alias_name)
            low += child_text(alias, "QUALITY") == "Low"
    original = child_text(element, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(original)
    addresses, address_countries = _addresses(children(element, f"{prefix}_ADDRESS"))
    nationalities = _values(element, "NATIONALITY")
    births = _births(children(element, "INDIVIDUAL_DATE_OF_BIRTH")) if person else ()
    documents = tuple(
        " ".join(
            part
            for part in (
                child_text(doc, "TYPE_OF_DOCUMENT"),
                child_text(doc, "NUMBER"),
                child_text(doc, "ISSUING_COUNTRY"),
            )
            if part
        )
        for doc in children(element, "INDIVIDUAL_DOCUMENT")
    )
    entry = ListEntry(
        entry_id=f"UN:{reference or data_id}",
        list_code="UN",
        source=SOURCE_LABEL,
        name=name,
        alt_names=tuple(a for a in unique_values(aliases) if a.casefold() != name.casefold()),
        entity_type="Individual" if person else "Entity",
        programs=unique_values([child_text(element, "UN_LIST_TYPE")]),
        countries=country_codes([*nationalities, *address_countries]),
        addresses=addresses,
        federal_register_notice="",
        start_date=child_text(element, "LISTED_ON"),
        license_requirement="",
        license_policy="",
        remarks=clean(child_text(element, "COMMENTS1"))[:4000],
        source_list_url=LIST_URL,
        source_information_url="",
        source_id=reference or data_id,
        title="; ".join(_values(element, "TITLE") + _values(element, "DESIGNATION")),
        dates_of_birth=births,
        ids=tuple(d for d in unique_values(documents) if d),
    )
    return entry, low


def _addresses(elements: list[Element]) -> tuple[tuple[str, ...], list[str]]:
    lines: list[str] = []
    countries: list[str] = []
    for address in elements:
        parts = [
            child_text(address, p)
            for p in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
        ]
        if country := child_text(address, "COUNTRY"):
            countries.append(country)
        line = ", ".join(p for p in parts if p)
        if line:
            lines.append(line)
    return unique_values(lines), countries


def _births(elements: list[Element]) -> tuple[str, ...]:
    return birth_values(
        tuple(child_text(b, p) for p in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR")) for b in elements
    )
