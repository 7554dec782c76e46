"""Demo data loads idempotently, and the allied-nationals policy preview lists exactly the open demo
visits it would hold, changing nothing until activated."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from compliance.models import Decision, RuleSet
from compliance.services import ruleset_activate, ruleset_impact, ruleset_with_policies
from dispatch.models import OPEN_STATUSES, Visit, VisitStatus

pytestmark = pytest.mark.django_db

ALLIED = {"JP", "NL", "KR", "DE"}
POLICY = "POLICY-ALLIED-NATIONALS-ADVANCED-CHINA"


def _is_advanced(f) -> bool:
    return bool(
        ("logic" in f.products and (f.non_planar or (f.logic_node_nm or 999) <= 16))
        or ("nand" in f.products and (f.nand_layers or 0) >= 128)
        or (
            "dram" in f.products and f.dram_half_pitch_nm is not None and f.dram_half_pitch_nm <= 18
        )
    )


@pytest.fixture
def demo(rules, sample_list, committed):
    with committed():  # the demo's visits are checked when its transaction commits
        call_command("load_demo", verbosity=0)


def test_load_demo_is_idempotent(demo):
    counts = (Visit.objects.count(), Decision.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Visit.objects.count(), Decision.objects.count()) == counts
    assert Visit.objects.count() >= 13


def test_the_allied_policy_preview_lists_exactly_the_visits_it_would_hold(demo, committed):
    expected = {
        v.pk
        for v in Visit.objects.filter(status__in=OPEN_STATUSES)
        .select_related("facility", "current_decision")
        .prefetch_related("engineers__citizenships")
        if v.facility.country == "CN"
        and _is_advanced(v.facility)
        and v.current_decision.outcome == "clear"
        and any(c.country in ALLIED for e in v.engineers.all() for c in e.citizenships.all())
    }
    assert expected, "the demo data has cleared allied-national visits at advanced Chinese fabs"
    before_active = RuleSet.objects.get(is_active=True).version
    before = {v.pk: (v.status, v.current_decision_id) for v in Visit.objects.all()}
    decisions = Decision.objects.count()

    candidate = ruleset_with_policies(enabled_policies=[POLICY])
    changes = ruleset_impact(candidate=candidate)
    assert {c["visit"] for c in changes} == expected
    assert all(c["new_outcome"] == "review" and POLICY in c["added_rules"] for c in changes)
    # Nothing changed by the preview.
    assert RuleSet.objects.get(is_active=True).version == before_active
    assert {v.pk: (v.status, v.current_decision_id) for v in Visit.objects.all()} == before
    assert Decision.objects.count() == decisions

    with committed():
        ruleset_activate(ruleset=candidate)
    for pk in expected:
        visit = Visit.objects.get(pk=pk)
        assert visit.status == VisitStatus.ON_HOLD
        assert POLICY in {f.rule_code for f in visit.current_decision.findings.all()}


def test_the_demo_visit_to_a_fab_of_a_un_listed_owner_is_held_citing_the_un_list(demo):
    visit = Visit.objects.select_related("current_decision").get(
        facility__name="Leader HK Test Line"
    )
    assert visit.status == VisitStatus.ON_HOLD
    (finding,) = [
        f for f in visit.current_decision.result["findings"] if f["rule"] == "LIST-UN-HIT"
    ]
    assert finding["facts"]["entry_id"] == "UN:KPe.017"
    assert "Resolution 1718 (2006)" in finding["citation"]
    assert "Regulation (EU) 2017/1509" in finding["citation"]  # ASML: a Dutch vendor
