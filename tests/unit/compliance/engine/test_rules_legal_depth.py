"""Cases of the legal-depth review, each checked against DOMAIN.md: the effect and the citation a
visit gets where the packs used to clear it."""

from __future__ import annotations

from .builders import codes, decide, document, engineer, findings, tool

US_CITIZEN = engineer("Sam Carter", citizenships=["US"])
JAPANESE = engineer("Kenji Sato", citizenships=["JP"])
VIETNAMESE = engineer("Nguyen Van An", citizenships=["VN"])
ETCHER = tool("Etch 3B001", us=["3B001.c"])


def test_remote_support_from_puerto_rico_is_support_by_a_us_person() -> None:
    # 15 CFR 772.1: "United States" includes Puerto Rico and every US territory (DOMAIN sec. 4).
    for territory in ["PR", "GU", "VI", "AS", "MP"]:
        remote = engineer("Kenji Sato", citizenships=["JP"], location=territory)
        decision = decide(document(engineers=[remote], activity="remote_support", mode="remote"))
        [finding] = findings(decision, "US-EAR-744.6-ADVANCED-FAB")
        assert finding.effect == "licence_required"
        assert finding.citation.startswith("15 CFR 744.6(c)(2)")
        assert f"present_in:US ({territory})" in finding.message
    # From Japan the same engineer is not a U.S. person.
    at_home = engineer("Kenji Sato", citizenships=["JP"], location="JP")
    decision = decide(document(engineers=[at_home], activity="remote_support", mode="remote"))
    assert "US-EAR-744.6-ADVANCED-FAB" not in codes(decision)


def test_a_vendor_organised_in_puerto_rico_is_a_us_company() -> None:
    decision = decide(document(vendor_country="PR", engineers=[JAPANESE]))
    [finding] = findings(decision, "US-EAR-744.6-US-COMPANY")
    assert "organised_in:US (PR)" in finding.message


def test_a_vietnamese_national_trained_on_a_3b001_tool_needs_a_deemed_export_licence() -> None:
    # Vietnam is in Country Group D:1 (DOMAIN sec. 3 [H]); training releases 3B technology.
    decision = decide(
        document(engineers=[VIETNAMESE], tools=[ETCHER], activity="training", country="DE")
    )
    [finding] = findings(decision, "US-EAR-734.13-DEEMED-EXPORT")
    assert finding.effect == "licence_required"
    assert finding.citation == "15 CFR 734.13(b), 734.14(b)"
    assert "VN" in finding.message


def test_a_us_citizen_training_staff_at_a_7nm_china_fab_is_reviewed() -> None:
    decision = decide(document(engineers=[US_CITIZEN], activity="training"))
    [finding] = findings(decision, "US-EAR-744.6-TRAINING")
    assert finding.effect == "review"
    assert finding.citation == "15 CFR 744.6(c)(2); 88 FR 73424"
    assert "not settled" in finding.message
    assert decision.outcome != "clear"
    # The same training at a 28 nm planar fab is not a 744.6 matter.
    planar = document(
        engineers=[US_CITIZEN], activity="training", logic_node_nm=28, non_planar=False
    )
    assert "US-EAR-744.6-TRAINING" not in codes(decide(planar))


def test_a_19nm_dram_fab_without_its_cell_area_is_unknown_after_2024_12_02() -> None:
    dram = {"products": ["dram"], "logic_node_nm": None, "non_planar": False}
    late = decide(document(engineers=[US_CITIZEN], dram_half_pitch_nm=19, **dram))
    [finding] = findings(late, "DQ-CAPABILITY-UNKNOWN")
    assert finding.effect == "review"
    assert late.outcome != "clear"
    # Before 2024-12-02 the half-pitch alone settled it: 19 nm was not advanced.
    early = decide(
        document(engineers=[US_CITIZEN], dram_half_pitch_nm=19, start="2024-12-01", **dram)
    )
    assert "DQ-CAPABILITY-UNKNOWN" not in codes(early)
    # With the cell area known, the building is decided on it.
    known = decide(
        document(engineers=[US_CITIZEN], dram_half_pitch_nm=19, dram_cell_area_um2=0.0025, **dram)
    )
    assert "DQ-CAPABILITY-UNKNOWN" not in codes(known)
    # 18 nm or less is still advanced, with or without the cell area.
    advanced = decide(document(engineers=[US_CITIZEN], dram_half_pitch_nm=18, **dram))
    assert "US-EAR-744.6-ADVANCED-FAB" in codes(advanced)
