"""U.S. rules: 744.6(c)(2), 744.23, restricted parties, deemed exports, embargoes."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.engine import SYSTEM_SCREENING_HIT

from .builders import codes, decide, document, engineer, findings, hit, tool

US_CITIZEN = engineer("Sam Carter", citizenships=["US"])
FAB_7NM = {"products": ["logic"], "logic_node_nm": 7, "non_planar": True}
PLANAR_28NM = {"products": ["logic"], "logic_node_nm": 28, "non_planar": False}


def us_person_rule_codes(**kwargs: Any) -> set[str]:
    kwargs.setdefault("engineers", [US_CITIZEN])
    return {
        c for c in codes(decide(document(**kwargs))) if c.startswith("US-EAR-744.6-ADVANCED-FAB")
    }


# --- 744.6(c)(2): U.S. persons at advanced-node fabs -----------------------------------------


def test_a_16nm_planar_logic_fab_is_advanced() -> None:
    assert us_person_rule_codes(logic_node_nm=16, non_planar=False) == {"US-EAR-744.6-ADVANCED-FAB"}


def test_nand_with_128_layers_fires_and_127_does_not() -> None:
    assert us_person_rule_codes(products=["nand"], nand_layers=128)
    assert not us_person_rule_codes(products=["nand"], nand_layers=127)


def test_dram_at_18nm_half_pitch_fires_and_19nm_does_not() -> None:
    assert us_person_rule_codes(products=["dram"], dram_half_pitch_nm=18)
    assert not us_person_rule_codes(products=["dram"], dram_half_pitch_nm=19)


def test_the_day_before_2022_10_12_does_not_fire_and_the_day_itself_does() -> None:
    assert not us_person_rule_codes(start="2022-10-11")
    assert us_person_rule_codes(start="2022-10-12") == {"US-EAR-744.6-ADVANCED-FAB-CN-2022"}


def test_hong_kong_fires_from_2022_10_12() -> None:
    assert us_person_rule_codes(country="HK", start="2022-10-12") == {
        "US-EAR-744.6-ADVANCED-FAB-CN-2022"
    }
    assert us_person_rule_codes(country="HK", start="2026-12-07") == {"US-EAR-744.6-ADVANCED-FAB"}


def test_macau_is_covered_from_2023_01_17() -> None:
    # 88 FR 2821: published 2023-01-18, effective 2023-01-17 (DOMAIN sec. 3).
    assert not us_person_rule_codes(country="MO", start="2023-01-16")
    assert us_person_rule_codes(country="MO", start="2023-01-17") == {
        "US-EAR-744.6-ADVANCED-FAB-CN-MO-2023"
    }
    assert us_person_rule_codes(country="MO", start="2026-12-07") == {"US-EAR-744.6-ADVANCED-FAB"}


def test_other_d5_destinations_are_covered_only_from_2023_11_17() -> None:
    assert not us_person_rule_codes(country="VE", start="2023-11-16")
    assert us_person_rule_codes(country="VE", start="2023-11-17") == {"US-EAR-744.6-ADVANCED-FAB"}


def test_a_visit_that_straddles_a_rule_start_is_covered_by_the_new_rule() -> None:
    got = us_person_rule_codes(country="VE", start="2023-11-15", end="2023-11-18")
    assert got == {"US-EAR-744.6-ADVANCED-FAB"}
    # In China both the old and the new period apply to such a visit.
    assert us_person_rule_codes(start="2023-11-16", end="2023-11-17") == {
        "US-EAR-744.6-ADVANCED-FAB-CN-MO-2023",
        "US-EAR-744.6-ADVANCED-FAB",
    }


def test_cambodia_is_covered_until_it_left_d5_on_2026_02_03() -> None:
    assert us_person_rule_codes(country="KH", start="2026-02-02")
    assert not us_person_rule_codes(country="KH", start="2026-02-03")


def test_a_non_advanced_destination_outside_d5_is_not_covered() -> None:
    assert not us_person_rule_codes(country="TW")


def test_a_green_card_that_ended_before_the_visit_does_not_make_a_us_person() -> None:
    expired = engineer(
        "Pat",
        citizenships=["NL"],
        residencies=[{"country": "US", "since": "2010-01-01", "until": "2026-01-01"}],
    )
    assert not us_person_rule_codes(engineers=[expired])
    valid = engineer(
        "Pat", citizenships=["NL"], residencies=[{"country": "US", "since": "2010-01-01"}]
    )
    assert us_person_rule_codes(engineers=[valid])


def test_a_non_us_engineer_outside_the_us_is_not_covered() -> None:
    assert not us_person_rule_codes(engineers=[engineer(citizenships=["DE"])])


def test_remote_support_from_the_us_makes_any_national_a_us_person() -> None:
    remote = engineer("Wang Fang", citizenships=["CN"], location="US")
    decision = decide(document(mode="remote", activity="remote_support", engineers=[remote]))
    (finding,) = findings(decision, "US-EAR-744.6-ADVANCED-FAB")
    assert finding.facts["us_person_basis"] == ["present_in:US"]


def test_a_protected_individual_is_covered() -> None:
    assert us_person_rule_codes(engineers=[engineer(citizenships=["AF"], protected=True)])


def test_training_and_decommissioning_are_not_support_activities() -> None:
    assert not us_person_rule_codes(activity="training")
    assert not us_person_rule_codes(activity="decommissioning")


def test_a_us_vendor_or_us_branch_needs_a_licence_even_with_non_us_engineers() -> None:
    for vendor in ({"vendor_country": "US"}, {"vendor_country": "IE", "us_branch": True}):
        decision = decide(document(**vendor))
        (finding,) = findings(decision, "US-EAR-744.6-US-COMPANY")
        assert finding.engineer is None
        assert finding.facts["us_person_basis"]


def test_a_foreign_subsidiary_of_a_us_company_is_not_a_us_person() -> None:
    assert not findings(
        decide(document(vendor_country="IE", us_branch=False)), "US-EAR-744.6-US-COMPANY"
    )


def test_the_us_company_rule_for_china_starts_on_2022_10_12() -> None:
    assert not codes(decide(document(vendor_country="US", start="2022-10-11")))
    assert "US-EAR-744.6-US-COMPANY-CN-2022" in codes(
        decide(document(vendor_country="US", start="2022-10-12"))
    )


# --- 744.23: items subject to the EAR ------------------------------------------------------


def test_servicing_a_tool_subject_to_the_ear_at_an_advanced_fab_in_d5_needs_a_licence() -> None:
    decision = decide(document(tools=[tool(subject_to_ear=True)]))
    (finding,) = findings(decision, "US-EAR-744.23-ADVANCED-FAB-ITEMS")
    assert finding.tool == "Etcher 9000" and finding.engineer is None


def test_744_23_does_not_apply_before_2023_11_17_or_to_items_not_subject_to_the_ear() -> None:
    assert not findings(
        decide(document(tools=[tool(subject_to_ear=True)], start="2023-11-16")),
        "US-EAR-744.23-ADVANCED-FAB-ITEMS",
    )
    assert not findings(
        decide(document(tools=[tool(subject_to_ear=False)])), "US-EAR-744.23-ADVANCED-FAB-ITEMS"
    )
    assert not findings(
        decide(document(tools=[tool(subject_to_ear=True)], **PLANAR_28NM)),
        "US-EAR-744.23-ADVANCED-FAB-ITEMS",
    )


# --- Restricted parties --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("list_code", "rule", "effect", "status"),
    [
        ("EL", "US-EAR-744.11-ENTITY-LIST-OWNER", "licence_required", "on_hold"),
        ("DPL", "US-EAR-DPL-OWNER", "prohibited", "blocked"),
        ("SDN", "US-OFAC-SDN-OWNER", "prohibited", "blocked"),
        ("UVL", "US-EAR-744.15-UVL-OWNER", "review", "on_hold"),
        ("MEU", "US-EAR-744.21-MEU-OWNER", "licence_required", "on_hold"),
    ],
)
def test_a_facility_owner_hit_has_the_consequence_of_its_list(
    list_code: str, rule: str, effect: str, status: str
) -> None:
    decision = decide(document(**PLANAR_28NM), screening=[hit("facility.owner", list_code)])
    (finding,) = findings(decision, rule)
    assert finding.effect == effect
    assert decision.status == status
    assert findings(decision, SYSTEM_SCREENING_HIT)  # the hit itself is always shown for review


def test_an_entity_list_owner_finding_cites_supplement_no_4() -> None:
    (finding,) = findings(
        decide(document(), screening=[hit("facility.owner", "EL")]),
        "US-EAR-744.11-ENTITY-LIST-OWNER",
    )
    assert "Supplement No. 4 to Part 744" in finding.citation


@pytest.mark.parametrize(
    ("list_code", "rule", "effect"),
    [
        ("EL", "US-EAR-744.11-ENTITY-LIST-ENGINEER", "licence_required"),
        ("DPL", "US-EAR-DPL-ENGINEER", "prohibited"),
        ("SDN", "US-OFAC-SDN-ENGINEER", "prohibited"),
        ("UVL", "US-EAR-744.15-UVL-ENGINEER", "review"),
        ("MEU", "US-EAR-744.21-MEU-ENGINEER", "licence_required"),
    ],
)
def test_an_engineer_hit_has_the_consequence_of_its_list(
    list_code: str, rule: str, effect: str
) -> None:
    decision = decide(document(), screening=[hit("engineers[0]", list_code, name="Anna Schmidt")])
    (finding,) = findings(decision, rule)
    assert (finding.effect, finding.engineer) == (effect, "Anna Schmidt")


def test_a_hit_on_another_list_holds_the_visit_for_review() -> None:
    decision = decide(document(), screening=[hit("facility.owner", "ISN")])
    assert decision.status == "on_hold"
    assert codes(decision) == {SYSTEM_SCREENING_HIT}


def test_a_hit_marked_false_positive_does_not_hold_the_visit() -> None:
    decision = decide(document(), screening=[hit("facility.owner", "EL", false_positive=True)])
    assert decision.status == "cleared"
    assert decision.screening[0].false_positive  # still recorded


# --- Deemed export / re-export -------------------------------------------------------------

CHINESE_NATIONAL = engineer("Li Wei", citizenships=["CN"])


def deemed(**kwargs: Any) -> list[Any]:
    kwargs.setdefault("engineers", [CHINESE_NATIONAL])
    kwargs.setdefault("tools", [tool(us=["3B001.f"])])
    kwargs.setdefault("country", "SG")
    return findings(decide(document(**kwargs)), "US-EAR-734.13-DEEMED-EXPORT")


def test_training_a_chinese_national_on_a_3b001_tool_is_a_deemed_export() -> None:
    (finding,) = deemed(activity="training")
    assert finding.citation == "15 CFR 734.13(b), 734.14(b)"
    assert finding.facts["deemed_export_country"] == "CN"


@pytest.mark.parametrize("code", ["3B002", "3B993.a", "3B001.f.4"])
def test_other_3b_test_and_equipment_classifications_count(code: str) -> None:
    assert deemed(tools=[tool(us=[code])])


def test_an_anti_terrorism_only_tool_is_not_a_deemed_export() -> None:
    assert not deemed(tools=[tool(us=["3B991"])])


def test_a_national_of_a_country_outside_d1_and_d5_is_not_a_deemed_export() -> None:
    assert not deemed(engineers=[engineer(citizenships=["IN"])])


def test_a_chinese_national_with_a_us_green_card_is_not_a_foreign_person() -> None:
    assert not deemed(engineers=[engineer(citizenships=["CN"], residencies=["US"])])


def test_a_more_recent_permanent_residency_outside_d1_d5_decides() -> None:
    person = engineer(
        citizenships=[{"country": "CN", "since": "1990-01-01"}],
        residencies=[{"country": "DE", "since": "2018-01-01"}],
    )
    assert not deemed(engineers=[person])


def test_a_chinese_national_giving_remote_support_from_the_us_is_still_a_foreign_person() -> None:
    remote = engineer("Li Wei", citizenships=["CN"], location="US")
    assert deemed(engineers=[remote], mode="remote", activity="remote_support")


def test_an_incomplete_citizenship_history_routes_to_review_instead() -> None:
    person = engineer(citizenships=["CN", "CA"])
    assert not deemed(engineers=[person])
    decision = decide(document(country="SG", engineers=[person], tools=[tool(us=["3B001"])]))
    assert findings(decision, "DQ-CITIZENSHIP-HISTORY-INCOMPLETE")[0].effect == "review"


# --- Embargoes and sanctions ---------------------------------------------------------------


def test_a_facility_in_an_embargoed_country_is_prohibited() -> None:
    decision = decide(document(country="IR", **PLANAR_28NM))
    assert decision.status == "blocked"
    assert findings(decision, "US-EMBARGO-FACILITY")


def test_an_engineer_working_from_an_embargoed_country_is_prohibited() -> None:
    decision = decide(document(mode="remote", country="TW", engineers=[engineer(location="CU")]))
    assert decision.status == "blocked"
    assert findings(decision, "US-EMBARGO-ENGINEER-LOCATION")


def test_a_facility_outside_the_embargoes_is_not_prohibited() -> None:
    assert decide(document(country="TW")).status == "cleared"


def test_russia_and_belarus_are_held_for_a_sanctions_review() -> None:
    decision = decide(document(country="BY", **PLANAR_28NM))
    assert codes(decision) == {"EU-US-SANCTIONS-RU-BY"}
    assert decision.outcome == "review"
