"""The check path end to end on the database: document, screening, engine, decision, status."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.checks.evaluate import decision_replay
from compliance.checks.requests import visits_request_check
from compliance.models import AuditEvent, Decision, Reconfirmation, RuleSet
from compliance.selectors import visit_documents_build
from compliance.services import ruleset_load
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


def _visit(
    committed, *, vendor, facility, engineers, tools, manager, start=None, activity="maintenance"
):
    """File a visit and let the check it asks for run, as the commit of the filing would."""
    start = start or dt.date.today() + dt.timedelta(days=10)
    with committed():
        return services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[e.pk for e in engineers],
            tools=[t.pk for t in tools],
            activity=activity,
            start_date=start,
            end_date=start + dt.timedelta(days=2),
        )


@pytest.fixture
def lam(rules, sample_list):
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    return vendor, make_user("lam", role="service_manager", vendor=vendor)


def test_a_us_citizen_at_an_advanced_shanghai_fab_is_held_citing_744_6(lam, committed):
    vendor, manager = lam
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    tool = ToolFactory(
        facility=fab, oem=vendor, classifications={"US": ["3B001.c"]}, subject_to_ear=True
    )
    engineer = EngineerFactory(
        vendor=vendor, name="David Miller", citizenships=["US"], home_country="US"
    )
    visit = _visit(
        committed, vendor=vendor, facility=fab, engineers=[engineer], tools=[tool], manager=manager
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    findings = visit.current_decision.findings.all()
    assert any("744.6(c)(2)" in f.citation and f.engineer == "David Miller" for f in findings)
    assert (
        AuditEvent.objects.filter(event_type="decision_recorded", object_id=str(visit.pk)).count()
        == 1
    )


def test_the_same_engineer_at_a_28nm_planar_fab_with_an_unlisted_owner_is_cleared(lam, committed):
    vendor, manager = lam
    fab = FacilityFactory(logic_node_nm=28, non_planar=False)
    engineer = EngineerFactory(
        vendor=vendor, name="David Miller", citizenships=["US"], home_country="US"
    )
    visit = _visit(
        committed, vendor=vendor, facility=fab, engineers=[engineer], tools=[], manager=manager
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED, visit.current_decision.result
    assert visit.current_decision.outcome == "clear"


def test_building_the_document_takes_the_same_queries_for_one_or_many_engineers_and_tools(
    lam, committed
):
    vendor, manager = lam
    fab = FacilityFactory()
    small = _visit(
        committed,
        vendor=vendor,
        facility=fab,
        engineers=[EngineerFactory(vendor=vendor)],
        tools=[ToolFactory(facility=fab, oem=vendor)],
        manager=manager,
    )
    big = _visit(
        committed,
        vendor=vendor,
        facility=fab,
        engineers=[EngineerFactory(vendor=vendor, citizenships=["NL", "DE"]) for _ in range(6)],
        tools=[ToolFactory(facility=fab, oem=vendor) for _ in range(5)],
        manager=manager,
    )
    counts = []
    for visit in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            documents = visit_documents_build([visit.pk])
        counts.append(len(ctx.captured_queries))
        assert documents[visit.pk]["visit"]["id"] == visit.pk
    assert counts[0] == counts[1] == 5
    with CaptureQueriesContext(connection) as ctx:
        visit_documents_build([small.pk, big.pk])
    assert len(ctx.captured_queries) == 5


def test_the_check_path_builds_the_same_document_as_the_instance_builder(lam, committed):
    """check_inputs (plain values, the hot path) and visit_document (instances) share _document;
    this pins the adapters: same keys, order, dates, decimals, locations and sorting."""
    from decimal import Decimal

    from compliance.selectors import check_inputs, visit_document
    from dispatch.models import Customer

    vendor, manager = lam
    fab = FacilityFactory(
        products=["dram", "logic"],
        logic_node_nm=None,
        dram_half_pitch_nm=Decimal("17.50"),
        dram_cell_area_um2=Decimal("0.002000"),
        address="1 Fab Road",
    )
    Customer.objects.filter(pk=fab.customer_id).update(aliases=["Alias One", "Alias Two"])
    engineers = [
        EngineerFactory(
            vendor=vendor,
            name="Zed",
            home_country="US",
            citizenships=[("US", dt.date(2001, 5, 1)), "CN"],
            residencies=[("JP", dt.date(2010, 1, 1), dt.date(2030, 1, 1))],
        ),
        EngineerFactory(vendor=vendor, name="Able", citizenships=["NL"]),
    ]
    tools = [
        ToolFactory(
            facility=fab,
            oem=vendor,
            model="B",
            serial_number="2",
            classifications={"US": ["3B001.f"], "NL": ["3B001.f.4"]},
        ),
        ToolFactory(facility=fab, oem=vendor, model="A", serial_number=""),
    ]
    on_site = _visit(
        committed, vendor=vendor, facility=fab, engineers=engineers, tools=tools, manager=manager
    )
    remote = _visit(
        committed,
        vendor=vendor,
        facility=fab,
        engineers=engineers,
        tools=tools[:1],
        manager=manager,
        activity="remote_support",
    )
    Visit.objects.filter(pk=remote.pk).update(mode="remote")
    inputs = {c.pk: c for c in check_inputs([on_site.pk, remote.pk])}
    for visit in (on_site, remote):
        instance = (
            Visit.objects.select_related("vendor", "facility__customer")
            .prefetch_related("tools", "engineers__citizenships", "engineers__residencies")
            .get(pk=visit.pk)
        )
        instance.engineers.all()._result_cache.sort(key=lambda e: (e.name, e.pk))
        expected = visit_document(instance)
        got = inputs[visit.pk]
        assert json.dumps(got.document) == json.dumps(expected)
        assert got.error == ""
        assert got.party_keys == {
            "facility.owner": f"customer:{fab.customer_id}",
            "engineers[0]": f"engineer:{engineers[1].pk}",
            "engineers[1]": f"engineer:{engineers[0].pk}",
        }
    assert [e["location"] for e in inputs[remote.pk].document["engineers"]] == ["NL", "US"]
    assert [t["model"] for t in inputs[on_site.pk].document["tools"]] == ["A", "B"]
    # Undated citizenships first on every database (the digest must not depend on the backend).
    zed = inputs[on_site.pk].document["engineers"][1]
    assert [c["country"] for c in zed["citizenships"]] == ["CN", "US"]


def test_every_stored_decision_replays_to_the_same_outcome_and_findings(lam, committed):
    vendor, manager = lam
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    mature = FacilityFactory(logic_node_nm=40)
    tool = ToolFactory(
        facility=fab, oem=vendor, classifications={"US": ["3B001.c"]}, subject_to_ear=True
    )
    people = [
        EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US"),
        EngineerFactory(vendor=vendor, citizenships=["CN"], home_country="CN"),
        EngineerFactory(
            vendor=vendor, citizenships=["NL"], residencies=[("US", dt.date(2019, 3, 1), None)]
        ),
    ]
    for p in people:
        _visit(committed, vendor=vendor, facility=fab, engineers=[p], tools=[tool], manager=manager)
        _visit(committed, vendor=vendor, facility=mature, engineers=[p], tools=[], manager=manager)
    assert Decision.objects.count() == 6
    for decision in Decision.objects.all():
        result = decision_replay(decision)
        assert result.identical, result.differences


def test_a_rule_set_change_rechecks_open_visits_and_a_worse_outcome_reholds_an_approved_visit(
    lam, committed
):
    vendor, manager = lam
    fab = FacilityFactory(logic_node_nm=28)
    engineer = EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US")
    visit = _visit(
        committed, vendor=vendor, facility=fab, engineers=[engineer], tools=[], manager=manager
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED
    # The fab turns out to run a FinFET line: the building's capability changes.
    with committed():
        services.facility_update(facility=fab, logic_node_nm=14, non_planar=True)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    assert "Outcome changed from clear to licence_required" in visit.current_decision.change_reason
    assert visit.decisions.count() == 2


def test_loading_the_same_rule_packs_twice_changes_nothing(rules):
    assert RuleSet.objects.count() == 1
    _, changed = ruleset_load()
    assert changed is False
    assert RuleSet.objects.count() == 1


def test_a_redelivered_check_finds_nothing_left_to_do(lam, committed):
    from compliance.tasks import check_visit

    vendor, manager = lam
    fab = FacilityFactory()
    visit = _visit(
        committed,
        vendor=vendor,
        facility=fab,
        engineers=[EngineerFactory(vendor=vendor)],
        tools=[],
        manager=manager,
    )
    assert visit.decisions.count() == 1
    assert check_visit.run(visit.pk) == 0  # the same message delivered again: no decision
    assert visit.decisions.count() == 1


def test_a_check_without_rules_holds_the_visit_and_never_clears_it(db, committed):
    vendor = VendorFactory()
    manager = make_user("m", role="service_manager", vendor=vendor)
    fab = FacilityFactory(logic_node_nm=40)
    visit = _visit(
        committed,
        vendor=vendor,
        facility=fab,
        engineers=[EngineerFactory(vendor=vendor)],
        tools=[],
        manager=manager,
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    assert visit.current_decision.findings.filter(rule_code="SYSTEM-ERROR").exists()
    # The request stays open so the sweeper and the retry can answer it once the rules are there.
    assert visit.check_requested_at is not None


def test_the_sweeper_answers_a_check_whose_message_was_lost(lam, committed):
    from compliance.checks.requests import visits_sweep_unchecked

    vendor, manager = lam
    fab = FacilityFactory()
    visit = _visit(
        committed,
        vendor=vendor,
        facility=fab,
        engineers=[EngineerFactory(vendor=vendor)],
        tools=[],
        manager=manager,
    )
    # A re-check is requested but its message never reaches a worker.
    Visit.objects.filter(pk=visit.pk).update(
        check_requested_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), check_trigger="manual"
    )
    assert visits_sweep_unchecked() == 1
    visit.refresh_from_db()
    assert visit.check_requested_at is None
    # The same answer again: a re-confirmation of the first decision, not a second decision.
    assert visit.decisions.count() == 1
    assert list(visit.reconfirmations.values_list("decision_id", "trigger", "basis")) == [
        (visit.current_decision_id, "manual", "evaluated")
    ]


def test_check_visit_command_prints_the_decision_and_exits_2_naming_the_field(
    rules, tmp_path, capsys
):
    doc = {
        "visit": {
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": "2026-12-07",
            "end_date": "2026-12-09",
        },
        "vendor": {"name": "Lam Research Corporation", "country": "US", "us_branch": False},
        "facility": {
            "name": "Fab",
            "owner": "Example Co",
            "city": "Shanghai",
            "country": "CN",
            "products": ["logic"],
            "logic_node_nm": 7,
            "non_planar": True,
        },
        "tools": [
            {"model": "Kiyo", "classifications": {"US": ["3B001.c"]}, "subject_to_ear": True}
        ],
        "engineers": [{"name": "David Miller", "citizenships": ["US"]}],
    }
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(doc))
    call_command("check_visit", str(path))
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "on_hold"
    assert any("15 CFR 744.6(c)(2)" in f["citation"] for f in out["findings"])

    doc["facility"]["country"] = "XX"
    path.write_text(json.dumps(doc))
    with pytest.raises(SystemExit) as exc:
        call_command("check_visit", str(path))
    assert exc.value.code == 2
    assert "facility.country" in capsys.readouterr().err


def test_rechecks_of_many_visits_run_in_chunks(lam, settings, committed):
    settings.COMPLIANCE = {**settings.COMPLIANCE, "RECHECK_CHUNK_SIZE": 3}
    vendor, manager = lam
    fab = FacilityFactory()
    engineer = EngineerFactory(vendor=vendor)
    for _ in range(7):
        _visit(
            committed, vendor=vendor, facility=fab, engineers=[engineer], tools=[], manager=manager
        )
    with committed(), transaction.atomic():
        assert visits_request_check(visits=Visit.objects.all(), trigger="rule_change") == 7
    assert not Visit.objects.filter(check_requested_at__isnull=False).exists()
    # Nothing changed: each visit keeps its decision, re-confirmed under the same versions.
    assert Decision.objects.count() == 7
    assert Reconfirmation.objects.filter(trigger="rule_change").count() == 7


def test_an_unexpected_error_in_a_batch_holds_up_only_its_own_visit(lam, monkeypatch, committed):
    from compliance.checks import record, run

    vendor, manager = lam
    fab = FacilityFactory(logic_node_nm=7, non_planar=True, city="Shanghai", country="CN")
    engineer = EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US")
    visits = [
        _visit(
            committed, vendor=vendor, facility=fab, engineers=[engineer], tools=[], manager=manager
        )
        for _ in range(3)
    ]
    bad = visits[1].pk
    before = {v.pk: Visit.objects.get(pk=v.pk).status for v in visits}
    # Requested, not enqueued (in-process tasks would run at once): the test runs the task's service.
    Visit.objects.filter(pk__in=[v.pk for v in visits]).update(
        check_requested_at=timezone.now(), check_trigger="manual"
    )
    real_digest = record._digest

    def digest(evaluation, ctx, result_dict):
        if evaluation.document["visit"]["id"] == bad:
            raise ValueError("a row the database refuses")
        return real_digest(evaluation, ctx, result_dict)

    monkeypatch.setattr(record, "_digest", digest)
    with pytest.raises(run.CheckFailed) as failed:
        run.visits_check_isolating(visit_ids=[v.pk for v in visits])
    assert failed.value.visit_ids == [bad]
    for visit in visits:
        row = Visit.objects.get(pk=visit.pk)
        triggers = list(row.decisions.order_by("pk").values_list("trigger", flat=True))
        if visit.pk == bad:
            assert triggers == ["submission"]  # nothing stored; the request stays open
            assert row.check_requested_at is not None and row.status == before[bad]
        else:
            assert triggers == ["submission"] and row.check_requested_at is None
            assert list(row.reconfirmations.values_list("trigger", flat=True)) == ["manual"]
