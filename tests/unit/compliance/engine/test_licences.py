"""Licence coverage: a covered licence_required finding stays recorded but does not hold."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from compliance.engine import LicenceSpec

from .builders import decide, document, engineer, findings, hit, licence, tool

US = engineer("Sam Carter", citizenships=["US"])
RULE_744_6 = "US-EAR-744.6-ADVANCED-FAB"


def held_by_744_6(lic: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("engineers", [US])
    decision = decide(document(**kwargs), licences=[lic])
    (finding,) = findings(decision, RULE_744_6)
    return decision, finding


def test_a_matching_bis_licence_covers_the_finding_and_clears_the_visit() -> None:
    decision, finding = held_by_744_6(licence())
    assert finding.covered_by_licence == "D123456"
    assert decision.status == "cleared" and decision.outcome == "clear"


def test_names_are_compared_case_insensitively_and_the_owner_may_be_named() -> None:
    lic = licence(
        holder="EXAMPLE TOOLS GMBH",
        facilities=("example semiconductor co., ltd.",),
        authority="bis",
    )
    assert held_by_744_6(lic)[1].covered_by_licence == "D123456"


@pytest.mark.parametrize(
    "mismatch",
    [
        {"authority": "METI"},
        {"holder": "Someone Else Ltd."},
        {"facilities": ("Fab 9",)},
        {"facilities": ()},
        {"activities": ("installation",)},
        {"engineers": ("Someone Else",)},
        {"valid_from": date(2026, 12, 8)},
        {"valid_until": date(2026, 12, 8)},
        {"revoked": True},
    ],
    ids=lambda m: next(iter(m)),
)
def test_a_licence_that_does_not_match_in_every_respect_does_not_cover(
    mismatch: dict[str, Any],
) -> None:
    decision, finding = held_by_744_6(licence(**mismatch), end="2026-12-09")
    assert finding.covered_by_licence is None
    assert decision.status == "on_hold"


def test_the_whole_visit_must_fall_within_the_validity_period() -> None:
    assert held_by_744_6(licence(valid_until=date(2026, 12, 9)), end="2026-12-09")[
        1
    ].covered_by_licence
    assert not held_by_744_6(licence(valid_until=date(2026, 12, 8)), end="2026-12-09")[
        1
    ].covered_by_licence


def test_a_licence_naming_the_engineer_and_activity_covers() -> None:
    lic = licence(engineers=("Sam Carter",), activities=("maintenance", "repair"))
    assert held_by_744_6(lic)[1].covered_by_licence == "D123456"


def test_a_classification_limited_licence_must_cover_every_code_of_the_tool() -> None:
    doc_kwargs: dict[str, Any] = {"tools": [tool(us=["3B001.f", "3B991"], subject_to_ear=True)]}
    lic = licence(classifications=("3B001",))
    decision = decide(document(**doc_kwargs), licences=[lic])
    (finding,) = findings(decision, "US-EAR-744.23-ADVANCED-FAB-ITEMS")
    assert finding.covered_by_licence is None
    decision = decide(
        document(**doc_kwargs), licences=[licence(classifications=("3B001", "3B991"))]
    )
    assert findings(decision, "US-EAR-744.23-ADVANCED-FAB-ITEMS")[0].covered_by_licence == "D123456"


def test_a_classification_limited_licence_does_not_cover_a_tool_without_codes_there() -> None:
    decision = decide(
        document(tools=[tool(us=[], subject_to_ear=True)]),
        licences=[licence(classifications=("3B",))],
    )
    assert findings(decision, "US-EAR-744.23-ADVANCED-FAB-ITEMS")[0].covered_by_licence is None


def test_a_classification_limited_licence_still_covers_findings_without_a_tool() -> None:
    assert held_by_744_6(licence(classifications=("3B001",)))[1].covered_by_licence == "D123456"


def test_an_engineer_limited_licence_covers_a_company_finding_only_if_it_names_every_engineer() -> (
    None
):
    kwargs: dict[str, Any] = {"vendor_country": "US", "engineers": [engineer("A"), engineer("B")]}
    partial = decide(document(**kwargs), licences=[licence(engineers=("A",))])
    assert findings(partial, "US-EAR-744.6-US-COMPANY")[0].covered_by_licence is None
    full = decide(document(**kwargs), licences=[licence(engineers=("A", "B"))])
    assert findings(full, "US-EAR-744.6-US-COMPANY")[0].covered_by_licence == "D123456"


def test_a_licence_from_another_authority_covers_its_own_findings_only() -> None:
    doc = document(
        vendor_country="NL",
        vendor_name="ASML Netherlands B.V.",
        engineers=[US],
        tools=[tool("NXT:2000i", nl=["3B001.f.4"])],
    )
    nl = licence(
        authority="NL-MFA",
        number="NL-1",
        holder="ASML Netherlands B.V.",
        classifications=("3B001.f.4",),
    )
    decision = decide(doc, licences=[nl])
    assert findings(decision, "NL-NATIONAL-SERVICES")[0].covered_by_licence == "NL-1"
    assert findings(decision, RULE_744_6)[0].covered_by_licence is None
    assert decision.status == "on_hold"


def test_review_and_prohibited_findings_are_never_covered() -> None:
    decision = decide(document(), screening=[hit("facility.owner", "DPL")], licences=[licence()])
    assert all(f.covered_by_licence is None for f in decision.findings)
    assert decision.status == "blocked"


def test_an_entity_list_owner_licence_covers_the_owner_finding() -> None:
    decision = decide(document(), screening=[hit("facility.owner", "EL")], licences=[licence()])
    assert findings(decision, "US-EAR-744.11-ENTITY-LIST-OWNER")[0].covered_by_licence == "D123456"
    assert decision.outcome == "review"  # the hit itself still needs confirming


def test_when_several_licences_cover_the_lowest_number_is_recorded() -> None:
    decision = decide(
        document(engineers=[US]),
        licences=[licence(number="B-2", id=2), licence(number="A-1", id=1)],
    )
    assert findings(decision, RULE_744_6)[0].covered_by_licence == "A-1"


def test_a_meti_bulk_licence_covers_the_countries_it_lists_and_no_other() -> None:
    # DOMAIN sec. 8: a bulk licence is still a METI licence; it covers by destination country.
    coater = tool("Coater", jp=["METI-23:deposition"])
    bulk = licence(
        authority="METI", number="BULK-1", facilities=(), countries=("KR", "TW"), holder="Tokyo Co"
    )

    def fefta(country: str, *licences: LicenceSpec):
        doc = document(vendor_name="Tokyo Co", vendor_country="JP", tools=[coater], country=country)
        [finding] = findings(decide(doc, licences=licences), "JP-FEFTA-23-TOOLS")
        return finding

    assert fefta("KR", bulk).covered_by_licence == "BULK-1"
    assert fefta("TW", bulk).covered_by_licence == "BULK-1"
    assert fefta("SG", bulk).covered_by_licence is None
    # Without the licence the finding holds the visit; a BIS bulk entry would not match METI.
    assert fefta("KR").covered_by_licence is None
    assert fefta("KR", licence(**{**_fields(bulk), "authority": "BIS"})).covered_by_licence is None


def _fields(spec: LicenceSpec) -> dict[str, Any]:
    return {f: getattr(spec, f) for f in spec.__dataclass_fields__}
