"""What a visit ships, hands over or transfers (visit.items): each item is judged by its own
classification and origin (DOMAIN sec. 7: parts and software are items in their own right)."""

from __future__ import annotations

import pytest

from compliance.engine import DocumentError, parse_document
from compliance.engine.document import document_to_dict
from compliance.engine.items import shipped_items

from .builders import codes, decide, document, findings, licence, raw_document, tool

PLANAR = {"logic_node_nm": 28, "non_planar": False}
# A Korean-made etch tool with no US content and no US technology: not subject to the EAR.
KOREAN_ETCHER = {
    **{k: v for k, v in tool("Etch KR", us=["3B001.c"]).items() if k != "subject_to_ear"},
    "origin": "KR",
    "us_content_percent": 0,
    "made_with_us_technology": False,
}
US_PART = {
    "kind": "part",
    "description": "RF generator",
    "classifications": {"US": ["3B001.h"]},
    "origin": "US",
}


def test_a_us_made_3b001_part_for_a_tool_not_subject_to_the_ear_needs_a_bis_licence() -> None:
    doc = document(tools=[KOREAN_ETCHER], items=[US_PART], activity="spare_parts", **PLANAR)
    decision = decide(doc)
    # The tool itself is not subject to the EAR: no tool rule of the EAR holds the visit ...
    assert "US-EAR-738-NS-3B-ITEMS-CN" not in codes(decision)
    # ... but the part it ships is, and it is NS-controlled.
    [finding] = findings(decision, "US-EAR-738-NS-3B-ITEM-CN")
    assert finding.effect == "licence_required" and finding.licence_authority == "BIS"
    assert finding.tool == "part: RF generator"
    assert "US-origin" in finding.facts["ear_basis"]
    assert decision.outcome == "licence_required"


def test_a_licence_covers_an_item_by_the_items_own_classification() -> None:
    doc = document(
        tools=[KOREAN_ETCHER], items=[US_PART], activity="spare_parts", vendor_name="Ex", **PLANAR
    )

    def covered(*prefixes: str) -> str | None:
        spec = licence(holder="Ex", classifications=prefixes, number="D-" + "-".join(prefixes))
        [finding] = findings(decide(doc, licences=[spec]), "US-EAR-738-NS-3B-ITEM-CN")
        return finding.covered_by_licence

    assert covered("3B001.h") == "D-3B001.h"
    assert covered("3B991") is None  # the tool's code would not do: the part is 3B001.h


def test_listing_the_items_replaces_the_generic_review_of_parts() -> None:
    etcher = tool("Etch 3B001", us=["3B001.c"], subject_to_ear=True)
    generic = decide(document(tools=[etcher], activity="spare_parts", **PLANAR))
    assert "US-EAR-738-NS-3B-ITEMS-CN" in codes(generic)
    unlisted_part = {**US_PART, "classifications": {"US": ["3B991"]}}
    listed = decide(
        document(tools=[etcher], items=[unlisted_part], activity="spare_parts", **PLANAR)
    )
    assert "US-EAR-738-NS-3B-ITEMS-CN" not in codes(listed)
    assert "US-EAR-738-NS-3B-ITEM-CN" not in codes(listed)  # 3B991 is not NS-controlled


def test_without_a_list_the_tool_rules_judge_the_tools_and_no_item_rule_runs() -> None:
    etcher = tool("Etch 3B001", us=["3B001.c"], subject_to_ear=True)
    assert shipped_items(document(tools=[etcher], activity="installation")) == ()
    installed = decide(document(tools=[etcher], activity="installation", **PLANAR))
    assert "US-EAR-738-NS-3B-TOOL-CN" in codes(installed)
    assert "US-EAR-738-NS-3B-ITEM-CN" not in codes(installed)


def test_an_empty_or_tool_only_list_does_not_hide_what_the_service_ships() -> None:
    # Found in review: items: [] or an item of kind "tool" used to clear a spare-parts visit.
    etcher = tool("Etch 3B001", us=["3B001.c"], subject_to_ear=True)
    empty = decide(document(tools=[etcher], items=[], activity="spare_parts", **PLANAR))
    assert "US-EAR-738-NS-3B-ITEMS-CN" in codes(empty)
    shipped_tool = {
        "kind": "tool",
        "description": "Etch 3B001",
        "classifications": {"US": ["3B001.c"]},
        "origin": "US",
    }
    as_tool = decide(
        document(tools=[etcher], items=[shipped_tool], activity="installation", **PLANAR)
    )
    assert findings(as_tool, "US-EAR-738-NS-3B-ITEM-CN")[0].effect == "licence_required"
    bare_tool = decide(
        document(items=[{"kind": "tool", "description": "Etch"}], activity="installation", **PLANAR)
    )
    assert "DQ-ITEM-NOT-CLASSIFIED" in codes(bare_tool)


def test_a_recorded_not_subject_item_the_inputs_contradict_is_reviewed() -> None:
    recorded = {**US_PART, "subject_to_ear": False, "ear_justification": "Our reading."}
    decision = decide(document(items=[recorded], activity="spare_parts", **PLANAR))
    [finding] = findings(decision, "US-EAR-734-ITEM-RECORDED-UNSUPPORTED")
    assert "recorded as not subject to the EAR (Our reading.)" in finding.message
    assert "US-origin" in finding.message
    assert decision.outcome != "clear"


def test_an_item_of_undetermined_ear_status_or_without_classification_is_reviewed() -> None:
    korean_part = {**US_PART, "origin": "KR"}
    decision = decide(document(items=[korean_part], activity="spare_parts"))
    [finding] = findings(decision, "US-EAR-734-ITEM-SUBJECT-UNDETERMINED")
    assert "US-controlled content not given" in finding.message
    bare = decide(
        document(items=[{"kind": "part", "description": "Seal kit"}], activity="spare_parts")
    )
    assert findings(bare, "DQ-ITEM-NOT-CLASSIFIED")[0].effect == "review"


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"kind": "gadget", "description": "X"}, "kind", "must be one of"),
        ({"kind": "part"}, "description", "is required"),
        ({"kind": "part", "description": "X", "origin": "XX"}, "origin", "unknown country"),
        (
            {"kind": "part", "description": "X", "us_content_percent": 120},
            "us_content_percent",
            "at most 100",
        ),
        ({"kind": "part", "description": "X", "colour": "red"}, "colour", "unknown field"),
    ],
)
def test_a_bad_item_is_refused_naming_the_field(item: dict, field: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(raw_document(items=[item]))
    errors = caught.value.errors
    assert any(message in m for m in errors[f"visit.items[0].{field}"]), errors


def test_items_round_trip_and_documents_without_them_keep_their_form() -> None:
    doc = document(items=[US_PART, {"kind": "software", "description": "Update 4.2"}])
    assert parse_document(document_to_dict(doc)) == doc
    assert "items" not in document_to_dict(document())["visit"]
