"""compliance.bulk: set-based inserts and updates write exactly what the ORM would.

On PostgreSQL the rows travel as one JSON parameter expanded by ``jsonb_to_recordset``; elsewhere
the ORM's bulk_create / bulk_update run. Every test here runs on both and re-reads with the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from compliance import bulk
from compliance.models import AppendOnlyError, AuditEvent, Decision, Finding
from dispatch import services
from dispatch.models import Facility, Tool, Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
TRICKY = 'O\'Brien said "hi"\\n is not a newline,\nthis is;\ttab, \r\n CRLF, 100% %s %(x)s'
UNICODE = "Zoë in 北京 🚀👩‍🔬 — naïve café"
NESTED = {
    "visit": {"id": 7, "name": UNICODE, "tags": ["a", "b", {"c": [1, 2.5, None, True, False]}]},
    "quote\"key'": TRICKY,
    "北京": {"emoji": "😀", "empty": {}, "list": []},
    "big": 2**53 + 1,
    "negative": -12,
    "fraction": 0.30000000000000004,
    "small": 1.5e-7,
    "null": None,
    "looks_like_json": '{"a": 1}',
}


def _canon(value):
    """JSON text with sorted keys: compares types too (True is not 1, 1.0 is not 1)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _assert_round_trips(objs):
    """Each instance has the pk of its own row, and that row holds exactly the instance's values."""
    model = type(objs[0])
    stored = model.objects.in_bulk([o.pk for o in objs])
    assert len(stored) == len(objs)
    for obj in objs:
        row = stored[obj.pk]
        for field in model._meta.concrete_fields:
            given, got = getattr(obj, field.attname), getattr(row, field.attname)
            if field.get_internal_type() == "JSONField":
                assert _canon(got) == _canon(given), (model.__name__, field.name)
            else:
                assert got == given, (model.__name__, field.name, given, got)
                assert type(got) is type(given) or given is None, (field.name, given, got)


@pytest.fixture
def visits(rules, sample_list, committed):
    """Three visits filed through the service (each already holds the decision of its check)."""
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("lam", role="service_manager", vendor=vendor)
    fab = FacilityFactory(logic_node_nm=28)
    engineer = EngineerFactory(vendor=vendor)
    start = dt.date.today() + dt.timedelta(days=10)
    out = []
    for i in range(3):
        with committed():  # the check the filing asks for runs, as on its commit
            visit = services.visit_create(
                requested_by=manager,
                vendor=vendor.pk,
                facility=fab.pk,
                engineers=[engineer.pk],
                tools=[],
                activity="maintenance",
                start_date=start,
                end_date=start + dt.timedelta(days=i),
                purpose=f"purpose {i}",
            )
        visit.refresh_from_db()
        assert visit.current_decision_id is not None
        out.append(visit)
    return out


def _decision(visit, key, **overrides):
    fields = {
        "visit": visit,
        "trigger": "manual",
        "request_key": key,
        "input_digest": "d" * 64,
        "document": NESTED,
        "screening_input": [{"name": UNICODE, "score": 0.91, "list": "SDN"}],
        "licences_input": [],
        "ruleset": None,
        "rules_version": "",
        "snapshot": None,
        "lists_version": "",
        "list_is_stale": False,
        "outcome": "review",
        "status": "on_hold",
        "result": {"outcome": "review", "findings": [], "text": TRICKY},
        "as_of": dt.date(2026, 12, 7),
        "decided_at": dt.datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=TOKYO),
        "duration_ms": 12.345678901234567,
        "error": "",
        "previous": None,
        "change_reason": "",
    }
    return Decision(**{**fields, **overrides})


def test_inserted_decisions_round_trip_exactly_with_their_pks_in_input_order(visits):
    first, second, _ = visits
    previous = second.current_decision
    decisions = [
        _decision(first, "2026-12-01T00:00:00.000001+00:00"),
        _decision(
            second,
            "key with 'quotes' and \\ backslash",
            ruleset=previous.ruleset,
            rules_version=previous.rules_version,
            snapshot=previous.snapshot,
            lists_version="csl:" + UNICODE,
            list_is_stale=True,
            outcome="clear",
            status="cleared",
            screening_input=[],
            licences_input=[{"number": "L-1", "valid_to": "2027-01-01", "codes": ["3B001.f"]}],
            as_of=dt.date(2024, 2, 29),
            decided_at=dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=NEW_YORK),
            duration_ms=0.0,
            error=TRICKY,
            previous=previous,
            change_reason=UNICODE + "\n" + TRICKY,
        ),
        _decision(first, "third", document={"only": [[], {}, ""]}, duration_ms=1e-300),
    ]

    returned = bulk.bulk_insert(decisions)

    assert returned == decisions
    assert all(r is d for r, d in zip(returned, decisions, strict=True))
    pks = [d.pk for d in decisions]
    assert None not in pks
    assert pks == sorted(pks) and len(set(pks)) == 3
    assert all(not d._state.adding and d._state.db == "default" for d in decisions)
    _assert_round_trips(decisions)
    stored = Decision.objects.get(pk=decisions[1].pk)
    assert stored.previous_id == previous.pk and stored.ruleset_id == previous.ruleset_id
    assert stored.decided_at == dt.datetime(2024, 3, 1, 4, 59, 59, 999999, tzinfo=dt.UTC)
    assert Decision.objects.get(pk=decisions[0].pk).document["looks_like_json"] == '{"a": 1}'


