"""What the engine does with the lists' meaning and state: a hit whose effect the caller states
(sources.yaml) becomes a finding with that effect and citation; a source missing or stale for the
visit holds it with a finding naming the source; all of it replays from the stored decision."""

from __future__ import annotations

import dataclasses

from compliance.engine import (
    SYSTEM_LIST_MISSING,
    SYSTEM_SCREENING_HIT,
    SYSTEM_STALE_LIST,
    ListProblem,
    decision_from_dict,
    evaluate,
)

from .builders import LISTS_VERSION, codes, document, findings, hit, licence, ruleset


def _listed(effect: str, **extra: str):
    return dataclasses.replace(
        hit(list_code="UN", entry_id="UN:KPe.017"),
        list_effect=effect,
        list_rule="LIST-UN-HIT",
        list_title="Listed by the UN Security Council",
        list_jurisdiction=extra.get("jurisdiction", "SCREENING"),
        list_citation="UN Charter Art. 25 and 41; regime: Resolution 1718 (2006)",
        list_authority=extra.get("authority", ""),
        list_confidence="medium",
        list_source_url="https://main.un.org/securitycouncil/",
    )


def test_a_hit_with_a_stated_meaning_becomes_a_finding_with_its_effect_and_citation():
    decision = evaluate(
        document(), ruleset(), screening=[_listed("prohibited")], lists_version=LISTS_VERSION
    )
    (finding,) = findings(decision, "LIST-UN-HIT")
    assert finding.effect == "prohibited" and decision.outcome == "prohibited"
    assert finding.citation.startswith("UN Charter Art. 25")
    assert finding.confidence == "medium" and finding.title == "Listed by the UN Security Council"
    assert "Resolution 1718 (2006)" in finding.message
    # It replaces the generic hit finding rather than adding to it.
    assert SYSTEM_SCREENING_HIT not in codes(decision)
    assert decision.to_dict()["screening"][0]["basis"]["effect"] == "prohibited"


def test_a_false_positive_mark_dismisses_a_listed_hit():
    marked = dataclasses.replace(_listed("prohibited"), false_positive=True)
    decision = evaluate(document(), ruleset(), screening=[marked], lists_version=LISTS_VERSION)
    assert "LIST-UN-HIT" not in codes(decision)


def test_a_licence_required_hit_is_covered_by_a_licence_of_its_authority():
    doc = document()
    meti = _listed("licence_required", authority="METI", jurisdiction="JP")
    held = evaluate(doc, ruleset(), screening=[meti], lists_version=LISTS_VERSION)
    assert held.outcome == "licence_required"
    on_file = licence(
        authority="METI",
        holder=doc.vendor.name,
        facilities=(doc.facility.name,),
        valid_from=doc.visit.start_date,
        valid_until=doc.visit.end_date,
    )
    covered = evaluate(
        doc, ruleset(), screening=[meti], licences=[on_file], lists_version=LISTS_VERSION
    )
    (finding,) = findings(covered, "LIST-UN-HIT")
    assert finding.covered_by_licence is not None


def test_a_missing_and_a_stale_source_each_hold_the_visit_naming_it():
    problems = [
        ListProblem("eu-fsf", "EU consolidated financial sanctions list", "missing"),
        ListProblem(
            "un-sc", "UN Security Council Consolidated List", "stale", "3:abc", 7.0, "https://x"
        ),
    ]
    decision = evaluate(
        document(),
        ruleset(),
        lists_version=LISTS_VERSION,
        list_is_stale=True,
        list_problems=problems,
    )
    (missing,) = findings(decision, SYSTEM_LIST_MISSING)
    (stale,) = findings(decision, SYSTEM_STALE_LIST)
    assert missing.facts["source"] == "eu-fsf" and "no snapshot" in missing.message
    assert stale.facts["source"] == "un-sc" and "within 7 days" in stale.message
    assert decision.outcome == "review" and decision.status == "on_hold"
    # Stored and read back, the decision is the same.
    assert decision_from_dict(decision.to_dict()).to_dict() == decision.to_dict()


def test_without_problems_a_stale_flag_still_holds_with_the_generic_finding():
    decision = evaluate(document(), ruleset(), lists_version=LISTS_VERSION, list_is_stale=True)
    (stale,) = findings(decision, SYSTEM_STALE_LIST)
    assert stale.facts == {"lists_version": LISTS_VERSION}
