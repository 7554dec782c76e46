"""The acceptance scenarios of the engine brief, end to end from a raw document."""

from __future__ import annotations

from .builders import decide, document, engineer, findings, tool

US_CITIZEN = engineer("Sam Carter", citizenships=["US"])
DUTCH_ENGINEER = engineer("Jan de Vries", citizenships=["NL"])
NXT_1980I = tool("TWINSCAN NXT:1980i", us=["3B001.f"], nl=["3B001.f.4"])
SHANGHAI_7NM = {"country": "CN", "products": ["logic"], "logic_node_nm": 7, "non_planar": True}
CHINA_28NM = {"country": "CN", "products": ["logic"], "logic_node_nm": 28, "non_planar": False}


def test_us_citizen_maintaining_a_tool_at_a_7nm_non_planar_shanghai_fab_is_held_citing_744_6() -> (
    None
):
    decision = decide(document(activity="maintenance", engineers=[US_CITIZEN], **SHANGHAI_7NM))
    assert decision.status == "on_hold"
    assert decision.outcome == "licence_required"
    (finding,) = findings(decision, "US-EAR-744.6-ADVANCED-FAB")
    assert "15 CFR 744.6(c)(2)" in finding.citation
    assert finding.engineer == "Sam Carter"
    assert finding.facts["us_person_basis"] == ["citizen:US"]
    assert finding.facts["advanced_basis"] == "logic 7 nm non-planar"
    assert (
        "U.S. person (citizen:US)" in finding.message and "logic 7 nm non-planar" in finding.message
    )


def test_the_same_engineer_at_a_28nm_planar_fab_in_china_is_cleared_with_a_current_list() -> None:
    decision = decide(
        document(activity="maintenance", engineers=[US_CITIZEN], **CHINA_28NM),
        lists_version="csl-1",
        stale=False,
    )
    assert decision.status == "cleared"
    assert decision.findings == ()


def test_a_dutch_engineer_of_a_dutch_vendor_on_an_nxt_1980i_at_a_28nm_chinese_fab_in_december_2026_is_held() -> (
    None
):
    decision = decide(
        document(
            vendor_name="ASML Netherlands B.V.",
            vendor_country="NL",
            engineers=[DUTCH_ENGINEER],
            tools=[NXT_1980I],
            start="2026-12-07",
            end="2026-12-09",
            **CHINA_28NM,
        )
    )
    assert decision.status == "on_hold"
    (finding,) = [f for f in decision.findings if f.jurisdiction == "NL"]
    assert finding.rule == "NL-NATIONAL-SERVICES"
    assert (finding.engineer, finding.tool, finding.effect) == (
        "Jan de Vries",
        "TWINSCAN NXT:1980i",
        "licence_required",
    )
    assert finding.facts["classifications"] == ["NL:3B001.f.4", "US:3B001.f"]


def test_the_same_dutch_visit_in_june_2023_is_not_held_by_a_dutch_rule() -> None:
    decision = decide(
        document(
            vendor_name="ASML Netherlands B.V.",
            vendor_country="NL",
            engineers=[DUTCH_ENGINEER],
            tools=[NXT_1980I],
            start="2023-06-12",
            end="2023-06-14",
            **CHINA_28NM,
        )
    )
    assert not [f for f in decision.findings if f.jurisdiction == "NL"]
    assert decision.status == "cleared"
