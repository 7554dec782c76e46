"""Compact re-confirmations: a re-check that gives the current decision again is stored as "same
as decision #N under versions X", a rule-set change re-checks only the visits a changed rule can
reach, and every re-confirmation replays to the decision it re-confirms."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone

from compliance import engine
from compliance.audit import audit_chain_verify
from compliance.checks.compact import reconfirmation_replay
from compliance.checks.requests import visit_request_recheck
from compliance.models import AuditEvent, Decision, Reconfirmation, RuleSet
from compliance.reports.content import report_content_build
from compliance.reports.render import ReportMeta
from compliance.reports.tables import csv_tables
from compliance.reports.weeks import week_containing
from compliance.services import ruleset_load
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


def _file(committed, manager, vendor, *, facility, engineers, tools=(), activity="maintenance"):
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[e.pk for e in engineers],
            tools=[t.pk for t in tools],
            activity=activity,
            start_date=start,
            end_date=start + dt.timedelta(days=2),
        )
    visit.refresh_from_db()
    return visit


@pytest.fixture
def world(rules, sample_list, committed):
    """A visit held by the US advanced-fab rules in Shanghai, one cleared in Dresden."""
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("lam", role="service_manager", vendor=vendor)
    shanghai = FacilityFactory(logic_node_nm=7, non_planar=True)
    etcher = ToolFactory(
        facility=shanghai, oem=vendor, classifications={"US": ["3B001.c"]}, subject_to_ear=True
    )
    held = _file(
        committed,
        manager,
        vendor,
        facility=shanghai,
        engineers=[EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US")],
        tools=[etcher],
    )
    dresden = FacilityFactory(country="DE", city="Dresden", logic_node_nm=28, non_planar=False)
    cleared = _file(
        committed,
        manager,
        vendor,
        facility=dresden,
        engineers=[EngineerFactory(vendor=vendor, citizenships=["DE"], home_country="DE")],
    )
    assert held.status == VisitStatus.ON_HOLD and cleared.status == VisitStatus.CLEARED
    return {"manager": manager, "held": held, "cleared": cleared}


def _edited(ruleset: RuleSet, edit) -> dict[str, str]:
    """The packs of ``ruleset`` with ``edit(rule)`` applied to every rule (a dict, in place)."""
    texts = dict(ruleset.packs)
    for name, text in texts.items():
        if name.startswith("reference/") or name == "policy.yaml":
            continue
        rules = yaml.safe_load(text)
        if isinstance(rules, list):
            for rule in rules:
                edit(rule)
            texts[name] = yaml.safe_dump(rules, sort_keys=False, allow_unicode=True)
    return texts


def _amended(code: str, ruleset: RuleSet) -> dict[str, str]:
    """The packs with the title of rule ``code`` amended (its findings change)."""
    seen = []

    def edit(rule):
        if rule.get("code") == code:
            rule["title"] += " (amended)"
            seen.append(code)

    texts = _edited(ruleset, edit)
    assert seen, f"rule {code} is not in the packs"
    return texts


def test_a_recheck_with_the_same_answer_is_a_reconfirmation_that_replays(world, committed):
    visit = world["held"]
    before = visit.current_decision
    with committed():
        visit_request_recheck(visit=visit, user=world["manager"])
    visit.refresh_from_db()
    assert visit.current_decision_id == before.pk and visit.check_requested_at is None
    assert visit.decisions.count() == 1
    row = visit.reconfirmations.get()
    assert (row.decision_id, row.basis, row.trigger) == (before.pk, "evaluated", "manual")
    assert row.rules_version == before.rules_version and row.ruleset_id == before.ruleset_id
    assert row.same_as.startswith(f"Same as decision #{before.pk} under rules ")
    # Chained into the audit log as the visit's event, and the chain still verifies.
    event = AuditEvent.objects.get(event_type="decision_reconfirmed", object_id=str(visit.pk))
    assert event.new["reconfirmation"] == row.pk and event.new["decision"] == before.pk
    assert audit_chain_verify().ok
    replay = reconfirmation_replay(row)
    assert replay.identical, replay.differences
    assert replay.replayed["outcome"] == before.outcome


def test_a_reconfirmation_replay_tells_when_its_rules_would_answer_otherwise(world, rules):
    """The replay can fail: under a rule set where the 744.6 rules do not fire, the held visit's
    decision is not reproduced."""
    visit = world["held"]
    decision = visit.current_decision
    fired = {f.rule_code for f in decision.findings.all()}

    def silence(rule):
        if rule.get("code") in fired:
            rule["when"] = "false"

    texts = _edited(rules, silence)
    packs = engine.load_rule_packs(texts)
    compiled = engine.compile_ruleset(packs)
    other = RuleSet.objects.create(
        version=compiled.version, packs=texts, enabled_policies=[], is_active=False
    )
    forged = Reconfirmation(
        visit=visit,
        decision=decision,
        trigger="manual",
        request_key="forged",
        basis="evaluated",
        input_digest="0" * 64,
        ruleset=other,
        rules_version=other.version,
        lists_version=decision.lists_version,
        confirmed_at=timezone.now(),
    )
    replay = reconfirmation_replay(forged)
    assert not replay.identical
    assert any(d.startswith("outcome:") or d.startswith("findings:") for d in replay.differences)


def test_a_one_rule_change_rechecks_only_the_visits_it_can_reach(world, committed, rules):
    held, cleared = world["held"], world["cleared"]
    held_decision, cleared_decision = held.current_decision_id, cleared.current_decision_id
    # A Korean rule (national core technology, KR-classified tools) reaches neither visit.
    with committed():
        new, changed = ruleset_load(texts=_amended("KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY", rules))
    assert changed
    for visit, decision in ((held, held_decision), (cleared, cleared_decision)):
        visit.refresh_from_db()
        assert visit.current_decision_id == decision and visit.check_requested_at is None
        row = visit.reconfirmations.get()
        assert (row.basis, row.trigger, row.ruleset_id) == ("out_of_reach", "rule_change", new.pk)
        replay = reconfirmation_replay(row)
        assert replay.identical, replay.differences
    activation = AuditEvent.objects.filter(event_type="ruleset_activated").latest("pk")
    assert activation.new["changed_rules"] == ["KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY"]
    assert (activation.new["rechecked"], activation.new["reconfirmed"]) == (0, 2)
    batch = AuditEvent.objects.filter(event_type="decision_reconfirmed").latest("pk")
    assert batch.new["count"] == 2 and batch.object_id == str(new.pk)
    assert audit_chain_verify().ok

    # A US advanced-fab rule that fires on the Shanghai visit: checked under the new rules, its
    # findings' title changed, it gets a full decision. Whether a fab is advanced is a fact the
    # rule reads, not a country it names, so the Dresden visit may be reached too: it is checked
    # and, its answer the same, re-confirmed as evaluated.
    code = next(
        f.rule_code
        for f in Decision.objects.get(pk=held_decision).findings.all()
        if f.rule_code.startswith("US-EAR-744.6")
    )
    with committed():
        newer, _ = ruleset_load(texts=_amended(code, new))
    held.refresh_from_db()
    cleared.refresh_from_db()
    assert held.current_decision_id != held_decision
    assert held.current_decision.ruleset_id == newer.pk
    assert held.current_decision.trigger == "rule_change"
    titles = [f["title"] for f in held.current_decision.result["findings"]]
    assert any(t.endswith("(amended)") for t in titles)
    assert held.status == VisitStatus.ON_HOLD
    assert cleared.current_decision_id == cleared_decision
    assert list(cleared.reconfirmations.order_by("pk").values_list("basis", "ruleset_id")) == [
        ("out_of_reach", new.pk),
        ("evaluated", newer.pk),
    ]


def test_a_visit_with_a_check_under_way_is_checked_not_reconfirmed(world, committed, rules):
    cleared = world["cleared"]
    Visit.objects.filter(pk=cleared.pk).update(
        check_requested_at=timezone.now(), check_trigger="edit"
    )
    with committed():
        ruleset_load(texts=_amended("KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY", rules))
    cleared.refresh_from_db()
    assert not cleared.reconfirmations.filter(basis="out_of_reach").exists()
    assert cleared.check_requested_at is None  # the check ran (and gave the same answer)


def test_the_history_api_lists_reconfirmations(world, committed, client):
    visit = world["held"]
    with committed():
        visit_request_recheck(visit=visit, user=world["manager"])
    client.force_login(world["manager"])
    body = client.get(f"/api/v1/visits/{visit.pk}/history/").json()
    assert len(body["decisions"]) == 1
    (row,) = body["reconfirmations"]
    assert row["decision"] == visit.current_decision_id and row["basis"] == "evaluated"
    assert row["same_as"].startswith(f"Same as decision #{visit.current_decision_id}")
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="reconfirmed"' in page and f"Same as decision #{visit.current_decision_id}" in page


def test_the_weekly_report_counts_reconfirmations(world, committed, rules):
    with committed():
        visit_request_recheck(visit=world["held"], user=world["manager"])
        visit_request_recheck(visit=world["cleared"], user=world["manager"])
    with committed():
        ruleset_load(texts=_amended("KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY", rules))
    week = week_containing(timezone.now(), "Europe/Amsterdam")
    content = report_content_build(week=week, replay_sample_size=10)
    section = content["reconfirmations"]
    assert section["total"] == 4
    assert section["by_basis"] == {"evaluated": 2, "out_of_reach": 2}
    assert section["by_trigger"]["manual"] == 2 and section["by_trigger"]["rule_change"] == 2
    assert section["by_outcome"]["clear"] == 2
    assert sum(v["reconfirmations"] for v in section["by_versions"]) == 4
    assert section["replay"]["sampled"] == 4 and section["replay"]["reproduced"] == 4
    # Full decisions are counted apart: the two filings only.
    assert content["decisions"]["total"] == 2
    tables = {name: rows for name, _, rows in csv_tables(content, ReportMeta("x", timezone.now()))}
    assert ["TOTAL", "", 4] in tables["reconfirmations.csv"]
    assert len(tables["reconfirmations_replay_sample.csv"]) == 4


def test_replay_decision_replays_reconfirmations_too(world, committed):
    with committed():
        visit_request_recheck(visit=world["held"], user=world["manager"])
    row = world["held"].reconfirmations.get()
    out = io.StringIO()
    call_command("replay_decision", "--reconfirmation", str(row.pk), stdout=out)
    assert f"Re-confirmation #{row.pk} (of decision #{row.decision_id}): identical" in (
        out.getvalue()
    )
    out = io.StringIO()
    call_command("replay_decision", "--all", stdout=out)
    assert "3 replayed, 3 identical, 0 different." in out.getvalue()  # two decisions, one row
    with pytest.raises(CommandError, match="No such re-confirmation: 999"):
        call_command("replay_decision", "--reconfirmation", "999")
