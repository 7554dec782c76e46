"""Dutch national controls on advanced semiconductor manufacturing equipment."""

from __future__ import annotations

from typing import Any

from .builders import codes, decide, document, engineer, findings, tool

DUTCH_ENGINEER = engineer("Jan de Vries", citizenships=["NL"])
NXT_1980I = tool("TWINSCAN NXT:1980i", us=["3B001.f"], nl=["3B001.f.4"])
NXT_2000I = tool("TWINSCAN NXT:2000i", us=["3B001.f"], nl=["3B001.f.4"])
PLANAR_28NM = {"products": ["logic"], "logic_node_nm": 28, "non_planar": False}


def nl_codes(**kwargs: Any) -> set[str]:
    kwargs.setdefault("vendor_name", "ASML Netherlands B.V.")
    kwargs.setdefault("vendor_country", "NL")
    kwargs.setdefault("engineers", [DUTCH_ENGINEER])
    kwargs.setdefault("tools", [NXT_1980I])
    for key, value in PLANAR_28NM.items():
        kwargs.setdefault(key, value)
    return {c for c in codes(decide(document(**kwargs))) if c.startswith("NL-")}


def test_services_for_listed_tools_start_on_2024_09_06() -> None:
    assert nl_codes(tools=[NXT_2000I], start="2024-09-05") == set()
    assert nl_codes(tools=[NXT_2000I], start="2024-09-06") == {"NL-NATIONAL-SERVICES-2024"}


def test_the_nxt_1970i_and_1980i_are_covered_only_from_2024_09_07() -> None:
    assert nl_codes(start="2024-09-06") == set()
    assert nl_codes(start="2024-09-07") == {"NL-NATIONAL-SERVICES"}
    assert (
        nl_codes(tools=[tool("TWINSCAN NXT:1970i", nl=["3B001.f.4"])], start="2024-09-06") == set()
    )


def test_delivering_a_listed_tool_is_controlled_from_2023_09_01() -> None:
    assert nl_codes(activity="installation", tools=[NXT_2000I], start="2023-08-31") == set()
    assert nl_codes(activity="installation", tools=[NXT_2000I], start="2023-09-01") == {
        "NL-NATIONAL-EQUIPMENT-2023"
    }
    assert nl_codes(activity="installation", tools=[NXT_1980I], start="2024-01-10") == set()
    assert nl_codes(activity="installation", tools=[NXT_1980I], start="2024-09-07") == {
        "NL-NATIONAL-EQUIPMENT"
    }


def test_every_code_of_the_dutch_list_counts_and_others_do_not() -> None:
    for code in ("3B001.l", "3B001.m", "3B001.d.12", "3B001.d.19", "3B001.a.4", "3D007"):
        assert nl_codes(tools=[tool("X", nl=[code])]) == {"NL-NATIONAL-SERVICES"}, code
    assert nl_codes(tools=[tool("X", nl=["3B001.f.1"])]) == set()
    assert nl_codes(tools=[tool("X", nl=["3B001.d.1"])]) == set()


def test_a_facility_inside_the_eu_needs_no_dutch_licence() -> None:
    assert nl_codes(country="DE") == set()


def test_a_non_dutch_vendor_with_an_engineer_outside_the_netherlands_is_not_covered() -> None:
    assert nl_codes(vendor_country="DE", vendor_name="Other GmbH") == set()


def test_remote_support_from_the_netherlands_for_a_foreign_vendor_is_covered() -> None:
    remote = engineer("Jan de Vries", citizenships=["NL"], location="NL")
    assert nl_codes(
        vendor_country="DE",
        vendor_name="Other GmbH",
        mode="remote",
        activity="remote_support",
        engineers=[remote],
    ) == {"NL-NATIONAL-SERVICES"}


def test_metrology_tools_added_on_2025_04_01_go_to_review() -> None:
    metrology = tool("YieldStar 9000", nl=["NL-METROLOGY-2025"])
    assert nl_codes(tools=[metrology], start="2025-03-31") == set()
    decision = decide(
        document(
            vendor_country="NL",
            engineers=[DUTCH_ENGINEER],
            tools=[metrology],
            start="2025-04-01",
            **PLANAR_28NM,
        )
    )
    (finding,) = findings(decision, "NL-NATIONAL-METROLOGY-2025")
    assert (finding.effect, finding.confidence) == ("review", "medium")
