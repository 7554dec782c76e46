"""evaluate(): outcome and status, fail-closed system findings, determinism, the stored shape."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, date, datetime

import pytest

from compliance.engine import (
    SCREENING_NOTICE,
    SYSTEM_ERROR,
    SYSTEM_NO_SCREENING_LIST,
    SYSTEM_RULE_ERROR,
    SYSTEM_SCREENING_HIT,
    SYSTEM_SCREENING_PARTY,
    SYSTEM_STALE_LIST,
    compile_ruleset,
    decision_from_dict,
    evaluate,
    load_rule_packs,
    system_error_decision,
)

from .builders import (
    LISTS_VERSION,
    codes,
    decide,
    document,
    engineer,
    findings,
    hit,
    licence,
    pack_texts,
    ruleset,
    tool,
)

US = engineer("Sam Carter", citizenships=["US"])


def custom_rules(rule_yaml: str):  # type: ignore[no-untyped-def]
    texts = {n: t for n, t in pack_texts() if n.startswith("reference/")}
    texts["custom.yaml"] = textwrap.dedent(rule_yaml)
    return compile_ruleset(load_rule_packs(texts))


CUSTOM = """
- code: TEST-{name}
  jurisdiction: US
  title: Test rule {name}
  citation: test
  source_url: https://example.org/test
  confidence: high
  effective_from: {start}
  effective_to: null
  scope: {scope}
  effect: review
  when: '{when}'
  message: "Rule {name} fired."
