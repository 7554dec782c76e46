"""Facts derived from the document for the visit window (DESIGN sec. 6, DOMAIN sec. 2-5)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.engine.coverage import PrefixSet, code_matches
from compliance.engine.facts import Window, advanced_node, engineer_facts, vendor_facts

from .builders import document, engineer, ruleset


def facts_for(raw_engineer: dict[str, Any], **doc_kwargs: Any) -> dict[str, Any]:
    doc = document(engineers=[raw_engineer], **doc_kwargs)
    v = doc.visit
    return engineer_facts(
        doc.engineers[0],
        Window(v.start_date, v.end_date),
        mode=v.mode,
        facility_country=doc.facility.country,
        vendor_country=doc.vendor.country,
        screening_hits=(),
    )


def capability(start: str = "2026-12-07", **kwargs: Any) -> tuple[bool, str, bool]:
    doc = document(start=start, **kwargs)
    c = advanced_node(doc.facility, Window(doc.visit.start_date, doc.visit.end_date))
    return c.advanced_node, c.advanced_basis, c.capability_known


# --- U.S. person (15 CFR 772.1) ----------------------------------------------------------


def test_a_us_citizen_is_a_us_person_whatever_other_nationalities() -> None:
    f = facts_for(engineer(citizenships=["CN", "US"]))
    assert f["us_person"] and f["us_person_basis"] == ["citizen:US"]
    assert not f["foreign_person"]


def test_a_green_card_valid_during_the_visit_makes_a_us_person() -> None:
    f = facts_for(
        engineer(citizenships=["NL"], residencies=[{"country": "US", "since": "2019-03-01"}])
    )
    assert f["us_person_basis"] == ["permanent_resident:US"]


def test_a_green_card_that_ended_before_the_visit_does_not() -> None:
    f = facts_for(
        engineer(
            citizenships=["NL"],
            residencies=[{"country": "US", "since": "2010-01-01", "until": "2026-12-06"}],
        )
    )
    assert not f["us_person"]
    assert f["foreign_person"]


def test_a_green_card_ending_on_the_first_day_of_the_visit_still_counts() -> None:
    f = facts_for(engineer(residencies=[{"country": "US", "until": "2026-12-07"}]))
    assert f["us_person_basis"] == ["permanent_resident:US"]


def test_a_green_card_granted_after_the_visit_does_not_count() -> None:
    f = facts_for(
        engineer(residencies=[{"country": "US", "since": "2026-12-10"}]), end="2026-12-09"
    )
    assert not f["us_person"]


def test_a_protected_individual_is_a_us_person() -> None:
    assert facts_for(engineer(citizenships=["AF"], protected=True))["us_person_basis"] == [
        "protected_individual"
    ]


def test_remote_support_from_the_us_makes_any_national_a_us_person() -> None:
    f = facts_for(engineer(citizenships=["CN"], location="US"), mode="remote")
    assert f["us_person_basis"] == ["present_in:US"]
    # ...but not a non-foreign person for deemed exports.
    assert f["foreign_person"]


def test_an_engineer_outside_the_us_without_us_ties_is_not_a_us_person() -> None:
    assert not facts_for(engineer(citizenships=["DE"]))["us_person"]


def test_all_bases_are_recorded_in_a_fixed_order() -> None:
    f = facts_for(
        engineer(citizenships=["US"], residencies=["US"], protected=True, location="US"),
        mode="remote",
    )
    assert f["us_person_basis"] == [
        "citizen:US",
        "permanent_resident:US",
        "protected_individual",
        "present_in:US",
    ]


def test_a_us_company_and_a_us_branch_are_us_persons_but_a_foreign_subsidiary_is_not() -> None:
    assert vendor_facts(document(vendor_country="US").vendor)["us_person_basis"] == [
        "organised_in:US"
    ]
    assert vendor_facts(document(vendor_country="IE", us_branch=True).vendor)[
        "us_person_basis"
    ] == ["us_branch"]
    assert not vendor_facts(document(vendor_country="IE").vendor)["us_person"]


# --- Citizenship history (734.13(b)) ---------------------------------------------------------


def test_a_single_undated_citizenship_is_the_most_recent() -> None:
    f = facts_for(engineer(citizenships=["CN"]))
    assert f["most_recent_citizenship"] == "CN"
    assert f["deemed_export_country"] == "CN"
    assert f["citizenship_history_complete"]


def test_the_latest_dated_citizenship_is_the_most_recent() -> None:
    f = facts_for(
        engineer(
            citizenships=[
                {"country": "CN", "since": "1990-01-01"},
                {"country": "CA", "since": "2015-06-01"},
            ]
        )
    )
    assert f["most_recent_citizenship"] == "CA"
    assert f["all_nationalities"] == ["CA", "CN"]


def test_several_citizenships_without_dates_leave_the_history_incomplete() -> None:
    f = facts_for(engineer(citizenships=["CN", "CA"]))
    assert f["most_recent_citizenship"] is None
    assert not f["citizenship_history_complete"]
    assert f["deemed_export_basis"].startswith("history incomplete")


def test_no_citizenship_at_all_is_an_incomplete_history() -> None:
    f = facts_for(engineer(citizenships=[]))
    assert f["all_nationalities"] == []
    assert not f["citizenship_history_complete"]


def test_a_more_recent_permanent_residency_decides_the_deemed_export_country() -> None:
    f = facts_for(
        engineer(
            citizenships=[{"country": "CN", "since": "1990-01-01"}],
            residencies=[{"country": "DE", "since": "2018-01-01"}],
        )
    )
    assert f["deemed_export_country"] == "DE"
    assert f["deemed_export_basis"] == "permanent_residency:DE since 2018-01-01"
    assert f["most_recent_citizenship"] == "CN"


def test_an_expired_residency_does_not_count_for_the_deemed_export_country() -> None:
    f = facts_for(
        engineer(
            citizenships=["CN"],
            residencies=[{"country": "DE", "since": "2018-01-01", "until": "2020-01-01"}],
        )
    )
    assert f["deemed_export_country"] == "CN"
    assert f["permanent_residencies"] == []


def test_an_undated_citizenship_next_to_a_dated_residency_is_incomplete() -> None:
    f = facts_for(
        engineer(citizenships=["CN"], residencies=[{"country": "DE", "since": "2018-01-01"}])
    )
    assert f["deemed_export_country"] is None


def test_two_countries_acquired_the_same_day_are_ambiguous() -> None:
    f = facts_for(
        engineer(
            citizenships=[
                {"country": "CN", "since": "2000-01-01"},
                {"country": "CA", "since": "2000-01-01"},
            ]
        )
    )
    assert f["most_recent_citizenship"] is None


# --- Advanced-node facility (15 CFR 772.1) ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "advanced", "basis"),
    [
        ({"logic_node_nm": 16, "non_planar": False}, True, "logic 16 nm"),
        ({"logic_node_nm": 14, "non_planar": False}, True, "logic 14 nm"),
        ({"logic_node_nm": 28, "non_planar": False}, False, ""),
        ({"logic_node_nm": 28, "non_planar": True}, True, "logic 28 nm non-planar"),
        ({"logic_node_nm": 7, "non_planar": True}, True, "logic 7 nm non-planar"),
        ({"products": ["nand"], "nand_layers": 128}, True, "NAND 128 layers"),
        ({"products": ["nand"], "nand_layers": 127}, False, ""),
        ({"products": ["dram"], "dram_half_pitch_nm": 18}, True, "DRAM 18 nm half-pitch"),
        ({"products": ["dram"], "dram_half_pitch_nm": 19}, False, ""),
        ({"products": ["other"]}, False, ""),
    ],
)
def test_advanced_node_thresholds(kwargs: dict[str, Any], advanced: bool, basis: str) -> None:
    is_advanced, got_basis, known = capability(**kwargs)
    assert (is_advanced, got_basis, known) == (advanced, basis, True)


def test_metrics_of_products_not_listed_are_ignored() -> None:
    assert capability(products=["nand"], nand_layers=64, logic_node_nm=5)[0] is False


def test_dram_cell_area_counts_only_from_2024_12_02() -> None:
    kwargs: dict[str, Any] = {
        "products": ["dram"],
        "dram_half_pitch_nm": None,
        "dram_cell_area_um2": 0.0018,
    }
    assert capability(start="2024-12-02", **kwargs) == (True, "DRAM cell area 0.0018 um2", True)
    # Before the Dec 2024 rule only half-pitch decides, so a cell area alone leaves it unknown.
    assert capability(start="2024-12-01", **kwargs) == (False, "", False)
    # A visit that reaches 2024-12-02 counts.
    assert capability(start="2024-11-30", end="2024-12-02", **kwargs)[0] is True


def test_dram_cell_area_threshold_is_strictly_below_0_0019() -> None:
    kwargs: dict[str, Any] = {"products": ["dram"], "dram_half_pitch_nm": None}
    assert capability(dram_cell_area_um2=0.0019, **kwargs)[0] is False


@pytest.mark.parametrize(
    "kwargs",
    [
        {"products": None},
        {"products": []},
        {"products": ["logic"], "logic_node_nm": None, "non_planar": False},
        {"products": ["nand"], "nand_layers": None},
        {"products": ["dram"], "dram_half_pitch_nm": None, "dram_cell_area_um2": None},
    ],
)
def test_capability_is_unknown_when_products_or_their_metrics_are_missing(
    kwargs: dict[str, Any],
) -> None:
    assert capability(**kwargs)[2] is False


def test_a_facility_can_be_advanced_while_another_product_is_unknown() -> None:
    assert capability(
        products=["logic", "nand"], logic_node_nm=None, non_planar=True, nand_layers=None
    ) == (
        True,
        "logic non-planar",
        False,
    )


# --- Country groups over the visit window ----------------------------------------------------


def groups(country: str, start: str, end: str | None = None) -> list[str]:
    doc = document(country=country, start=start, end=end)
    plan = ruleset().plan(doc.visit.start_date, doc.visit.end_date)
    return list(plan.groups_by_country.get(country, ()))


def test_cambodia_is_in_d5_until_2026_02_02_and_not_from_2026_02_03() -> None:
    assert "US:D5" in groups("KH", "2026-02-02")
    assert "US:D5" not in groups("KH", "2026-02-03")
    assert "US:D5" in groups("KH", "2026-02-01", "2026-02-05")  # any day of the window counts


def test_cambodia_joined_d5_on_2021_12_09() -> None:
    assert "US:D5" not in groups("KH", "2021-12-08")
    assert "US:D5" in groups("KH", "2021-12-09")


def test_hong_kong_counts_as_china_in_d5() -> None:
    assert groups("HK", "2022-10-12") == ["US:D1", "US:D5"]


def test_macau_is_not_in_d5() -> None:
    assert "US:D5" not in groups("MO", "2026-12-07")


def test_eu_membership_and_embargo_groups() -> None:
    assert groups("NL", "2026-12-07") == ["EU", "JP:BULK42", "US:A5"]
    assert "EMBARGO" in groups("IR", "2026-12-07")


def test_japan_bulk_group_starts_with_the_2023_07_23_controls() -> None:
    assert "JP:BULK42" not in groups("KR", "2023-07-22")
    assert "JP:BULK42" in groups("KR", "2023-07-23")


# --- Classification prefixes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "prefix", "expected"),
    [
        ("3B001.f.4", "3B001", True),
        ("3B001.f.4", "3B001.f.4", True),
        ("3B001.f.40", "3B001.f.4", False),
        ("3B0015", "3B001", False),
        ("METI-23:deposition", "METI-23", True),
        ("METI-23:deposition", "METI-23:", True),
        ("METI-23", "METI-23:", False),
        ("NCT", "NCT", True),
        ("NCTX", "NCT", False),
        ("3B001", "", False),
        # Case never counts: a code typed in another case must not miss a rule.
        ("3b001.f.4", "3B001.f.4", True),
        ("3B001.F.4", "3B001", True),
        ("meti-23:etching", "METI-23:", True),
        ("METI-23:Etching", "METI-23:etching", True),
        ("nct", "NCT", True),
    ],
)
def test_classification_prefixes_match_whole_segments(
    code: str, prefix: str, expected: bool
) -> None:
    assert code_matches(code, prefix) is expected
    assert PrefixSet([prefix]).matches(code) is expected


_segment = st.sampled_from(
    ["3B001", "3b001", "3B", "f", "F", "4", "40", "METI-23", "meti-23", "NCT", "a", ""]
)
_code = st.lists(_segment, min_size=1, max_size=4).map(lambda parts: ".".join(parts))
_prefix = st.tuples(
    st.lists(_segment, min_size=1, max_size=3).map(lambda p: ":".join(p)),
    st.sampled_from(["", ".", ":"]),
).map("".join)


@given(_code, st.lists(_prefix, max_size=5))
def test_a_prefix_set_agrees_with_code_matches(code: str, prefixes: list[str]) -> None:
    assert PrefixSet(prefixes).matches(code) == any(code_matches(code, p) for p in prefixes)


def test_window_overlap_uses_an_exclusive_end() -> None:
    window = Window(date(2026, 2, 3), date(2026, 2, 3))
    assert not window.overlaps(None, date(2026, 2, 3))
    assert window.overlaps(None, date(2026, 2, 4))
    assert window.overlaps(date(2026, 2, 3), None)
    assert not window.overlaps(date(2026, 2, 4), None)