def test_inserted_findings_reference_decisions_inserted_just_before(visits):
    decisions = bulk.bulk_insert(
        [_decision(visits[0], "a"), _decision(visits[1], "b"), _decision(visits[2], "c")]
    )
    findings = [
        Finding(
            decision=decision,
            rule_code=f"US-EAR-744.6(c)(2)-{i}",
            jurisdiction="US",
            citation="15 CFR 744.6(c)(2)",
            effect="licence_required" if i % 2 else "review",
            engineer=UNICODE,
            tool="" if i % 2 else "TWINSCAN NXT:1980i",
            message=TRICKY,
            facts=NESTED if i % 2 else {},
            covered_by_licence="",
        )
        for i, decision in enumerate(decisions * 2)
    ]

    bulk.bulk_insert(findings)

    _assert_round_trips(findings)
    assert [f.decision_id for f in findings] == [d.pk for d in decisions * 2]
    for decision in decisions:
        assert decision.findings.count() == 2


def test_inserted_audit_events_keep_null_json_null_actor_and_a_non_utc_time(visits):
    user = make_user("approver")
    created_at = dt.datetime(2026, 3, 29, 1, 59, 59, 5, tzinfo=ZoneInfo("Europe/Amsterdam"))
    events = [
        AuditEvent(
            event_type="decision_recorded",
            actor=None,
            actor_name="system",
            object_type="dispatch.Visit",
            object_id=str(visits[0].pk),
            old=None,
            new={"status": "on_hold", "reason": TRICKY, "who": UNICODE, "decision": None},
            created_at=created_at,
            prev_hash="0" * 64,
            hash="1" * 64,
        ),
        AuditEvent(
            event_type="visit_approved",
            actor=user,
            actor_name=user.username,
            object_type="dispatch.Visit",
            object_id=str(visits[1].pk),
            old={"status": "on_hold"},
            new=None,
            created_at=created_at + dt.timedelta(microseconds=1),
            prev_hash="1" * 64,
            hash="2" * 64,
        ),
    ]

    bulk.bulk_insert(events)

    _assert_round_trips(events)
    assert AuditEvent.objects.filter(pk=events[0].pk, old__isnull=True).exists()
    assert AuditEvent.objects.filter(pk=events[1].pk, new__isnull=True).exists()
    assert AuditEvent.objects.get(pk=events[1].pk).created_at == dt.datetime(
        2026, 3, 29, 0, 59, 59, 6, tzinfo=dt.UTC
    )


def test_bulk_update_writes_only_the_named_fields_of_the_given_rows(visits):
    first, second, third = visits
    before = {v["id"]: v for v in Visit.objects.values()}
    first.status = VisitStatus.ON_HOLD
    first.current_decision = None
    first.check_requested_at = None
    first.updated_at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=TOKYO)
    first.purpose = "not written: not a named field"
    second.status = VisitStatus.BLOCKED
    second.check_requested_at = dt.datetime(2026, 6, 1, 8, 0, 0, 1, tzinfo=NEW_YORK)
    second.updated_at = dt.datetime(2026, 6, 1, 12, 0, 0, 2, tzinfo=dt.UTC)
    second.check_trigger = "not written either"

    updated = bulk.bulk_update(
        [first, second], ["status", "current_decision", "check_requested_at", "updated_at"]
    )

    assert updated == 2
    after = {v["id"]: v for v in Visit.objects.values()}
    assert after[third.pk] == before[third.pk]
    assert after[first.pk] == {
        **before[first.pk],
        "status": "on_hold",
        "current_decision_id": None,
        "check_requested_at": None,
        "updated_at": dt.datetime(2026, 1, 1, 18, 4, 5, 678901, tzinfo=dt.UTC),
    }
    assert after[second.pk] == {
        **before[second.pk],
        "status": "blocked",
        "check_requested_at": dt.datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=dt.UTC),
        "updated_at": dt.datetime(2026, 6, 1, 12, 0, 0, 2, tzinfo=dt.UTC),
    }


