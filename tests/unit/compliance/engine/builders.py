"""Small builders for visit documents and decisions, so each test states only what matters.

The defaults describe a visit that no rule holds: a German engineer of a German vendor maintaining
a tool that is classified but not listed anywhere, at a 7 nm non-planar logic fab in Shanghai,
with a current screening list.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from compliance.engine import (
    CompiledRuleSet,
    Decision,
    Finding,
    LicenceSpec,
    RulePacks,
    ScreeningHit,
    VisitDocument,
    compile_ruleset,
    evaluate,
    load_rule_packs,
    parse_document,
    read_rule_pack_dir,
)

RULEPACK_DIR = Path(__file__).resolve().parents[4] / "compliance" / "rulepacks"
LISTS_VERSION = "csl-2026-12-01"


@functools.cache
def pack_texts() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(read_rule_pack_dir(RULEPACK_DIR).items()))


@functools.cache
def packs() -> RulePacks:
    return load_rule_packs(dict(pack_texts()))


@functools.cache
def ruleset(
    enabled_policies: frozenset[str] = frozenset(), disabled: frozenset[str] = frozenset()
) -> CompiledRuleSet:
    return compile_ruleset(packs(), enabled_policies=enabled_policies, disabled=disabled)


def all_policies() -> frozenset[str]:
    return frozenset(r.code for r in packs().rules if r.policy)


def tool(
    model: str = "Etcher 9000",
    *,
    us: Sequence[str] | None = (),
    nl: Sequence[str] | None = None,
    jp: Sequence[str] | None = None,
    kr: Sequence[str] | None = None,
    eu: Sequence[str] | None = None,
    subject_to_ear: bool = False,
    serial: str | None = None,
) -> dict[str, Any]:
    pairs = (("US", us), ("NL", nl), ("JP", jp), ("KR", kr), ("EU", eu))
    classifications = {k: list(v) for k, v in pairs if v is not None}
    return {
        "model": model,
        "serial": serial,
        "classifications": classifications,
        "subject_to_ear": subject_to_ear,
    }


def engineer(
    name: str = "Anna Schmidt",
    *,
    citizenships: Iterable[Any] = ("DE",),
    residencies: Iterable[Any] = (),
    protected: bool = False,
    location: str | None = None,
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": name,
        "citizenships": list(citizenships),
        "permanent_residencies": list(residencies),
        "us_protected_individual": protected,
    }
    if location is not None:
        raw["location"] = location
    return raw


def raw_document(
    *,
    activity: str = "maintenance",
    mode: str = "on_site",
    start: str = "2026-12-07",
    end: str | None = None,
    vendor_name: str = "Example Tools GmbH",
    vendor_country: str = "DE",
    us_branch: bool = False,
    facility_name: str = "Fab 8 building B",
    owner: str = "Example Semiconductor Co., Ltd.",
    country: str = "CN",
    products: Sequence[str] | None = ("logic",),
    logic_node_nm: float | None = 7,
    non_planar: bool = True,
    nand_layers: int | None = None,
    dram_half_pitch_nm: float | None = None,
    dram_cell_area_um2: float | None = None,
    tools: Sequence[dict[str, Any]] | None = None,
    engineers: Sequence[dict[str, Any]] | None = None,
    owners: Sequence[dict[str, Any]] | None = None,
    region: str | None = None,
    parties: Sequence[dict[str, Any]] | None = None,
    items: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "visit": {
            "id": "V-1",
            "activity": activity,
            "mode": mode,
            "start_date": start,
            "end_date": end or start,
            **({"items": list(items)} if items is not None else {}),
        },
        "vendor": {"name": vendor_name, "country": vendor_country, "us_branch": us_branch},
        "facility": {
            "name": facility_name,
            "owner": owner,
            "owner_aliases": [],
            "city": "Shanghai",
            "country": country,
            "products": list(products) if products is not None else None,
            "logic_node_nm": logic_node_nm,
            "non_planar": non_planar,
            "nand_layers": nand_layers,
            "dram_half_pitch_nm": dram_half_pitch_nm,
            "dram_cell_area_um2": dram_cell_area_um2,
            **({"owners": list(owners)} if owners is not None else {}),
            **({"region": region} if region is not None else {}),
            **({"parties": list(parties)} if parties is not None else {}),
        },
        "tools": list(tools) if tools is not None else [tool()],
        "engineers": list(engineers) if engineers is not None else [engineer()],
    }


def document(**kwargs: Any) -> VisitDocument:
    return parse_document(raw_document(**kwargs))


def decide(
    doc: VisitDocument,
    *,
    rules: CompiledRuleSet | None = None,
    policies: Iterable[str] = (),
    screening: Sequence[ScreeningHit] = (),
    licences: Sequence[LicenceSpec] = (),
    lists_version: str | None = LISTS_VERSION,
    stale: bool = False,
) -> Decision:
    return evaluate(
        doc,
        rules or ruleset(frozenset(policies)),
        screening=screening,
        licences=licences,
        lists_version=lists_version,
        list_is_stale=stale,
    )


def findings(decision: Decision, code: str) -> list[Finding]:
    return [f for f in decision.findings if f.rule == code]


def codes(decision: Decision) -> set[str]:
    return {f.rule for f in decision.findings}


def hit(
    party: str = "facility.owner",
    list_code: str = "EL",
    *,
    name: str = "Example Semiconductor Co., Ltd.",
    false_positive: bool = False,
    entry_id: str = "E-1",
) -> ScreeningHit:
    return ScreeningHit(
        party=party,
        name=name,
        list_code=list_code,
        entry_id=entry_id,
        entry_name="EXAMPLE SEMICONDUCTOR COMPANY",
        score=0.97,
        explanation="Name tokens match after removing legal-form words.",
        entry_hash="h1",
        false_positive=false_positive,
    )


def licence(**overrides: Any) -> LicenceSpec:
    fields: dict[str, Any] = {
        "id": 1,
        "authority": "BIS",
        "number": "D123456",
        "holder": "Example Tools GmbH",
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2027, 12, 31),
        "facilities": ("Fab 8 building B",),
        "activities": (),
        "classifications": (),
        "engineers": (),
        "revoked": False,
    }
    fields.update(overrides)
    return LicenceSpec(**fields)
