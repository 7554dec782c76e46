"""The one place where facts are derived from a visit document (DESIGN sec. 6).

Rule conditions never look at the raw document: they see the facts below, computed for the visit
window (start_date..end_date, both inclusive). Anything that is true "on any day of the window"
counts, because a fact that holds on one day of a visit is enough to require a licence that day.
`FACT_VOCABULARY` is the contract with the rule packs: rule validation rejects any other fact, and
`compliance/engine/README.md` documents every entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from .document import (
    EngineerInfo,
    FacilityInfo,
    ToolInfo,
    VendorInfo,
    VisitDocument,
    default_location,
)
from .ear import ear_facts
from .party_facts import NO_POLICY, affiliate_facts, party_facts

__all__ = [
    "DRAM_CELL_AREA_FROM",
    "FACT_VOCABULARY",
    "JUST_US",
    "OBJECT_ROOTS",
    "SCALAR_FACTS",
    "US_GROUP",
    "Capability",
    "Window",
    "advanced_node",
    "affiliate_facts",
    "engineer_facts",
    "facility_facts",
    "fact_kind",
    "scalar_facts",
    "tool_facts",
    "vendor_facts",
]

# 15 CFR 772.1 "advanced-node integrated circuit" (DOMAIN sec. 2).
LOGIC_NODE_MAX_NM: Final = 16  # "16/14 nm or less"
NAND_MIN_LAYERS: Final = 128  # "128 layers or more"
DRAM_HALF_PITCH_MAX_NM: Final = 18  # "18 nm half-pitch or less"
DRAM_CELL_AREA_MAX_UM2: Final = 0.0019  # "memory cell area < 0.0019 um2" (89 FR 96790) [?]
DRAM_CELL_AREA_FROM: Final = date(2024, 12, 2)  # either DRAM metric counts from this day
# 15 CFR 772.1 "United States" is the reference group US_GROUP (the states, DC, Puerto Rico and every
# US territory and possession); a rule set without the group (stored before it existed) reads "US"
# alone, so its decisions replay as they were made.
US_GROUP: Final = "US:US"
JUST_US: Final = frozenset({"US"})
# Facts that are not attributes of an object: name -> (type, description).
SCALAR_FACTS: Final[Mapping[str, tuple[str, str]]] = {
    "activity": ("string", "visit.activity, e.g. maintenance"),
    "items_listed": (
        "bool",
        "the document lists at least one item the visit ships (visit.items); without one the "
        "tool rules judge the listed tools and nothing else is known",
    ),
    "mode": ("string", "visit.mode: on_site or remote"),
    "as_of": ("string", "first day of the visit window, ISO date (the decision's as_of)"),
    "end_date": ("string", "last day of the visit window, ISO date"),
    "list_missing": ("bool", "no restricted-party list snapshot was loaded for screening"),
    "list_stale": ("bool", "the caller reports the list snapshot as stale"),
}

FACT_VOCABULARY: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "engineer": {
        "name": ("string", "engineer.name"),
        "citizenships": (
            "list<map>",
            "every citizenship as {country, since}; since is an ISO date or null",
        ),
        "all_nationalities": ("list<string>", "distinct citizenship countries, sorted"),
        "most_recent_citizenship": (
            "string|null",
            "the citizenship with the latest since; the only one if there is one; null when "
            "several lack since or tie",
        ),
        "deemed_export_country": (
            "string|null",
            "most recent country of citizenship or of a (non-US) permanent residency held in the "
            "window (15 CFR 734.13(b)); null when the history cannot tell",
        ),
        "deemed_export_basis": (
            "string",
            'how deemed_export_country was chosen, e.g. "citizenship:CN since 2001-05-01"',
        ),
        "citizenship_history_complete": (
            "bool",
            "the dates on file are enough to tell the most recent country of citizenship or "
            "permanent residency (false with no citizenship at all)",
        ),
        "permanent_residencies": (
            "list<string>",
            "countries of permanent residencies held on any day of the window, sorted",
        ),
        "us_person": (
            "bool",
            "U.S. person for 15 CFR 744.6 (15 CFR 772.1) on any day of the window",
        ),
        "us_person_basis": (
            "list<string>",
            "citizen:US, permanent_resident:US, protected_individual, present_in:US",
        ),
        "foreign_person": (
            "bool",
            "foreign person for deemed exports: not a US citizen, US permanent resident or protected "
            "individual (presence in the US does not change it)",
        ),
        "location": ("string", "where the engineer physically is during the activity"),
        "el_policy": (
            "string",
            "licence review policy of the Entity List entries the engineer matches, as the list "
            'states it; "not stated in the list" when it does not',
        ),
        "screening_hits": (
            "list<string>",
            "list codes (EL, DPL, SDN, UVL, MEU, ...) of screening hits on this engineer that are not "
            "false positives, sorted",
        ),
    },
    "vendor": {
        "name": ("string", "vendor.name"),
        "country": ("string", "vendor.country"),
        "us_branch": ("bool", "the vendor is a foreign branch of a US company"),
        "us_person": ("bool", "organised under US law or a foreign branch of a US company"),
        "us_person_basis": ("list<string>", "organised_in:US, us_branch"),
    },
    "facility": {
        "name": ("string", "facility.name (one building)"),
        "owner": ("string", "facility.owner"),
        "country": ("string", "facility.country"),
        "city": ("string|null", "facility.city"),
        "region": ("string|null", "ISO 3166-2 subdivision of the facility country (UA-43: Crimea)"),
        "groups": (
            "list<string>",
            "country-group codes the facility country belongs to on any day of the window, sorted",
        ),
        "products": ("list<string>", "facility.products ([] when absent)"),
        "advanced_node": (
            "bool",
            "produces advanced-node ICs (15 CFR 772.1) on the known metrics; false when unknown",
        ),
        "advanced_basis": (
            "string",
            'why it is advanced, e.g. "logic 7 nm non-planar"; empty when not advanced',
        ),
        "capability_known": (
            "bool",
            "products listed and every listed product has the metric needed in the window",
        ),
        "logic_node_nm": ("number|null", "facility.logic_node_nm"),
        "non_planar": ("bool", "facility.non_planar"),
        "nand_layers": ("int|null", "facility.nand_layers"),
        "dram_half_pitch_nm": ("number|null", "facility.dram_half_pitch_nm"),
        "dram_cell_area_um2": ("number|null", "facility.dram_cell_area_um2"),
        "owner_hits": (
            "list<string>",
            "list codes of screening hits on the owner (or its aliases) that are not false "
            "positives, sorted",
        ),
        "party_hits": (
            "list<string>",
            "list codes of live screening hits on the purchaser, consignee or end user "
            "(facility.parties), sorted",
        ),
        "operator_hits": (
            "list<string>",
            "list codes of live screening hits on an operator (facility.parties), sorted",
        ),
        "party_basis": (
            "string",
            'who of facility.parties matched which lists, e.g. "purchaser Acme Ltd (EL)"',
        ),
        "party_el_policy": (
            "string",
            "licence review policy of the Entity List entries the parties match, as the list "
            'states it; "not stated in the list" when it does not',
        ),
        "owner_el_policy": (
            "string",
            "licence review policy of the Entity List entries the owner matches, as the list "
            'states it; "not stated in the list" when it does not',
        ),
        "affiliate_lists": (
            "list<string>",
            "list codes (EL, MEU, SDN) of the owner's listed owners when together they hold 50 % "
            "or more of it (the Affiliates rule); empty otherwise",
        ),
        "affiliate_share": (
            "number",
            "the combined known share (%) of owners listed on EL/MEU/SDN",
        ),
        "affiliate_basis": ("string", "which listed owners hold what, e.g. 'X Corp 60 % (EL)'"),
        "listed_owner_share_unknown": (
            "list<string>",
            "list codes of owners listed on EL/MEU/SDN whose share is not known (Red Flag 29)",
        ),
    },
    "tool": {
        "model": ("string", "tool.model"),
        "serial": ("string|null", "tool.serial"),
        "classifications": ("map<string, list<string>>", "jurisdiction -> classification codes"),
        "classified": (
            "bool",
            "classifications has an entry for at least one jurisdiction (an empty list for a "
            "jurisdiction means: classified there, not listed)",
        ),
        "subject_to_ear": (
            "bool",
            "the tool is an item subject to the EAR: as recorded, else as derived (ear_status)",
        ),
        "origin": ("string|null", "country where the tool was made (ISO 3166-1 alpha-2)"),
        "kind": (
            "string",
            '"tool" for a listed tool; for a shipped item (item rules) its kind: tool, part, '
            "software or technology",
        ),
        "ear_recorded": ("bool", "the document records a determination (subject_to_ear given)"),
        "ear_status": (
            "string",
            '"subject", "not_subject" or "undetermined": the recorded determination, else derived',
        ),
        "ear_derived": (
            "string",
            '"subject", "not_subject", "undetermined" or "not_derived" (no origin): from origin, '
            "US content and US technology alone, whatever is recorded",
        ),
        "ear_basis": ("string", "the reasoning behind ear_status, in words"),
    },
}

OBJECT_ROOTS: Final = frozenset(FACT_VOCABULARY)


def fact_kind(root: str, member: str) -> str:
    """How a fact is rendered and recorded: "scalar", "list", "citizenships" or "map".

    `root` is "" for a scalar fact, whose name is then `member`.
    """
    kind = SCALAR_FACTS[member][0] if root == "" else FACT_VOCABULARY[root][member][0]
    if kind == "list<string>":
        return "list"
    if kind == "list<map>":
        return "citizenships"
    if kind.startswith("map<"):
        return "map"
    return "scalar"


@dataclass(frozen=True)
class Window:
    """The visit window; both ends inclusive."""

    start: date
    end: date

    def overlaps(self, from_date: date | None, to_exclusive: date | None) -> bool:
        """True if [from_date, to_exclusive) shares a day with the window (None = unbounded)."""
        return (from_date is None or from_date <= self.end) and (
            to_exclusive is None or to_exclusive > self.start
        )

    def overlaps_inclusive(self, since: date | None, until: date | None) -> bool:
        """True if [since, until] (both inclusive) shares a day with the window."""
        return (since is None or since <= self.end) and (until is None or until >= self.start)

    def reaches(self, day: date) -> bool:
        """True if some day of the window is on or after `day`."""
        return self.end >= day


@dataclass(frozen=True)
class Capability:
    advanced_node: bool
    advanced_basis: str
    capability_known: bool


def _num(value: float) -> str:
    return f"{value:g}"


def advanced_node(facility: FacilityInfo, window: Window) -> Capability:
    """Apply the 772.1 advanced-node test to what the building produces.

    Only products listed in `products` count (DESIGN sec. 3). Capability is unknown when the list
    is absent or empty, or when a listed product lacks the metric the test needs in this window;
    the facility may still be advanced on another product.
    """
    products = facility.products or ()
    known = bool(products)
    reasons: list[str] = []
    if "logic" in products:
        node = facility.logic_node_nm
        if facility.non_planar:
            reasons.append(
                f"logic {_num(node)} nm non-planar" if node is not None else "logic non-planar"
            )
        elif node is not None and node <= LOGIC_NODE_MAX_NM:
            reasons.append(f"logic {_num(node)} nm")
        if node is None:
            known = False
    if "nand" in products:
        layers = facility.nand_layers
        if layers is None:
            known = False
        elif layers >= NAND_MIN_LAYERS:
            reasons.append(f"NAND {layers} layers")
    if "dram" in products:
        pitch = facility.dram_half_pitch_nm
        area = facility.dram_cell_area_um2
        area_counts = window.reaches(DRAM_CELL_AREA_FROM)
        if pitch is not None and pitch <= DRAM_HALF_PITCH_MAX_NM:
            reasons.append(f"DRAM {_num(pitch)} nm half-pitch")
        elif area_counts and area is not None and area < DRAM_CELL_AREA_MAX_UM2:
            reasons.append(f"DRAM cell area {_num(area)} um2")
        # Before 2024-12-02 only half-pitch decides; a cell area alone cannot clear it. (From that
        # day a half-pitch above 18 nm alone does not settle it either: the rule pack's
        # DQ-DRAM-CELL-AREA-MISSING says so, as data, so that older decisions replay unchanged.)
        if pitch is None and (area is None or not area_counts):
            known = False
    return Capability(bool(reasons), "; ".join(reasons), known)


def scalar_facts(
    document: VisitDocument, *, list_missing: bool, list_stale: bool
) -> dict[str, Any]:
    v = document.visit
    return {
        "activity": v.activity,
        "items_listed": bool(v.items),
        "mode": v.mode,
        "as_of": v.start_date.isoformat(),
        "end_date": v.end_date.isoformat(),
        "list_missing": list_missing,
        "list_stale": list_stale,
    }


def vendor_facts(vendor: VendorInfo, *, united_states: frozenset[str] = JUST_US) -> dict[str, Any]:
    basis: list[str] = []
    if vendor.country in united_states:
        basis.append(
            "organised_in:US" if vendor.country == "US" else f"organised_in:US ({vendor.country})"
        )
    if vendor.us_branch:
        basis.append("us_branch")
    return {
        "name": vendor.name,
        "country": vendor.country,
        "us_branch": vendor.us_branch,
        "us_person": bool(basis),
        "us_person_basis": basis,
    }


def facility_facts(
    facility: FacilityInfo,
    window: Window,
    *,
    groups_by_country: Mapping[str, Sequence[str]],
    owner_hits: Iterable[str],
    stake_hits: Mapping[int, Iterable[str]] | None = None,
    owner_el_policy: str = "",
    party_hits: Mapping[int, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    capability = advanced_node(facility, window)
    return {
        "name": facility.name,
        "owner": facility.owner,
        "country": facility.country,
        "city": facility.city,
        "region": facility.region,
        "groups": list(groups_by_country.get(facility.country, ())),
        "products": list(facility.products or ()),
        "advanced_node": capability.advanced_node,
        "advanced_basis": capability.advanced_basis,
        "capability_known": capability.capability_known,
        "logic_node_nm": facility.logic_node_nm,
        "non_planar": facility.non_planar,
        "nand_layers": facility.nand_layers,
        "dram_half_pitch_nm": facility.dram_half_pitch_nm,
        "dram_cell_area_um2": facility.dram_cell_area_um2,
        "owner_hits": sorted(set(owner_hits)),
        "owner_el_policy": owner_el_policy or NO_POLICY,
        **party_facts(facility, party_hits or {}),
        **affiliate_facts(facility, stake_hits or {}),
    }


def tool_facts(tool: ToolInfo, *, united_states: frozenset[str] = JUST_US) -> dict[str, Any]:
    return {
        "model": tool.model,
        "serial": tool.serial,
        "classifications": {k: list(v) for k, v in tool.classifications.items()},
        "classified": len(tool.classifications) > 0,
        "kind": "tool",
        **ear_facts(tool, united_states=united_states),
    }


def _most_recent(entries: Sequence[tuple[str, date | None, str]]) -> tuple[str | None, str]:
    """(country, basis) of the most recent entry; None when the dates cannot tell.

    A single entry needs no date (a lone citizenship is usually from birth). With several, every
    entry needs a date and the latest must be unique unless the tied entries share a country.
    """
    if len(entries) == 1:
        country, since, kind = entries[0]
        return country, f"{kind}:{country}" + (f" since {since.isoformat()}" if since else "")
    if not entries or any(since is None for _, since, _ in entries):
        return None, "history incomplete: " + (
            "no citizenship on file" if not entries else "acquisition dates missing"
        )
    latest = max(since for _, since, _ in entries if since is not None)
    top = [(c, k) for c, s, k in entries if s == latest]
    if len({c for c, _ in top}) > 1:
        return None, f"history ambiguous: several countries acquired on {latest.isoformat()}"
    country, kind = top[0]
    return country, f"{kind}:{country} since {latest.isoformat()}"


def engineer_facts(
    engineer: EngineerInfo,
    window: Window,
    *,
    mode: str,
    facility_country: str,
    vendor_country: str,
    screening_hits: Iterable[str],
    united_states: frozenset[str] = JUST_US,
    el_policy: str = "",
) -> dict[str, Any]:
    location = engineer.location or default_location(mode, facility_country, vendor_country)
    residencies_held = [
        r for r in engineer.permanent_residencies if window.overlaps_inclusive(r.since, r.until)
    ]
    us_citizen = any(c.country == "US" for c in engineer.citizenships)
    us_resident = any(r.country == "US" for r in residencies_held)

    # 15 CFR 772.1: citizen, permanent resident, protected individual, or anyone in the US.
    basis: list[str] = []
    if us_citizen:
        basis.append("citizen:US")
    if us_resident:
        basis.append("permanent_resident:US")
    if engineer.us_protected_individual:
        basis.append("protected_individual")
    if location in united_states:
        basis.append("present_in:US" if location == "US" else f"present_in:US ({location})")

    citizenships = [(c.country, c.since, "citizenship") for c in engineer.citizenships]
    most_recent_citizenship, _ = _most_recent(citizenships)
    # 734.13(b)/734.14(b): most recent country of citizenship *or permanent residency*.
    # US residencies are left out: a US permanent resident is not a foreign person at all.
    deemed_entries = citizenships + [
        (r.country, r.since, "permanent_residency") for r in residencies_held if r.country != "US"
    ]
    deemed_country, deemed_basis = _most_recent(deemed_entries)
    return {
        "name": engineer.name,
        "citizenships": [
            {"country": c.country, "since": c.since.isoformat() if c.since else None}
            for c in engineer.citizenships
        ],
        "all_nationalities": sorted({c.country for c in engineer.citizenships}),
        "most_recent_citizenship": most_recent_citizenship,
        "deemed_export_country": deemed_country,
        "deemed_export_basis": deemed_basis,
        "citizenship_history_complete": deemed_country is not None,
        "permanent_residencies": sorted({r.country for r in residencies_held}),
        "us_person": bool(basis),
        "us_person_basis": basis,
        "foreign_person": not (us_citizen or us_resident or engineer.us_protected_individual),
        "location": location,
        "screening_hits": sorted(set(screening_hits)),
        "el_policy": el_policy or NO_POLICY,
    }
