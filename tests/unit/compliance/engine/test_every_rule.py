"""Every rule in the packs fires in one case and stays quiet at its boundary in another.

The table is checked against the packs, so a new rule without cases fails the suite. The same
cases also check that the compiled (rewritten) conditions agree with the rule text as written,
evaluated the slow way with nested maps and Python helper functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.engine import ScreeningHit, VisitDocument, parse_document
from compliance.engine.coverage import code_matches
from compliance.engine.facts import (
    Window,
    engineer_facts,
    facility_facts,
    scalar_facts,
    tool_facts,
    vendor_facts,
)
from compliance.engine.items import shipped_items

from .builders import all_policies, decide, document, engineer, hit, packs, ruleset, tool
from .test_document import raw_documents


@dataclass(frozen=True)
class Case:
    doc: dict[str, Any] = field(default_factory=dict)
    screening: tuple[ScreeningHit, ...] = ()

    def build(self) -> VisitDocument:
        return document(**self.doc)


US = engineer("Sam Carter", citizenships=["US"])
CN = engineer("Li Wei", citizenships=["CN"])
NL_ENG = engineer("Jan de Vries", citizenships=["NL"])
NL_VENDOR = {"vendor_country": "NL", "vendor_name": "ASML Netherlands B.V."}
NXT2000 = tool("TWINSCAN NXT:2000i", nl=["3B001.f.4"])
NXT1980 = tool("TWINSCAN NXT:1980i", nl=["3B001.f.4"])
METROLOGY = tool("YieldStar", nl=["NL-METROLOGY-2025"])
METI = tool("Coater", jp=["METI-23:deposition"])
EUV = tool("TWINSCAN NXE:3600D", eu=["3B001.f.1"])
ETCH_EAR = tool("Etch 3B001", us=["3B001.c"], subject_to_ear=True)
HOLDER_60 = {
    "name": "Holder Corp",
    "share": 60,
    "source": "annual report 2025",
    "as_of": "2025-12-31",
}
STAKE_EL = hit("facility.owners[0]", "EL", name="Holder Corp")
PURCHASER = {"role": "purchaser", "name": "Acme Trading Ltd", "country": "HK"}
OPERATOR = {"role": "operator", "name": "Acme Ops Ltd", "country": "HK"}
US_PART = {
    "kind": "part",
    "description": "RF generator",
    "classifications": {"US": ["3B001.h"]},
    "origin": "US",
}
UNDETERMINED_PART = {**US_PART, "origin": "KR", "classifications": {"US": ["3B991"]}}
NL_SOFTWARE = {
    "kind": "software",
    "description": "Overlay software update",
    "classifications": {"NL": ["3D007"]},
}
EU_PART = {"kind": "part", "description": "Stage module", "classifications": {"EU": ["3B001.f"]}}


def _party_cases(list_code: str) -> tuple[Case, Case]:
    """A hit on the purchaser fires; the same hit marked a false positive does not."""
    on = hit("facility.parties[0]", list_code, name="Acme Trading Ltd")
    off = hit("facility.parties[0]", list_code, name="Acme Trading Ltd", false_positive=True)
    return Case({"parties": [PURCHASER]}, (on,)), Case({"parties": [PURCHASER]}, (off,))


# Made in Korea, nothing else known: the status cannot be derived.
KR_ETCH = {**tool("Etch KR", us=["3B001.c"]), "origin": "KR"}
KR_ETCH_OPEN = {k: v for k, v in KR_ETCH.items() if k != "subject_to_ear"}
STAKE_SDN = hit("facility.owners[0]", "SDN", name="Holder Corp")
PLANAR = {"logic_node_nm": 28, "non_planar": False}

# rule code -> (a case where it fires, a case at its boundary where it does not)
CASES: dict[str, tuple[Case, Case]] = {
    "US-EAR-744.6-ADVANCED-FAB-CN-2022": (
        Case({"engineers": [US], "start": "2022-10-12"}),
        Case({"engineers": [US], "start": "2022-10-11"}),
    ),
    "US-EAR-744.6-ADVANCED-FAB-CN-MO-2023": (
        Case({"engineers": [US], "country": "MO", "start": "2023-01-17"}),
        Case({"engineers": [US], "country": "MO", "start": "2023-01-16"}),
    ),
    "US-EAR-744.6-ADVANCED-FAB": (
        Case({"engineers": [US], "country": "KH", "start": "2026-02-02"}),
        Case({"engineers": [US], "country": "KH", "start": "2026-02-03"}),
    ),
    "US-EAR-744.6-US-COMPANY-CN-2022": (
        Case({"vendor_country": "US", "start": "2022-10-12"}),
        Case({"vendor_country": "US", "start": "2022-10-12", **PLANAR}),
    ),
    "US-EAR-744.6-US-COMPANY-CN-MO-2023": (
        Case({"vendor_country": "US", "country": "MO", "start": "2023-01-17"}),
        Case(
            {
                "vendor_country": "US",
                "country": "MO",
                "start": "2023-01-17",
                "logic_node_nm": 17,
                "non_planar": False,
            }
        ),
    ),
    "US-EAR-744.6-US-COMPANY": (
        Case({"vendor_country": "IE", "us_branch": True}),
        Case({"vendor_country": "IE", "us_branch": False}),
    ),
    "US-EAR-744.6-TRAINING-CN-2022": (
        Case({"engineers": [US], "activity": "training", "start": "2022-10-12"}),
        Case({"engineers": [US], "activity": "training", "start": "2022-10-11"}),
    ),
    "US-EAR-744.6-TRAINING-CN-MO-2023": (
        Case({"engineers": [US], "activity": "training", "country": "MO", "start": "2023-01-17"}),
        Case({"engineers": [US], "activity": "training", "country": "MO", "start": "2023-01-16"}),
    ),
    "US-EAR-744.6-TRAINING": (
        Case({"engineers": [US], "activity": "training", "country": "VE", "start": "2023-11-17"}),
        Case({"engineers": [US], "activity": "training", "country": "VE", "start": "2023-11-16"}),
    ),
    "US-EAR-744.6-TRAINING-US-COMPANY-CN-2022": (
        Case({"vendor_country": "US", "activity": "training", "start": "2022-10-12"}),
        Case({"vendor_country": "US", "activity": "training", "start": "2022-10-11"}),
    ),
    "US-EAR-744.6-TRAINING-US-COMPANY-CN-MO-2023": (
        Case(
            {"vendor_country": "US", "activity": "training", "country": "MO", "start": "2023-01-17"}
        ),
        Case(
            {"vendor_country": "US", "activity": "training", "country": "MO", "start": "2023-01-16"}
        ),
    ),
    "US-EAR-744.6-TRAINING-US-COMPANY": (
        Case({"vendor_country": "US", "activity": "training"}),
        Case({"vendor_country": "US", "activity": "training", **PLANAR}),
    ),
    "US-EAR-744.23-ADVANCED-FAB-ITEMS": (
        Case({"tools": [tool(subject_to_ear=True)], "start": "2023-11-17"}),
        Case({"tools": [tool(subject_to_ear=True)], "start": "2023-11-16"}),
    ),
    "US-EAR-744.23-ADVANCED-FAB-ITEMS-CN-2022": (
        Case({"tools": [tool(subject_to_ear=True)], "start": "2022-10-07"}),
        Case({"tools": [tool(subject_to_ear=True)], "start": "2022-10-06"}),
    ),
    "US-EAR-738-NS-3B-TOOL-CN": (
        Case({"tools": [ETCH_EAR], "activity": "installation", **PLANAR}),
        Case({"tools": [ETCH_EAR], "activity": "installation", "country": "TW", **PLANAR}),
    ),
    "US-EAR-738-NS-3B-ITEMS-CN": (
        Case({"tools": [ETCH_EAR], "activity": "spare_parts", **PLANAR}),
        Case({"tools": [ETCH_EAR], "activity": "maintenance", **PLANAR}),
    ),
    "US-EAR-734-SUBJECT-UNDETERMINED": (
        Case({"tools": [KR_ETCH_OPEN], **PLANAR}),
        Case({"tools": [KR_ETCH_OPEN], "country": "TW", **PLANAR}),
    ),
    "US-EAR-734-RECORDED-UNSUPPORTED": (
        Case({"tools": [KR_ETCH]}),
        Case({"tools": [{**KR_ETCH, "us_content_percent": 0, "made_with_us_technology": False}]}),
    ),
    "US-EAR-734.13-DEEMED-EXPORT-D1-UNVERIFIED": (
        Case(
            {
                "engineers": [engineer("Aziz Karimov", citizenships=["UZ"])],
                "tools": [ETCH_EAR],
                "country": "DE",
            }
        ),
        Case(
            {
                "engineers": [engineer("Aziz Karimov", citizenships=["UZ"])],
                "tools": [ETCH_EAR],
                "country": "DE",
                "activity": "decommissioning",
            }
        ),
    ),
    "US-EMBARGO-REGION-FACILITY": (
        Case({"country": "UA", "region": "UA-43", **PLANAR}),
        Case({"country": "UA", "region": "UA-14", **PLANAR}),
    ),
    "US-EMBARGO-REGION-OBLAST": (
        Case({"country": "UA", "region": "UA-09", **PLANAR}),
        Case({"country": "UA", "region": "UA-30", **PLANAR}),
    ),
    "EU-UA-OCCUPIED-REGIONS": (
        Case({"country": "UA", "region": "UA-40", **NL_VENDOR, "engineers": [NL_ENG]}),
        Case({"country": "UA", "region": "UA-40", "vendor_country": "US", "engineers": [US]}),
    ),
    "US-EAR-744.11-ENTITY-LIST-PARTY": _party_cases("EL"),
    "US-EAR-DPL-PARTY": _party_cases("DPL"),
    "US-OFAC-SDN-PARTY": _party_cases("SDN"),
    "US-EAR-744.15-UVL-PARTY": _party_cases("UVL"),
    "US-EAR-744.21-MEU-PARTY": _party_cases("MEU"),
    "US-EAR-744.11-ENTITY-LIST-OPERATOR": (
        Case({"parties": [OPERATOR]}, (hit("facility.parties[0]", "EL", name="Acme Ops Ltd"),)),
        Case(
            {"parties": [PURCHASER]}, (hit("facility.parties[0]", "EL", name="Acme Trading Ltd"),)
        ),
    ),
    "US-EAR-734-ITEM-RECORDED-UNSUPPORTED": (
        Case({"items": [{**US_PART, "subject_to_ear": False}], "activity": "spare_parts"}),
        Case(
            {
                "items": [{**US_PART, "subject_to_ear": False}],
                "activity": "spare_parts",
                "country": "TW",
            }
        ),
    ),
    "DQ-UA-REGION-MISSING": (
        Case({"country": "UA", **PLANAR}),
        Case({"country": "UA", "region": "UA-30", **PLANAR}),
    ),
    "US-EAR-738-NS-3B-ITEM-CN": (
        Case({"items": [US_PART], "activity": "spare_parts", **PLANAR}),
        Case({"items": [US_PART], "activity": "spare_parts", "country": "TW", **PLANAR}),
    ),
    "US-EAR-744.23-ADVANCED-FAB-ITEM": (
        Case({"items": [US_PART], "activity": "spare_parts", "start": "2023-11-17"}),
        Case({"items": [US_PART], "activity": "spare_parts", "start": "2023-11-16"}),
    ),
    "US-EAR-734-ITEM-SUBJECT-UNDETERMINED": (
        Case({"items": [UNDETERMINED_PART], "activity": "spare_parts"}),
        Case({"items": [UNDETERMINED_PART], "activity": "spare_parts", "country": "TW"}),
    ),
    "DQ-ITEM-NOT-CLASSIFIED": (
        Case({"items": [{"kind": "part", "description": "Seal kit"}], "activity": "spare_parts"}),
        Case({"items": [{**US_PART, "classifications": {"US": []}}], "activity": "spare_parts"}),
    ),
    "NL-NATIONAL-ITEM": (
        Case(
            {
                "items": [NL_SOFTWARE],
                "activity": "software_update",
                **NL_VENDOR,
                "start": "2023-09-01",
            }
        ),
        Case(
            {
                "items": [NL_SOFTWARE],
                "activity": "software_update",
                **NL_VENDOR,
                "start": "2023-08-31",
            }
        ),
    ),
    "EU-2021-821-ANNEX-I-ITEM": (
        Case({"items": [EU_PART], "activity": "spare_parts", "country": "TW", **NL_VENDOR}),
        Case({"items": [EU_PART], "activity": "spare_parts", "country": "JP", **NL_VENDOR}),
    ),
    "US-EAR-744.11-AFFILIATES-2025": (
        Case({"owners": [HOLDER_60], "start": "2025-11-09"}, (STAKE_EL,)),
        Case({"owners": [HOLDER_60], "start": "2025-11-10"}, (STAKE_EL,)),
    ),
    "US-EAR-744.11-AFFILIATES": (
        Case({"owners": [HOLDER_60], "start": "2026-11-10"}, (STAKE_EL,)),
        Case({"owners": [HOLDER_60], "start": "2026-11-09"}, (STAKE_EL,)),
    ),
    "US-EAR-744.11-AFFILIATES-UNKNOWN-SHARE": (
        Case({"owners": [{"name": "Holder Corp"}], "start": "2026-11-10"}, (STAKE_EL,)),
        Case({"owners": [{"name": "Holder Corp"}], "start": "2026-11-09"}, (STAKE_EL,)),
    ),
    "US-EAR-744.11-AFFILIATES-UNKNOWN-SHARE-2025": (
        Case({"owners": [{"name": "Holder Corp"}], "start": "2025-11-09"}, (STAKE_EL,)),
        Case({"owners": [{"name": "Holder Corp"}], "start": "2025-11-10"}, (STAKE_EL,)),
    ),
    "US-EAR-744.11-AFFILIATES-SDN-2025": (
        Case({"owners": [HOLDER_60], "start": "2025-09-29"}, (STAKE_SDN,)),
        Case({"owners": [HOLDER_60], "start": "2025-09-28"}, (STAKE_SDN,)),
    ),
    "US-EAR-744.11-AFFILIATES-SDN": (
        Case({"owners": [HOLDER_60], "start": "2026-11-10"}, (STAKE_SDN,)),
        Case({"owners": [HOLDER_60], "start": "2026-11-10"}, (STAKE_EL,)),
    ),
    "US-EAR-744.11-ENTITY-LIST-OWNER": (
        Case({}, (hit("facility.owner", "EL"),)),
        Case({}, (hit("facility.owner", "EL", false_positive=True),)),
    ),
    "US-EAR-DPL-OWNER": (
        Case({}, (hit("facility.owner", "DPL"),)),
        Case({}, (hit("engineers[0]", "DPL"),)),
    ),
    "US-OFAC-SDN-OWNER": (
        Case({}, (hit("facility.owner", "SDN"),)),
        Case({}, (hit("facility.owner", "SDN", false_positive=True),)),
    ),
    "US-EAR-744.15-UVL-OWNER": (
        Case({}, (hit("facility.owner", "UVL"),)),
        Case({}, (hit("facility.owner", "ISN"),)),
    ),
    "US-EAR-744.21-MEU-OWNER": (
        Case({}, (hit("facility.owner", "MEU"),)),
        Case({}, (hit("engineers[0]", "MEU"),)),
    ),
    "US-EAR-744.11-ENTITY-LIST-ENGINEER": (
        Case({}, (hit("engineers[0]", "EL"),)),
        Case({}, (hit("facility.owner", "EL"),)),
    ),
    "US-EAR-DPL-ENGINEER": (
        Case({}, (hit("engineers[0]", "DPL"),)),
        Case({}, (hit("engineers[0]", "DPL", false_positive=True),)),
    ),
    "US-OFAC-SDN-ENGINEER": (
        Case({}, (hit("engineers[0]", "SDN"),)),
        Case({}, (hit("facility.owner", "SDN"),)),
    ),
    "US-EAR-744.15-UVL-ENGINEER": (
        Case({}, (hit("engineers[0]", "UVL"),)),
        Case({}, (hit("engineers[0]", "EL"),)),
    ),
    "US-EAR-744.21-MEU-ENGINEER": (
        Case({}, (hit("engineers[0]", "MEU"),)),
        Case({}, (hit("engineers[0]", "SDN"),)),
    ),
    "US-EAR-734.13-DEEMED-EXPORT": (
        Case({"engineers": [CN], "tools": [tool(us=["3B001.f"])], "activity": "training"}),
        Case({"engineers": [CN], "tools": [tool(us=["3B991"])], "activity": "training"}),
    ),
    "US-EMBARGO-FACILITY": (Case({"country": "SY", **PLANAR}), Case({"country": "LB", **PLANAR})),
    "US-EMBARGO-ENGINEER-LOCATION": (
        Case({"mode": "remote", "country": "TW", "engineers": [engineer(location="KP")]}),
        Case({"mode": "remote", "country": "TW", "engineers": [engineer(location="KR")]}),
    ),
    "EU-US-SANCTIONS-RU-BY": (Case({"country": "RU", **PLANAR}), Case({"country": "UA", **PLANAR})),
    "NL-NATIONAL-EQUIPMENT-2023": (
        Case({**NL_VENDOR, "activity": "installation", "tools": [NXT2000], "start": "2023-09-01"}),
        Case({**NL_VENDOR, "activity": "installation", "tools": [NXT2000], "start": "2023-08-31"}),
    ),
    "NL-NATIONAL-EQUIPMENT": (
        Case({**NL_VENDOR, "activity": "installation", "tools": [NXT1980], "start": "2024-09-07"}),
        Case({**NL_VENDOR, "activity": "installation", "tools": [NXT1980], "start": "2024-09-06"}),
    ),
    "NL-NATIONAL-SERVICES-2024": (
        Case({**NL_VENDOR, "tools": [NXT2000], "start": "2024-09-06"}),
        Case({**NL_VENDOR, "tools": [NXT2000], "start": "2024-09-05"}),
    ),
    "NL-NATIONAL-SERVICES": (
        Case(
            {
                **NL_VENDOR,
                "engineers": [NL_ENG],
                "tools": [NXT1980],
                "start": "2026-12-07",
                **PLANAR,
            }
        ),
        Case(
            {
                **NL_VENDOR,
                "engineers": [NL_ENG],
                "tools": [NXT1980],
                "start": "2026-12-07",
                "country": "BE",
                **PLANAR,
            }
        ),
    ),
    "NL-NATIONAL-METROLOGY-2025": (
        Case({**NL_VENDOR, "tools": [METROLOGY], "start": "2025-04-01"}),
        Case({**NL_VENDOR, "tools": [METROLOGY], "start": "2025-03-31"}),
    ),
    "EU-833-2014-RU-TECHNICAL-ASSISTANCE": (
        Case({"vendor_country": "DE", "tools": [EUV], "country": "RU"}),
        Case({"vendor_country": "DE", "tools": [EUV], "country": "BY"}),
    ),
    "EU-765-2006-BY-TECHNICAL-ASSISTANCE": (
        Case({"engineers": [NL_ENG], "vendor_country": "US", "tools": [EUV], "country": "BY"}),
        Case({"engineers": [US], "vendor_country": "US", "tools": [EUV], "country": "BY"}),
    ),
    "EU-2021-821-ANNEX-I-EXPORT": (
        Case({**NL_VENDOR, "tools": [EUV], "country": "TW", "activity": "installation"}),
        Case({**NL_VENDOR, "tools": [EUV], "country": "JP", "activity": "installation"}),
    ),
    "JP-FEFTA-23-TOOLS": (
        Case({"vendor_country": "JP", "tools": [METI], "start": "2023-07-23"}),
        Case({"vendor_country": "JP", "tools": [METI], "start": "2023-07-22"}),
    ),
    "KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY": (
        Case({"vendor_country": "KR", "tools": [tool(kr=["NCT"])]}),
        Case({"vendor_country": "KR", "tools": [tool(kr=["NCT"])], "country": "KR"}),
    ),
    "DQ-ENGINEER-NO-CITIZENSHIP": (
        Case({"engineers": [engineer(citizenships=[])]}),
        Case({"engineers": [engineer(citizenships=["DE"])]}),
    ),
    "DQ-CITIZENSHIP-HISTORY-INCOMPLETE": (
        Case({"engineers": [engineer(citizenships=["CN", "CA"])], "tools": [tool(us=["3B001"])]}),
        Case(
            {
                "engineers": [engineer(citizenships=["CN", "CA"], residencies=["US"])],
                "tools": [tool(us=["3B001"])],
            }
        ),
    ),
    "DQ-CAPABILITY-UNKNOWN": (Case({"products": None}), Case({"products": None, "country": "TW"})),
    "DQ-DRAM-CELL-AREA-MISSING": (
        Case({"products": ["dram"], "logic_node_nm": None, "dram_half_pitch_nm": 19}),
        Case(
            {
                "products": ["dram"],
                "logic_node_nm": None,
                "dram_half_pitch_nm": 19,
                "start": "2024-12-01",
            }
        ),
    ),
    "DQ-TOOL-NOT-CLASSIFIED": (Case({"tools": [tool(us=None)]}), Case({"tools": [tool(us=[])]})),
    "POLICY-ALLIED-NATIONALS-ADVANCED-CHINA": (
        Case({"engineers": [engineer(citizenships=["KR"])]}),
        Case({"engineers": [engineer(citizenships=["KR"])], **PLANAR}),
    ),
    "POLICY-KR-ENGINEERS-ABROAD": (
        Case({"engineers": [engineer(citizenships=["KR"])], "country": "US"}),
        Case({"engineers": [engineer(citizenships=["KR"])], "country": "KR"}),
    ),
}


def test_every_rule_in_the_packs_has_a_firing_and_a_quiet_case() -> None:
    assert set(CASES) == {r.code for r in packs().rules}


def fired(case: Case) -> set[str]:
    decision = decide(case.build(), rules=ruleset(all_policies()), screening=case.screening)
    return {f.rule for f in decision.findings}


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_rule_fires_in_its_case(code: str) -> None:
    assert code in fired(CASES[code][0])


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_rule_stays_quiet_at_its_boundary(code: str) -> None:
    assert code not in fired(CASES[code][1])


# --- the compiled conditions mean what the rule text says ------------------------------------


def reference_firings(
    doc: VisitDocument, screening: Sequence[ScreeningHit]
) -> set[tuple[str, str | None, str | None]]:
    """Evaluate every rule in force from its original text, with nested maps and Python helpers."""
    rules = ruleset(all_policies())
    v = doc.visit
    window = Window(v.start_date, v.end_date)
    plan = rules.plan(v.start_date, v.end_date)
    owner = [h.list_code for h in screening if h.party == "facility.owner" and not h.false_positive]
    united_states = frozenset({"US"}) | plan.groups.get("US:US", frozenset())
    stakes = {
        i: [
            h.list_code
            for h in screening
            if h.party == f"facility.owners[{i}]" and not h.false_positive
        ]
        for i in range(len(doc.facility.owners))
    }
    parties = {
        i: [h for h in screening if h.party == f"facility.parties[{i}]"]
        for i in range(len(doc.facility.parties))
    }
    base: dict[str, Any] = {
        **scalar_facts(doc, list_missing=False, list_stale=False),
        **{c.name: list(c.values) for c in packs().constants},
        "vendor": vendor_facts(doc.vendor, united_states=united_states),
        "facility": facility_facts(
            doc.facility,
            window,
            groups_by_country=plan.groups_by_country,
            owner_hits=owner,
            stake_hits=stakes,
            party_hits=parties,
        ),
    }

    def in_group(country: object, group: str) -> bool:
        return country in plan.groups[group]

    def has_code(t: dict[str, Any], jurisdiction: str, prefixes: str | list[str]) -> bool:
        wanted = [prefixes] if isinstance(prefixes, str) else prefixes
        return any(
            code_matches(c, p) for c in t["classifications"].get(jurisdiction, []) for p in wanted
        )

    functions = {"in_group": in_group, "has_code": has_code}
    engineers = [
        engineer_facts(
            e,
            window,
            mode=v.mode,
            facility_country=doc.facility.country,
            vendor_country=doc.vendor.country,
            screening_hits=[
                h.list_code
                for h in screening
                if h.party == f"engineers[{i}]" and not h.false_positive
            ],
            united_states=united_states,
        )
        for i, e in enumerate(doc.engineers)
    ]
    tools = [tool_facts(t, united_states=united_states) for t in doc.tools]
    items = [
        {
            **tool_facts(i.as_tool(), united_states=united_states),
            "model": i.label,
            "kind": i.kind,
        }
        for i in shipped_items(doc)
    ]
    result: set[tuple[str, str | None, str | None]] = set()
    for rule in rules.enabled_rules:
        if not rule.in_force(v.start_date, v.end_date):
            continue
        program = cel.compile(rule.when)
        subjects: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
            "visit": [(None, None)],
            "engineer": [(e, None) for e in engineers],
            "tool": [(None, t) for t in tools],
            "engineer_tool": [(e, t) for e in engineers for t in tools],
            "item": [(None, i) for i in items],
        }[rule.scope]
        for e, t in subjects:
            variables = dict(base)
            if e is not None:
                variables["engineer"] = e
            if t is not None:
                variables["tool"] = t
            if program.execute(cel.Context(variables, functions)) is True:
                result.add((rule.code, e["name"] if e else None, t["model"] if t else None))
    return result


@pytest.mark.parametrize(
    "case", [c for pair in CASES.values() for c in pair], ids=lambda c: str(sorted(c.doc))
)
def test_compiled_conditions_agree_with_the_rule_text(case: Case) -> None:
    doc = case.build()
    decision = decide(doc, rules=ruleset(all_policies()), screening=case.screening)
    engine = {
        (f.rule, f.engineer, f.tool) for f in decision.findings if not f.rule.startswith("SYSTEM-")
    }
    assert engine == reference_firings(doc, case.screening)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw_documents(),
    st.lists(st.sampled_from(["EL", "DPL", "SDN", "UVL", "MEU", "ISN"]), max_size=2),
)
def test_compiled_conditions_agree_with_the_rule_text_on_random_documents(
    raw: dict[str, Any], lists: list[str]
) -> None:
    doc = parse_document(raw)
    screening = tuple(
        hit("facility.owner" if i % 2 else "engineers[0]", code, entry_id=str(i))
        for i, code in enumerate(lists)
    )
    decision = decide(doc, rules=ruleset(all_policies()), screening=screening)
    assert not [f for f in decision.findings if f.rule == "SYSTEM-RULE-ERROR"]
    engine = {
        (f.rule, f.engineer, f.tool) for f in decision.findings if not f.rule.startswith("SYSTEM-")
    }
    assert engine == reference_firings(doc, screening)