def test_bulk_update_writes_json_decimals_booleans_dates_and_nulls(db):
    facilities = [FacilityFactory(), FacilityFactory(), FacilityFactory()]
    tools = [ToolFactory(facility=f) for f in facilities]
    before = {f["id"]: f for f in Facility.objects.values()}
    facilities[0].products = ["dram", "logic", UNICODE]
    facilities[0].dram_half_pitch_nm = Decimal("17.50")
    facilities[0].dram_cell_area_um2 = Decimal("0.002001")
    facilities[0].non_planar = True
    facilities[0].logic_node_nm = None
    facilities[0].capability_assessed_on = dt.date(2026, 2, 28)
    facilities[0].capability_evidence = TRICKY
    facilities[1].products = []
    facilities[1].logic_node_nm = 5
    facilities[1].capability_evidence = UNICODE
    tools[0].classifications = {"US": ["3B001.c"], "NL": [], "note": NESTED}
    tools[1].classifications = {}
    tools[1].subject_to_ear = True
    names = [
        "products",
        "dram_half_pitch_nm",
        "dram_cell_area_um2",
        "non_planar",
        "logic_node_nm",
        "capability_assessed_on",
        "capability_evidence",
    ]

    assert bulk.bulk_update(facilities[:2], names) == 2
    assert bulk.bulk_update(tools[:2], ["classifications", "subject_to_ear"]) == 2

    after = {f["id"]: f for f in Facility.objects.values()}
    assert after[facilities[2].pk] == before[facilities[2].pk]
    for facility in facilities[:2]:
        row = after[facility.pk]
        assert row == {
            **before[facility.pk],
            **{Facility._meta.get_field(n).attname: getattr(facility, n) for n in names},
        }
        assert _canon(row["products"]) == _canon(facility.products)
    stored = {t.pk: t for t in Tool.objects.all()}
    assert _canon(stored[tools[0].pk].classifications) == _canon(tools[0].classifications)
    assert stored[tools[1].pk].classifications == {} and stored[tools[1].pk].subject_to_ear
    assert stored[tools[2].pk].classifications == {"US": ["3B001.f"], "NL": ["3B001.f.4"]}
    assert not stored[tools[2].pk].subject_to_ear


def test_empty_input_returns_nothing_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.bulk_insert([]) == []
        assert bulk.bulk_update([], ["status"]) == 0


@pytest.mark.needs_postgres
def test_on_postgresql_each_call_is_a_fixed_number_of_statements_whatever_the_rows(visits):
    assert connection.vendor == "postgresql"
    decisions = [_decision(visits[i % 3], f"key-{i}") for i in range(300)]
    with CaptureQueriesContext(connection) as ctx:
        bulk.bulk_insert(decisions)
    assert len(ctx.captured_queries) == 2  # keys from the sequence, then one INSERT
    _assert_round_trips(decisions)
    # Each instance holds the key of its own row (not of a neighbour's), ascending in input order.
    stored = dict(
        Decision.objects.filter(pk__in=[d.pk for d in decisions]).values_list("pk", "request_key")
    )
    assert {d.pk: d.request_key for d in decisions} == stored
    assert [d.pk for d in decisions] == sorted(d.pk for d in decisions)
    for visit in visits:
        visit.check_requested_at = None
        visit.status = VisitStatus.BLOCKED
    with CaptureQueriesContext(connection) as ctx:
        assert bulk.bulk_update(visits, ["status", "check_requested_at"]) == 3
    assert len(ctx.captured_queries) == 1
    assert set(Visit.objects.values_list("status", flat=True)) == {"blocked"}


def test_bulk_update_refuses_append_only_records_as_their_queryset_does(visits):
    """Decisions are append-only (compliance/models.py): the ORM path raises; so must every path."""
    decision = bulk.bulk_insert([_decision(visits[0], "append-only")])[0]
    decision.outcome = "clear"
    decision.error = "rewritten"

    with pytest.raises(AppendOnlyError), transaction.atomic():
        bulk.bulk_update([decision], ["outcome", "error"])

    stored = Decision.objects.get(pk=decision.pk)
    assert (stored.outcome, stored.error) == ("review", "")


def test_an_instance_that_has_a_pk_is_inserted_under_that_pk_as_bulk_create_does(visits):
    """ "Values are written exactly as given": the ORM's bulk_create keeps a pk set on the instance."""
    chosen = Decision.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    decision = _decision(visits[0], "explicit-pk", pk=chosen)

    bulk.bulk_insert([decision])

    assert decision.pk == chosen
    assert Decision.objects.get(pk=chosen).request_key == "explicit-pk"


def test_update_by_ids_sets_the_values_on_exactly_those_rows(visits):
    first, second, third = visits
    at = dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    before = Visit.objects.get(pk=third.pk)
    with transaction.atomic():
        n = bulk.update_by_ids(
            Visit, [first.pk, second.pk], check_requested_at=at, check_trigger="rule_change"
        )
    assert n == 2
    for visit in (first, second):
        row = Visit.objects.get(pk=visit.pk)
        assert row.check_requested_at == at and row.check_trigger == "rule_change"
    after = Visit.objects.get(pk=third.pk)
    assert (after.check_requested_at, after.check_trigger) == (
        before.check_requested_at,
        before.check_trigger,
    )
    assert bulk.update_by_ids(Visit, [], check_trigger="x") == 0
    with pytest.raises(AppendOnlyError):
        bulk.update_by_ids(Decision, [1], outcome="clear")
