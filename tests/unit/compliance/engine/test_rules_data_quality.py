"""Data-quality rules: unknown facts never clear a visit."""

from __future__ import annotations

from .builders import codes, decide, document, engineer, findings, tool


def test_an_engineer_without_citizenship_is_held_for_review() -> None:
    decision = decide(document(engineers=[engineer(citizenships=[])]))
    assert codes(decision) == {"DQ-ENGINEER-NO-CITIZENSHIP"}
    assert decision.status == "on_hold"


def test_an_engineer_with_a_citizenship_is_not() -> None:
    assert not findings(decide(document()), "DQ-ENGINEER-NO-CITIZENSHIP")


def test_unknown_capability_in_china_is_held_for_review() -> None:
    decision = decide(document(products=None))
    assert codes(decision) == {"DQ-CAPABILITY-UNKNOWN"}


def test_unknown_capability_in_macau_and_d5_is_held_but_not_elsewhere() -> None:
    assert findings(decide(document(country="MO", products=None)), "DQ-CAPABILITY-UNKNOWN")
    assert findings(
        decide(document(country="RU", products=["logic"], logic_node_nm=None, non_planar=False)),
        "DQ-CAPABILITY-UNKNOWN",
    )
    assert not findings(decide(document(country="DE", products=None)), "DQ-CAPABILITY-UNKNOWN")


def test_unknown_capability_before_2022_10_12_is_not_held() -> None:
    assert not findings(
        decide(document(products=None, start="2022-10-11")), "DQ-CAPABILITY-UNKNOWN"
    )


def test_a_facility_already_known_to_be_advanced_needs_no_capability_review() -> None:
    decision = decide(document(products=["logic", "dram"], logic_node_nm=5, non_planar=True))
    assert not findings(decision, "DQ-CAPABILITY-UNKNOWN")


def test_a_tool_without_any_classification_is_held_for_review() -> None:
    decision = decide(document(tools=[tool(us=None)]))
    assert codes(decision) == {"DQ-TOOL-NOT-CLASSIFIED"}
    assert not findings(decide(document(tools=[tool(us=[])])), "DQ-TOOL-NOT-CLASSIFIED")


def test_an_incomplete_history_matters_only_for_a_d1_d5_nationality_on_a_3b_tool() -> None:
    undated = engineer(citizenships=["CN", "CA"])
    assert findings(
        decide(document(engineers=[undated], tools=[tool(us=["3B001.f"])])),
        "DQ-CITIZENSHIP-HISTORY-INCOMPLETE",
    )
    assert not findings(
        decide(document(engineers=[undated], tools=[tool(us=["3B991"])])),
        "DQ-CITIZENSHIP-HISTORY-INCOMPLETE",
    )
    assert not findings(
        decide(
            document(engineers=[engineer(citizenships=["DE", "FR"])], tools=[tool(us=["3B001.f"])])
        ),
        "DQ-CITIZENSHIP-HISTORY-INCOMPLETE",
    )
    dated = engineer(
        citizenships=[
            {"country": "CN", "since": "1990-01-01"},
            {"country": "CA", "since": "2015-01-01"},
        ]
    )
    assert not findings(
        decide(document(engineers=[dated], tools=[tool(us=["3B001.f"])])),
        "DQ-CITIZENSHIP-HISTORY-INCOMPLETE",
    )
