"""The check path runs a fixed number of queries, whatever the number of visits it decides."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.checks.run import visits_check
from dispatch import services
from dispatch.models import Visit
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db

# Inputs (visits, tools, engineers, citizenships, residencies), context (rule set, list
# snapshot), licences and false-positive marks; the record in a savepoint: the visits locked, the
# decisions, findings, visits' moves and the audit chain (head, events, new head).
# With the compiled rule set cached, as in a worker after its first check. PostgreSQL adds the
# id allocation of the three bulk inserts (bulk.py).
# One of them reads the state of the list sources (switched on or off, last confirmed).
CHECK_QUERIES = {"sqlite": 19, "postgresql": 22}


@pytest.fixture
def requested(rules, sample_list):
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    tool = ToolFactory(facility=fab, oem=vendor, classifications={"NL": ["3B001.f.4"]})
    engineers = [EngineerFactory(vendor=vendor, citizenships=["NL"]) for _ in range(3)]
    start = dt.date.today() + dt.timedelta(days=10)

    def make(n: int) -> list[int]:
        ids = []
        for i in range(n):
            visit = services.visit_create(
                requested_by=manager,
                vendor=vendor.pk,
                facility=fab.pk,
                engineers=[engineers[i % 3].pk],
                tools=[tool.pk],
                activity="maintenance",
                start_date=start,
                end_date=start,
            )
            ids.append(visit.pk)
        # Filed and asked for, not yet checked (the test transaction never commits, so the
        # on-commit enqueue does not run).
        Visit.objects.filter(pk__in=ids).update(check_requested_at=timezone.now())
        return ids

    return make


def _check(ids, capture):
    with capture() as scheduled, CaptureQueriesContext(connection) as queries:
        decisions = visits_check(visit_ids=ids)
    assert len(decisions) == len(ids)
    assert Visit.objects.filter(pk__in=ids, check_requested_at__isnull=True).count() == len(ids)
    assert len(scheduled) == 1  # the decisions' notices: one task for the whole chunk
    statements = [q["sql"] for q in queries.captured_queries]
    # SQLite caps the parameters of one statement, so 50 decisions may take a second INSERT of
    # the same bulk write; PostgreSQL takes them in one.
    split = sum(s.startswith('INSERT INTO "compliance_decision"') for s in statements) - 1
    assert split <= (0 if connection.vendor == "postgresql" else 1)
    return len(statements) - split


def test_the_check_path_takes_the_same_queries_for_1_and_for_50_visits(
    requested, django_capture_on_commit_callbacks
):
    _check(requested(1), django_capture_on_commit_callbacks)  # a worker's first check compiles
    one = _check(requested(1), django_capture_on_commit_callbacks)
    fifty = _check(requested(50), django_capture_on_commit_callbacks)
    assert one == fifty == CHECK_QUERIES[connection.vendor]
