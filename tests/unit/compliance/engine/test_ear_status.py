"""Whether a tool is subject to the EAR is derived from its origin, US content and US technology
(DOMAIN sec. 7), and a recorded "not subject" the inputs do not support is reviewed."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.engine import DocumentError, parse_document
from compliance.engine.document import document_to_dict
from compliance.engine.ear import EarStatus, derive_ear

from .builders import codes, decide, document, findings, hit, raw_document, tool

UNITED_STATES = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM"})
PLANAR = {"logic_node_nm": 28, "non_planar": False}


def etcher(**inputs: Any) -> dict[str, Any]:
    """A 3B001 etch tool with the given determination inputs and nothing recorded."""
    raw = {k: v for k, v in tool("Etch 3B001", us=["3B001.c"]).items() if k != "subject_to_ear"}
    return {**raw, **inputs}


def derived(**inputs: Any) -> tuple[str, str]:
    [info] = document(tools=[etcher(**inputs)]).tools
    return derive_ear(info, united_states=UNITED_STATES)


@pytest.mark.parametrize(
    ("inputs", "status", "words"),
    [
        ({"origin": "US"}, EarStatus.SUBJECT, "US-origin"),
        ({"origin": "PR"}, EarStatus.SUBJECT, "made in PR"),
        ({"origin": "KR", "us_content_percent": 30}, EarStatus.SUBJECT, "above the 25 %"),
        ({"origin": "KR", "us_content_percent": 25.5}, EarStatus.SUBJECT, "25.5 %"),
        ({"origin": "KR", "us_content_percent": 25}, EarStatus.UNDETERMINED, "lower de minimis"),
        ({"origin": "KR", "us_content_percent": 5}, EarStatus.UNDETERMINED, "lower de minimis"),
        ({"origin": "KR"}, EarStatus.UNDETERMINED, "content not given"),
        ({"origin": "KR", "us_content_percent": 0}, EarStatus.UNDETERMINED, "US technology"),
        (
            {"origin": "KR", "us_content_percent": 0, "made_with_us_technology": True},
            EarStatus.UNDETERMINED,
            "foreign direct product",
        ),
        (
            {"origin": "KR", "us_content_percent": 0, "made_with_us_technology": False},
            EarStatus.NOT_SUBJECT,
            "not made with US technology",
        ),
        ({"us_content_percent": 30}, EarStatus.NOT_DERIVED, "origin not given"),
    ],
)
def test_the_status_is_derived_from_the_inputs(inputs: dict, status: str, words: str) -> None:
    got, reasoning = derived(**inputs)
    assert got == status
    assert words in reasoning


def test_a_korean_made_tool_typed_not_subject_at_a_7nm_china_fab_is_reviewed() -> None:
    # The case of the legal-depth review: the typed "no" used to clear the visit.
    typed = {**etcher(origin="KR"), "subject_to_ear": False}
    decision = decide(document(tools=[typed]))
    [finding] = findings(decision, "US-EAR-734-RECORDED-UNSUPPORTED")
    assert finding.effect == "review"
    assert finding.citation.startswith("15 CFR 734.3")
    assert "made in KR, US-controlled content not given" in finding.message
    assert finding.facts["ear_basis"].startswith("recorded as not subject to the EAR")
    assert decision.outcome != "clear"
    # With inputs that support it, the recorded determination clears as before.
    supported = {**typed, "us_content_percent": 0, "made_with_us_technology": False}
    assert "US-EAR-734-RECORDED-UNSUPPORTED" not in codes(decide(document(tools=[supported])))


def test_a_derived_subject_tool_gets_the_item_rules_with_its_reasoning() -> None:
    # Made in Korea with 30 % US-controlled content: subject to the EAR by de minimis, so the
    # Commerce Country Chart needs a BIS licence to install it in China, at a 28 nm fab too.
    korean = etcher(origin="KR", us_content_percent=30, made_with_us_technology=False)
    decision = decide(document(tools=[korean], activity="installation", **PLANAR))
    [finding] = findings(decision, "US-EAR-738-NS-3B-TOOL-CN")
    assert finding.effect == "licence_required"
    assert "above the 25 % de minimis level" in finding.facts["ear_basis"]
    # At a 7 nm fab 744.23 applies as well.
    advanced = decide(document(tools=[korean]))
    assert "US-EAR-744.23-ADVANCED-FAB-ITEMS" in codes(advanced)


def test_an_undetermined_tool_is_reviewed_where_the_item_rules_bite_and_nowhere_else() -> None:
    korean = etcher(origin="KR", us_content_percent=10)
    decision = decide(document(tools=[korean], activity="installation", **PLANAR))
    [finding] = findings(decision, "US-EAR-734-SUBJECT-UNDETERMINED")
    assert finding.effect == "review"
    assert "lower de minimis levels" in finding.message
    # Not subject, so the item rules stay quiet: the review is what keeps the visit from clearing.
    assert "US-EAR-738-NS-3B-TOOL-CN" not in codes(decision)
    assert decision.outcome == "review"
    # In Taiwan no item rule reads the status: nothing to review.
    taiwan = decide(document(tools=[korean], activity="installation", country="TW", **PLANAR))
    assert "US-EAR-734-SUBJECT-UNDETERMINED" not in codes(taiwan)
    # A fab whose owner may be on the Entity List is reached by the footnote FDP rules anywhere.
    listed = decide(
        document(tools=[korean], activity="installation", country="TW", **PLANAR),
        screening=[hit("facility.owner", "EL")],
    )
    assert "US-EAR-734-SUBJECT-UNDETERMINED" in codes(listed)


def test_documents_without_inputs_mean_what_they_meant_before() -> None:
    # No inputs and no determination: absent is false, as before the inputs existed.
    raw = etcher()
    [info] = document(tools=[raw]).tools
    assert info.subject_to_ear is False
    assert "US-EAR-734-SUBJECT-UNDETERMINED" not in codes(decide(document(tools=[raw])))
    # Their canonical form is unchanged, so stored documents keep their digests.
    as_dict = document_to_dict(document(tools=[tool("Etch 3B001", us=["3B001.c"])]))
    assert set(as_dict["tools"][0]) == {
        "id",
        "model",
        "serial",
        "classifications",
        "subject_to_ear",
    }


def test_the_inputs_round_trip_and_a_null_input_still_asks_for_derivation() -> None:
    for raw in (etcher(origin=None), etcher(origin="JP", us_content_percent=12.5)):
        doc = document(tools=[raw])
        [info] = doc.tools
        assert info.subject_to_ear is None
        assert parse_document(document_to_dict(doc)) == doc


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("origin", "XX", "unknown country code"),
        ("origin", "kr", "upper case"),
        ("us_content_percent", 101, "at most 100"),
        ("us_content_percent", -1, "must not be negative"),
        ("us_content_percent", "30", "must be a number"),
        ("made_with_us_technology", "yes", "true, false or null"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(field: str, value: object, message: str) -> None:
    raw = raw_document(tools=[etcher(**{field: value})])
    with pytest.raises(DocumentError) as caught:
        parse_document(raw)
    assert any(message in m for m in caught.value.errors[f"tools[0].{field}"])
