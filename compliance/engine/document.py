"""The visit document: the engine's only input about a visit (DESIGN sec. 3).

The document is plain data, validated once by `docparse.parse_document`, so that everything
downstream (facts, rules, decision) can trust it. It is also stored with every decision, which
is why `document_to_dict` gives one canonical JSON form and
`parse_document(document_to_dict(d)) == d`.

Choices the contract leaves open, made here:

- `engineer.location` defaults to the facility country for `on_site` visits and to the vendor
  country for `remote` visits. The remote default is only a best guess: presence in the United
  States makes anyone a U.S. person (15 CFR 772.1), so callers must pass the real location.
- A visit may list no tools (e.g. training that is not about a specific tool); it must list at
  least one engineer.
- Unknown fields are refused, so a misspelt field ("non_planer") cannot silently drop a fact.
  Every object may carry an `id`; `visit.purpose` is accepted because the visit API has it.
- Engineer names must be unique within a visit: findings and licences identify engineers by name.
- `products: []` is kept as given but, like an absent list, means "capability unknown".
- Booleans that are absent default to false (`us_branch`, `us_protected_individual`,
  `non_planar`); the Django side always sends them.
- `tools[].subject_to_ear` is a recorded determination. A tool that gives none of the inputs it
  is derived from (`origin`, `us_content_percent`, `made_with_us_technology`) means what it meant
  before those existed: absent is false. A tool that gives any of them and no `subject_to_ear`
  has its status derived (`ear.py`), and `ToolInfo.subject_to_ear` is None.
- Limits against hostile input: at most 200 engineers, 200 tools and 200 items in any list;
  strings at most 500 characters; JSON text at most 2 MB.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import pycountry

__all__ = [
    "ACTIVITIES",
    "ITEM_KINDS",
    "MODES",
    "PRODUCTS",
    "Citizenship",
    "CodeMap",
    "DocumentError",
    "EngineerInfo",
    "FacilityInfo",
    "ItemInfo",
    "OwnerStake",
    "PartyInfo",
    "Residency",
    "ToolInfo",
    "VendorInfo",
    "VisitDocument",
    "VisitInfo",
    "default_location",
    "document_to_dict",
]

ACTIVITIES: Final = (
    "installation",
    "maintenance",
    "repair",
    "overhaul",
    "refurbishment",
    "upgrade",
    "spare_parts",
    "software_update",
    "remote_support",
    "training",
    "inspection",
    "decommissioning",
)
MODES: Final = ("on_site", "remote")
PRODUCTS: Final = ("logic", "dram", "nand", "other")

MAX_ENGINEERS: Final = 200
MAX_TOOLS: Final = 200
MAX_LIST_ITEMS: Final = 200
MAX_STRING: Final = 500
MAX_JSON_BYTES: Final = 2_000_000

COUNTRY_CODES: Final = frozenset(c.alpha_2 for c in pycountry.countries)
# Classification jurisdictions are countries, plus the EU for the Annex I dual-use list.
CLASSIFICATION_JURISDICTIONS: Final = COUNTRY_CODES | {"EU"}
# ISO 3166-2 subdivision codes (facility.region), e.g. "UA-43".
SUBDIVISION_CODES: Final = frozenset(s.code for s in pycountry.subdivisions)


Id = str | int | None


class DocumentError(ValueError):
    """The visit document is invalid; `errors` maps dotted field paths to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class CodeMap(Mapping[str, tuple[str, ...]]):
    """An immutable, hashable mapping jurisdiction -> classification codes.

    A plain dict would make `ToolInfo` mutable and unhashable; `MappingProxyType` cannot be
    pickled or deep-copied. Keys are kept sorted so equal maps iterate identically.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, tuple[str, ...]] | None = None) -> None:
        items = sorted((data or {}).items())
        self._data: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in items}

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # Direct delegation: the Mapping mixins go through __iter__/__getitem__ and are several
    # times slower on the engine's hot path.
    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def items(self) -> ItemsView[str, tuple[str, ...]]:
        return self._data.items()

    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[tuple[str, ...]]:
        return self._data.values()

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"CodeMap({self._data!r})"

    def __reduce__(self) -> tuple[type[CodeMap], tuple[dict[str, tuple[str, ...]]]]:
        return (CodeMap, (dict(self._data),))


@dataclass(frozen=True)
class VisitInfo:
    activity: str
    mode: str
    start_date: date
    end_date: date
    id: Id = None
    purpose: str | None = None
    # What is shipped, handed over or transferred; None when the document does not say (then
    # an installation ships the listed tools and nothing else is assumed: `shipped_items`).
    items: tuple[ItemInfo, ...] | None = None


@dataclass(frozen=True)
class VendorInfo:
    name: str
    country: str
    us_branch: bool = False
    id: Id = None


@dataclass(frozen=True)
class OwnerStake:
    """Who owns the facility owner, and how much: a party screened like the owner itself. `share`
    is the percentage held (None: not known), `source` where the figure comes from."""

    name: str
    share: float | None = None
    source: str | None = None
    as_of: date | None = None


# The parties of a visit the law names besides the owner (DESIGN sec. 3, DOMAIN sec. 6).
PARTY_ROLES: Final = ("purchaser", "consignee", "end_user", "operator")


@dataclass(frozen=True)
class PartyInfo:
    """A purchaser, consignee, end user or operator that differs from the facility owner,
    screened like the owner."""

    role: str
    name: str
    country: str | None = None


@dataclass(frozen=True)
class FacilityInfo:
    name: str
    owner: str
    country: str
    owner_aliases: tuple[str, ...] = ()
    owners: tuple[OwnerStake, ...] = ()
    parties: tuple[PartyInfo, ...] = ()
    address: str | None = None
    city: str | None = None
    # None: the document did not say what the building produces (capability unknown).
    products: tuple[str, ...] | None = None
    logic_node_nm: int | float | None = None
    non_planar: bool = False
    nand_layers: int | None = None
    dram_half_pitch_nm: int | float | None = None
    dram_cell_area_um2: int | float | None = None
    id: Id = None
    # ISO 3166-2 subdivision of the facility country (e.g. UA-43, Crimea); None when not given.
    region: str | None = None


@dataclass(frozen=True)
class ToolInfo:
    model: str
    classifications: CodeMap = field(default_factory=CodeMap)
    # The recorded determination; None when the status is to be derived from the inputs below.
    subject_to_ear: bool | None = False
    serial: str | None = None
    id: Id = None
    origin: str | None = None
    us_content_percent: int | float | None = None
    made_with_us_technology: bool | None = None
    # Why a recorded determination holds, as whoever recorded it said (stored, not evaluated).
    ear_justification: str | None = None

    @property
    def ear_inputs_given(self) -> bool:
        """Whether the canonical form carries the inputs (see the module docstring)."""
        return self.subject_to_ear is None or any(
            v is not None
            for v in (self.origin, self.us_content_percent, self.made_with_us_technology)
        )


# What a visit ships, hands over or transfers (DESIGN sec. 3, visit.items).
ITEM_KINDS: Final = ("tool", "part", "software", "technology")


@dataclass(frozen=True)
class ItemInfo:
    """An item of the visit with its own classifications and the inputs of "subject to the EAR".
    Item rules see it as `tool` (its description as the model), so the same facts and the same
    has_code() apply to a tool and to a part shipped for it."""

    kind: str
    description: str
    classifications: CodeMap = field(default_factory=CodeMap)
    subject_to_ear: bool | None = None
    origin: str | None = None
    us_content_percent: int | float | None = None
    made_with_us_technology: bool | None = None
    ear_justification: str | None = None

    def as_tool(self) -> ToolInfo:
        return ToolInfo(
            self.description,
            self.classifications,
            self.subject_to_ear,
            origin=self.origin,
            us_content_percent=self.us_content_percent,
            made_with_us_technology=self.made_with_us_technology,
            ear_justification=self.ear_justification,
        )

    @property
    def label(self) -> str:
        """How a finding names it: the description, with the kind unless it is a tool."""
        return self.description if self.kind == "tool" else f"{self.kind}: {self.description}"


@dataclass(frozen=True)
class Citizenship:
    country: str
    since: date | None = None


@dataclass(frozen=True)
class Residency:
    """A permanent residency; `since` and `until` are both inclusive (days it was held)."""

    country: str
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class EngineerInfo:
    name: str
    citizenships: tuple[Citizenship, ...] = ()
    permanent_residencies: tuple[Residency, ...] = ()
    us_protected_individual: bool = False
    # None only on objects built by callers (e.g. suggestion candidates); parse_document
    # always fills it in, see default_location.
    location: str | None = None
    id: Id = None
    # Screening only (a listed person or a namesake); no rule reads it.
    date_of_birth: date | None = None


@dataclass(frozen=True)
class VisitDocument:
    visit: VisitInfo
    vendor: VendorInfo
    facility: FacilityInfo
    tools: tuple[ToolInfo, ...]
    engineers: tuple[EngineerInfo, ...]


def default_location(mode: str, facility_country: str, vendor_country: str) -> str:
    """Where an engineer is assumed to be when the document does not say."""
    return facility_country if mode == "on_site" else vendor_country


# --- canonical form ------------------------------------------------------------------------


def _item_dict(item: ItemInfo) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "description": item.description,
        "classifications": {k: list(codes) for k, codes in item.classifications.items()},
        **({"subject_to_ear": item.subject_to_ear} if item.subject_to_ear is not None else {}),
        "origin": item.origin,
        "us_content_percent": item.us_content_percent,
        "made_with_us_technology": item.made_with_us_technology,
        **(
            {"ear_justification": item.ear_justification}
            if item.ear_justification is not None
            else {}
        ),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def document_to_dict(document: VisitDocument) -> dict[str, Any]:
    """The canonical JSON-safe form: every field present, dates as ISO strings."""
    v, ven, f = document.visit, document.vendor, document.facility
    return {
        "visit": {
            "id": v.id,
            "activity": v.activity,
            "mode": v.mode,
            "start_date": v.start_date.isoformat(),
            "end_date": v.end_date.isoformat(),
            "purpose": v.purpose,
            **({"items": [_item_dict(i) for i in v.items]} if v.items is not None else {}),
        },
        "vendor": {
            "id": ven.id,
            "name": ven.name,
            "country": ven.country,
            "us_branch": ven.us_branch,
        },
        "facility": {
            "id": f.id,
            "name": f.name,
            "owner": f.owner,
            "owner_aliases": list(f.owner_aliases),
            "address": f.address,
            "city": f.city,
            "country": f.country,
            "products": list(f.products) if f.products is not None else None,
            "logic_node_nm": f.logic_node_nm,
            "non_planar": f.non_planar,
            "nand_layers": f.nand_layers,
            "dram_half_pitch_nm": f.dram_half_pitch_nm,
            "dram_cell_area_um2": f.dram_cell_area_um2,
            **({"region": f.region} if f.region is not None else {}),
            # An optional extension: written only when known, so older documents keep their form.
            **(
                {
                    "owners": [
                        {
                            "name": o.name,
                            "share": o.share,
                            "source": o.source,
                            "as_of": o.as_of.isoformat() if o.as_of else None,
                        }
                        for o in f.owners
                    ]
                }
                if f.owners
                else {}
            ),
            **(
                {
                    "parties": [
                        {"role": p.role, "name": p.name, "country": p.country} for p in f.parties
                    ]
                }
                if f.parties
                else {}
            ),
        },
        "tools": [
            {
                "id": t.id,
                "model": t.model,
                "serial": t.serial,
                "classifications": {k: list(codes) for k, codes in t.classifications.items()},
                **({"subject_to_ear": t.subject_to_ear} if t.subject_to_ear is not None else {}),
                **(
                    {
                        "origin": t.origin,
                        "us_content_percent": t.us_content_percent,
                        "made_with_us_technology": t.made_with_us_technology,
                    }
                    if t.ear_inputs_given
                    else {}
                ),
                **(
                    {"ear_justification": t.ear_justification}
                    if t.ear_justification is not None
                    else {}
                ),
            }
            for t in document.tools
        ],
        "engineers": [
            {
                "id": e.id,
                "name": e.name,
                "citizenships": [
                    {"country": c.country, "since": _iso(c.since)} for c in e.citizenships
                ],
                "permanent_residencies": [
                    {"country": r.country, "since": _iso(r.since), "until": _iso(r.until)}
                    for r in e.permanent_residencies
                ],
                "us_protected_individual": e.us_protected_individual,
                "location": e.location,
            }
            for e in document.engineers
        ],
    }


# The fields each section of a document may carry (docparse refuses any other).
DOCUMENT_FIELDS: Final = frozenset({"visit", "vendor", "facility", "tools", "engineers"})
# What "subject to the EAR" is derived from (ear.py); optional, absent in older documents.
EAR_INPUT_FIELDS: Final = frozenset({"origin", "us_content_percent", "made_with_us_technology"})
VISIT_FIELDS: Final = frozenset(
    {"id", "activity", "mode", "start_date", "end_date", "purpose", "items"}
)
ITEM_FIELDS: Final = frozenset(
    {"kind", "description", "classifications", "subject_to_ear", "ear_justification"}
).union(EAR_INPUT_FIELDS)
VENDOR_FIELDS: Final = frozenset({"id", "name", "country", "us_branch"})
FACILITY_FIELDS: Final = frozenset(
    {
        "id",
        "name",
        "owner",
        "owner_aliases",
        "owners",
        "parties",
        "region",
        "address",
        "city",
        "country",
        "products",
        "logic_node_nm",
        "non_planar",
        "nand_layers",
        "dram_half_pitch_nm",
        "dram_cell_area_um2",
    }
)
TOOL_FIELDS: Final = frozenset(
    {"id", "model", "serial", "classifications", "subject_to_ear", "ear_justification"}
).union(EAR_INPUT_FIELDS)
# Who the engineer is and where they are; the date of birth is read by screening only.
ENGINEER_FIELDS: Final = frozenset(
    {"id", "name", "citizenships", "permanent_residencies", "us_protected_individual", "location"}
).union({"date_of_birth"})
CITIZENSHIP_FIELDS: Final = frozenset({"country", "since"})
RESIDENCY_FIELDS: Final = frozenset({"country", "since", "until"})
PARTY_FIELDS: Final = frozenset({"role", "name", "country"})
