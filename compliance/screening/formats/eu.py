"""The EU consolidated financial sanctions list, XML as the European Commission publishes it (the
Financial Sanctions Files export, version 1.1: root `export` in the namespace
``http://eu.europa.ec/fpi/fsd/export``, one `sanctionEntity` per listed party).

The data sits in attributes: `sanctionEntity` carries `logicalId` (the Commission's permanent number
of the entry), `euReferenceNumber`, `unitedNationId` and `designationDate`; its children are
`regulation` (attributes `programme`, `numberTitle`, `entryIntoForceDate`, …, child
`publicationUrl`), `subjectType` (`code` "person" or "enterprise"), `nameAlias` (`wholeName`,
`firstName`, `middleName`, `lastName`, `function`, `nameLanguage`, `strong`), `citizenship`,
`birthdate` (`birthdate`, `year`, `yearRangeFrom`/`yearRangeTo`), `address`, `identification` and
`remark` (text).

An entry's id is "EU:<logicalId>". `programs` holds the regime codes of its regulations ("UKR" for
Regulation 269/2014, "RUS", "IRQ", "TERR", …); `federal_register_notice` the legal acts as the list
cites them ("2022/332 (OJ L53)"), `source_information_url` the first act's address, `start_date`
the `designationDate` (empty when the Commission gives none). The primary name is the first strong
`nameAlias` without a language (the English form), the others are aliases; names the Commission
marks `strong="false"` are screened too and counted in a warning. Countries come from citizenships
and addresses ("00" is the Commission's unknown country and is left out).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from compliance.screening.entries import ListEntry
from compliance.screening.formats.common import (
    ProgressCallback,
    assemble,
    birth_values,
    children,
    clean,
    country_codes,
    local_name,
    parse_xml,
    unique_values,
)
from compliance.screening.importers import ListFormatError, ParsedList

FORMAT = "eu-xml"
SOURCE_LABEL = "EU consolidated financial sanctions list"
LIST_URL = (
    "https://data.europa.eu/data/datasets/"
    "consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions"
)
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
_ENTITY_TYPES = {"person": "Individual", "enterprise": "Entity"}
_UNKNOWN_COUNTRY = {"", "00", "UNKNOWN"}


def parse_eu_xml(raw: bytes, *, progress: ProgressCallback | None = None) -> ParsedList:
    root = parse_xml(raw)
    if local_name(root) != "export":
        raise ListFormatError(
            f"root element is <{local_name(root)}>, not <export> of the EU financial sanctions list"
        )
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace and namespace != NAMESPACE:
        raise ListFormatError(f"<export> is in namespace {namespace!r}, not {NAMESPACE!r}")
    entries: list[ListEntry] = []
    weak = 0
    untyped = 0
    record = 0
    for element in root:
        record += 1
        if local_name(element) != "sanctionEntity":
            raise ListFormatError(
                f"unexpected <{local_name(element)}> inside <export>", record=record
            )
        entry, weak_names, typed = _entry(element, record=record)
        weak += weak_names
        untyped += not typed
        entries.append(entry)
        if progress and record % 1000 == 0:
            progress(record)
    if progress:
        progress(record)
    warnings: list[str] = []
    if generated := root.get("generationDate"):
        warnings.append(f"list generated {generated}")
    if weak:
        warnings.append(f"names marked weak (strong=false), screened as aliases: {weak}")
    if untyped:
        warnings.append(f"entries without a known subjectType, screened as entities: {untyped}")
    return assemble(entries, raw=raw, form=FORMAT, warnings=warnings)


def _attr(element: Element, name: str) -> str:
    return clean(element.get(name))


def _entry(element: Element, *, record: int) -> tuple[ListEntry, int, bool]:
    logical_id = _attr(element, "logicalId")
    if not logical_id:
        raise ListFormatError("<sanctionEntity> without logicalId", record=record)
    names, primary, weak = _names(children(element, "nameAlias"))
    if not primary:
        raise ListFormatError(
            f"entry EU:{logical_id} has no name (no <nameAlias> with a wholeName or name parts)",
            record=record,
        )
    subject = children(element, "subjectType")
    code = _attr(subject[0], "code").casefold() if subject else ""
    regulations = children(element, "regulation")
    urls = [clean(url.text) for reg in regulations for url in children(reg, "publicationUrl")]
    citizenships = [_country(node) for node in children(element, "citizenship")]
    addresses = children(element, "address")
    reference = _attr(element, "euReferenceNumber")
    un_id = _attr(element, "unitedNationId")
    entry = ListEntry(
        entry_id=f"EU:{logical_id}",
        list_code="EU",
        source=SOURCE_LABEL,
        name=primary,
        alt_names=tuple(n for n in names if n.casefold() != primary.casefold()),
        # A subject type the list does not name is screened as an entity rather than dropped.
        entity_type=_ENTITY_TYPES.get(code, "Entity"),
        programs=unique_values(_attr(reg, "programme") for reg in regulations),
        countries=country_codes([*citizenships, *(_country(node) for node in addresses)]),
        addresses=unique_values(_address(node) for node in addresses),
        federal_register_notice="; ".join(
            unique_values(_attr(r, "numberTitle") for r in regulations)
        ),
        start_date=_attr(element, "designationDate"),
        license_requirement="",
        license_policy="",
        remarks="; ".join(unique_values(r.text or "" for r in children(element, "remark")))[:4000],
        source_list_url=LIST_URL,
        source_information_url=next((url for url in urls if url), ""),
        source_id=reference or logical_id,
        title="; ".join(
            unique_values(
                _attr(alias, part)
                for alias in children(element, "nameAlias")
                for part in ("title", "function")
            )
        ),
        dates_of_birth=_births(children(element, "birthdate")),
        ids=unique_values(
            [
                *(_identification(node) for node in children(element, "identification")),
                f"EU reference number {reference}" if reference else "",
                f"UN reference {un_id}" if un_id else "",
            ]
        ),
    )
    return entry, weak, code in _ENTITY_TYPES


def _names(aliases: list[Element]) -> tuple[tuple[str, ...], str, int]:
    """All names (first-seen order), the primary one, and how many are marked weak."""
    names: list[str] = []
    primary = ""
    fallback = ""
    weak = 0
    for alias in aliases:
        whole = _attr(alias, "wholeName") or " ".join(
            part for p in ("firstName", "middleName", "lastName") if (part := _attr(alias, p))
        )
        if not whole:
            continue
        names.append(whole)
        strong = _attr(alias, "strong").casefold() != "false"
        weak += not strong
        fallback = fallback or whole
        if not primary and strong and _attr(alias, "nameLanguage").upper() in ("", "EN"):
            primary = whole
    return unique_values(names), primary or fallback, weak


def _country(node: Element) -> str:
    code = _attr(node, "countryIso2Code")
    if code.upper() not in _UNKNOWN_COUNTRY:
        return code
    description = _attr(node, "countryDescription")
    return "" if description.upper() in _UNKNOWN_COUNTRY else description


def _address(node: Element) -> str:
    description = _attr(node, "countryDescription")
    country = "" if description.upper() in _UNKNOWN_COUNTRY else description
    parts = [_attr(node, p) for p in ("street", "poBox", "city", "zipCode", "region", "place")]
    return ", ".join(part for part in [*parts, country] if part)


def _births(nodes: list[Element]) -> tuple[str, ...]:
    return birth_values(
        tuple(_attr(n, p) for p in ("birthdate", "year", "yearRangeFrom", "yearRangeTo"))
        for n in nodes
    )


def _identification(node: Element) -> str:
    kind = _attr(node, "identificationTypeDescription") or _attr(node, "identificationTypeCode")
    number = _attr(node, "number") or _attr(node, "latinNumber")
    country = _country(node)
    return " ".join(part for part in (kind, number, country) if part) if number else ""