"""


def custom(when: str, *, scope: str = "visit", start: str = "2020-01-01", name: str = "X") -> str:
    return CUSTOM.format(when=when, scope=scope, start=start, name=name)


def test_a_visit_no_rule_touches_is_cleared() -> None:
    decision = decide(document())
    assert (decision.status, decision.outcome, decision.findings) == ("cleared", "clear", ())


def test_outcome_is_the_most_severe_finding_and_status_follows_it() -> None:
    decision = decide(
        document(engineers=[US], country="CN"), screening=[hit("facility.owner", "DPL")]
    )
    assert decision.outcome == "prohibited" and decision.status == "blocked"
    assert decision.findings[0].effect == "prohibited"


def test_no_screening_list_holds_the_visit_for_review() -> None:
    decision = decide(document(), lists_version=None)
    assert codes(decision) == {SYSTEM_NO_SCREENING_LIST}
    assert decision.status == "on_hold"


def test_a_stale_list_holds_the_visit_for_review() -> None:
    decision = decide(document(), stale=True)
    (finding,) = findings(decision, SYSTEM_STALE_LIST)
    assert finding.facts == {"lists_version": LISTS_VERSION}
    assert decision.status == "on_hold"


def test_every_screening_hit_that_is_not_a_false_positive_holds_the_visit() -> None:
    for party in ("facility.owner", "engineers[0]"):
        decision = decide(document(), screening=[hit(party, "XYZ")])
        assert decision.status == "on_hold"
        (finding,) = findings(decision, SYSTEM_SCREENING_HIT)
        assert finding.facts["list"] == "XYZ"


def test_a_hit_for_a_party_not_in_the_document_holds_the_visit() -> None:
    for party in ("engineers[3]", "vendor", "engineers[01]"):
        decision = decide(document(), screening=[hit(party, "EL")])
        assert codes(decision) == {SYSTEM_SCREENING_PARTY}, party


def test_a_condition_that_raises_is_not_read_as_false_but_held_for_review() -> None:
    rules = custom_rules(custom("facility.logic_node_nm < 10"))
    decision = evaluate(
        document(products=["logic"], logic_node_nm=None, non_planar=True), rules, lists_version="x"
    )
    (finding,) = findings(decision, SYSTEM_RULE_ERROR)
    assert finding.facts["failed_rule"] == "TEST-X"
    assert "TEST-X" in finding.message
    assert decision.status == "on_hold"


def test_a_condition_that_returns_a_non_boolean_is_an_error() -> None:
    rules = custom_rules(custom("facility.country"))
    decision = evaluate(document(), rules, lists_version="x")
    (finding,) = findings(decision, SYSTEM_RULE_ERROR)
    assert "not a bool" in str(finding.facts["error"])


def test_a_rule_error_names_the_engineer_and_tool_it_was_evaluated_for() -> None:
    rules = custom_rules(custom("tool.serial.startsWith(engineer.name)", scope="engineer_tool"))
    decision = evaluate(document(tools=[tool(serial=None)]), rules, lists_version="x")
    (finding,) = findings(decision, SYSTEM_RULE_ERROR)
    assert (finding.engineer, finding.tool) == ("Anna Schmidt", "Etcher 9000")


def test_a_rule_starting_mid_visit_applies_to_the_visit() -> None:
    rules = custom_rules(custom("true", start="2026-12-09"))
    assert findings(
        evaluate(document(start="2026-12-07", end="2026-12-09"), rules, lists_version="x"), "TEST-X"
    )
    assert not findings(
        evaluate(document(start="2026-12-07", end="2026-12-08"), rules, lists_version="x"), "TEST-X"
    )


def test_rules_are_evaluated_once_per_subject_of_their_scope() -> None:
    yaml = "".join(
        custom("true", scope=scope, name=scope.upper().replace("_", "-"))
        for scope in ("visit", "engineer", "tool", "engineer_tool")
    )
    doc = document(
        engineers=[engineer("A"), engineer("B")], tools=[tool("T1"), tool("T2"), tool("T3")]
    )
    decision = evaluate(doc, custom_rules(yaml), lists_version="x")
    counts = {code: len(findings(decision, code)) for code in codes(decision)}
    assert counts == {"TEST-VISIT": 1, "TEST-ENGINEER": 2, "TEST-TOOL": 3, "TEST-ENGINEER-TOOL": 6}


def test_identical_tools_do_not_duplicate_findings() -> None:
    same = tool("TWINSCAN NXT:2000i", nl=["3B001.f.4"])
    decision = decide(document(vendor_country="NL", tools=[same, same]))
    assert len(findings(decision, "NL-NATIONAL-SERVICES")) == 1


def test_findings_are_sorted_by_effect_then_rule_engineer_and_tool() -> None:
    doc = document(
        engineers=[US, engineer("Li Wei", citizenships=["CN"])],
        tools=[tool("B tool", us=["3B001"], subject_to_ear=True), tool("A tool", us=["3B002"])],
    )
    decision = decide(doc, screening=[hit("facility.owner", "UVL")])
    keys = [f.sort_key() for f in decision.findings]
    assert keys == sorted(keys)
    assert decision.findings[0].effect == "licence_required"
    assert decision.findings[-1].effect == "review"


def test_the_same_input_gives_an_identical_decision() -> None:
    doc = document(
        engineers=[US, engineer("Li Wei", citizenships=["CN"])],
        tools=[tool(us=["3B001"]), tool("Other", nl=["3B001.f.4"])],
    )
    hits = [hit("facility.owner", "EL"), hit("engineers[1]", "UVL", entry_id="E-2")]
    first = decide(doc, screening=hits).to_dict()
    again = decide(doc, screening=list(reversed(hits))).to_dict()
    recompiled = evaluate(
        doc,
        compile_ruleset(load_rule_packs(dict(pack_texts()))),
        screening=hits,
        lists_version=LISTS_VERSION,
    ).to_dict()
    assert (
        json.dumps(first, sort_keys=True)
        == json.dumps(again, sort_keys=True)
        == json.dumps(recompiled, sort_keys=True)
    )


def test_to_dict_has_the_contract_shape() -> None:
    decided_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    decision = evaluate(
        document(engineers=[US]),
        ruleset(),
        screening=[hit()],
        lists_version="csl-1",
        decided_at=decided_at,
    )
    d = decision.to_dict()
    assert list(d) == [
        "status",
        "outcome",
        "findings",
        "screening",
        "rules_version",
        "lists_version",
        "as_of",
        "decided_at",
    ]
    assert d["as_of"] == "2026-12-07" and d["decided_at"] == "2026-12-01T09:30:00+00:00"
    assert d["rules_version"] == ruleset().version and d["lists_version"] == "csl-1"
    assert list(d["findings"][0]) == [
        "rule", "jurisdiction", "citation", "effect", "engineer", "tool", "message", "facts",
        "covered_by_licence", "title", "source_url", "confidence", "licence_authority",
    ]  # fmt: skip
    screening = d["screening"][0]
    assert {
        "party",
        "name",
        "list",
        "entry",
        "entry_id",
        "score",
        "explanation",
        "false_positive",
        "notice",
    } <= set(screening)
    assert screening["notice"] == SCREENING_NOTICE
    assert json.loads(json.dumps(d)) == d


def test_a_stored_decision_reads_back_equal() -> None:
    decision = evaluate(
        document(engineers=[US]),
        ruleset(),
        screening=[hit(), hit("engineers[0]", "UVL", false_positive=True)],
        licences=[licence(holder="Example Tools GmbH")],
        lists_version="csl-1",
        decided_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )
    assert decision_from_dict(json.loads(json.dumps(decision.to_dict()))) == decision


def test_a_system_error_decision_is_on_hold_with_the_error() -> None:
    decision = system_error_decision(
        None,
        "list import failed:\n timeout",
        rules_version=None,
        lists_version=None,
        as_of=date(2026, 12, 7),
        decided_at=None,
    )
    assert decision.status == "on_hold" and decision.outcome == "review"
    (finding,) = decision.findings
    assert finding.rule == SYSTEM_ERROR
    assert finding.facts == {"error": "list import failed: timeout"}
    assert decision_from_dict(decision.to_dict()) == decision


def test_as_of_is_the_first_day_of_the_visit() -> None:
    assert decide(document(start="2026-12-07", end="2026-12-20")).as_of == date(2026, 12, 7)


def test_messages_render_lists_nulls_booleans_and_citizenships_readably() -> None:
    yaml = """
