"""One entry of a restricted-party list, as imported from the Consolidated Screening List (CSL).

An entry is plain data: the importers build it, the matcher indexes it, and the Django side stores it
field by field in a snapshot so that an index can be rebuilt without the original file.

`content_hash` binds an approver's false-positive mark to what the entry said when the mark was made
(DESIGN sec. 7): the mark lapses when the hash changes. The hash therefore covers everything that
identifies the party or states the legal consequence (names, aliases, addresses, countries, list,
programs, Federal Register notice, dates, licence requirement and policy, remarks, identifiers), and
leaves out what is only cosmetic or locates the record (the entry id, the agency label of the source,
the source URLs, which moved from bit.ly links to full URLs between the 2022 and 2025 files).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property

from config.text import nfc

# Bump when the canonical form changes: every stored hash then differs, so every false-positive mark
# lapses and is reviewed again, which is the safe direction.
CONTENT_HASH_VERSION = "csl-entry-v1"

_WHITESPACE = re.compile(r"\s+")

# List codes as the CSL prints them in parentheses, with the full names used when a source label comes
# without a code. Keys of LIST_CODES_BY_NAME are casefolded and whitespace-collapsed.
LIST_NAMES: dict[str, str] = {
    "CAP": "Capta List",
    "CMIC": "Non-SDN Chinese Military-Industrial Complex Companies List",
    "DPL": "Denied Persons List",
    "DTC": "ITAR Debarred",
    "EL": "Entity List",
    "FSE": "Foreign Sanctions Evaders",
    "ISN": "Nonproliferation Sanctions",
    "MEU": "Military End User List",
    "NS-MBS": "Non-SDN Menu-Based Sanctions List",
    "PLC": "Palestinian Legislative Council List",
    "SDN": "Specially Designated Nationals",
    "SSI": "Sectoral Sanctions Identifications List",
    "UVL": "Unverified List",
}
_EXTRA_NAMES: dict[str, str] = {
    # Older or longer labels seen in trade.gov and OFAC publications.
    "specially designated nationals list": "SDN",
    "specially designated nationals and blocked persons list": "SDN",
    "military end-user list": "MEU",
    "military end user (meu) list": "MEU",
    "nonproliferation sanctions list": "ISN",
    "itar debarred list": "DTC",
    "aeca debarred": "DTC",
    "correspondent account or payable-through account sanctions": "CAP",
    "non-sdn menu-based sanctions": "NS-MBS",
    "foreign sanctions evaders list": "FSE",
}
LIST_CODES_BY_NAME: dict[str, str] = {
    **{name.casefold(): code for code, name in LIST_NAMES.items()},
    **_EXTRA_NAMES,
}

# "(EL)", "(NS-MBS List)": a code is upper-case letters, digits and hyphens; "List" may follow it.
_CODE_IN_PARENS = re.compile(r"\(\s*([A-Z][A-Z0-9-]{1,11})(?:\s+List)?\s*\)")


class UnknownListSourceError(ValueError):
    """A `source` label that carries no list code in parentheses and is not a known list name."""


def list_code_from_source(source: str) -> str:
    """Return the list code of a CSL `source` label, e.g. "EL" for
    "Entity List (EL) - Bureau of Industry and Security".

    Labels drift between publications, so the code in parentheses wins; a label without one is looked
    up by its list name (the part before " - agency"). Anything else raises UnknownListSourceError:
    an entry whose list we cannot name must not be imported silently.
    """
    label = _WHITESPACE.sub(" ", source).strip()
    list_part = label.split(" - ", 1)[0]
    match = _CODE_IN_PARENS.search(list_part)
    if match:
        return match.group(1)
    code = LIST_CODES_BY_NAME.get(list_part.casefold())
    if code is None:
        raise UnknownListSourceError(f"unknown list source {source!r}: no list code in parentheses")
    return code


def list_label(list_code: str) -> str:
    """Human-readable list name with its code, e.g. "Entity List (EL)"."""
    name = LIST_NAMES.get(list_code)
    return f"{name} ({list_code})" if name else list_code


@dataclass(frozen=True)
class ListEntry:
    """One CSL record. Multi-valued CSL cells become tuples, in the order published.

    Fields beyond the brief: `source_id` (the `_id`, or the OFAC entity number, as published, so a
    reviewer can find the record on trade.gov), `title`, `end_date`, `dates_of_birth` and `ids`, which
    a reviewer needs to tell a person or company apart from a namesake.
    """

    entry_id: str
    list_code: str
    source: str
    name: str
    alt_names: tuple[str, ...]
    entity_type: str
    programs: tuple[str, ...]
    countries: tuple[str, ...]
    addresses: tuple[str, ...]
    federal_register_notice: str
    start_date: str
    license_requirement: str
    license_policy: str
    remarks: str
    source_list_url: str
    source_information_url: str
    source_id: str = ""
    title: str = ""
    end_date: str = ""
    dates_of_birth: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Names are kept in Unicode NFC, as every name the product stores (config.text), so that
        # a composed and a decomposed "é" are one name on both sides of a match.
        object.__setattr__(self, "name", nfc(self.name))
        object.__setattr__(self, "alt_names", tuple(nfc(a) for a in self.alt_names))

    @cached_property
    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON of the fields that matter; see the module docstring."""
        return entry_content_hash(self)

    @property
    def list_label(self) -> str:
        return list_label(self.list_code)


def _canonical_text(value: str) -> str:
    # Spacing varies between publications of the same text (licence requirements in particular);
    # collapsing it keeps a mark alive across a reformatting, while any change of words still counts.
    return _WHITESPACE.sub(" ", value).strip()


def _canonical_set(values: tuple[str, ...]) -> list[str]:
    # The order of aliases, addresses or programs carries no meaning.
    return sorted({_canonical_text(v) for v in values if v.strip()})


def entry_content_hash(entry: ListEntry) -> str:
    """sha256 of the canonical JSON form of `entry` (stable across runs, processes and machines)."""
    canonical = {
        "version": CONTENT_HASH_VERSION,
        "list_code": entry.list_code,
        "name": _canonical_text(entry.name),
        "alt_names": _canonical_set(entry.alt_names),
        "entity_type": _canonical_text(entry.entity_type),
        "programs": _canonical_set(entry.programs),
        "countries": sorted(set(entry.countries)),
        "addresses": _canonical_set(entry.addresses),
        "federal_register_notice": _canonical_text(entry.federal_register_notice),
        "start_date": _canonical_text(entry.start_date),
        "end_date": _canonical_text(entry.end_date),
        "license_requirement": _canonical_text(entry.license_requirement),
        "license_policy": _canonical_text(entry.license_policy),
        "remarks": _canonical_text(entry.remarks),
        "title": _canonical_text(entry.title),
        "dates_of_birth": _canonical_set(entry.dates_of_birth),
        "ids": _canonical_set(entry.ids),
    }
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