- code: TEST-RENDER
  jurisdiction: US
  title: Render test
  citation: test
  source_url: https://example.org/test
  confidence: high
  effective_from: 2020-01-01
  effective_to: null
  scope: engineer_tool
  effect: review
  when: "true"
  message: >
    {engineer.citizenships} | {engineer.screening_hits} | {engineer.most_recent_citizenship} |
    {engineer.us_person} | {tool.classifications} | {facility.logic_node_nm} | {activity}
  facts: [engineer.citizenships, tool.classifications, engineer.us_person, facility.dram_half_pitch_nm]
"""
    person = engineer("A", citizenships=["NL", {"country": "CN", "since": "2001-01-01"}])
    doc = document(engineers=[person], tools=[tool(us=["3B001.f"], nl=[])], logic_node_nm=7.5)
    (finding,) = evaluate(doc, custom_rules(yaml), lists_version="x").findings
    # Two citizenships, one undated: the most recent one is unknown.
    assert (
        finding.message
        == "NL, CN since 2001-01-01 | none | unknown | no | US 3B001.f | 7.5 | maintenance"
    )
    assert finding.facts == {
        "citizenships": ["NL", "CN since 2001-01-01"],
        "classifications": ["US:3B001.f"],
        "us_person": False,
        "dram_half_pitch_nm": None,
    }


def test_decision_from_dict_refuses_a_malformed_decision() -> None:
    stored = decide(document()).to_dict()
    del stored["findings"]
    with pytest.raises(ValueError, match="not a stored decision"):
        decision_from_dict(stored)
    stored = decide(document(engineers=[US])).to_dict()
    stored["findings"][0]["effect"] = "maybe"
    with pytest.raises(ValueError, match="unknown effect"):
        decision_from_dict(stored)
