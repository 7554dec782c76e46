"""A real Celery worker consuming from Redis (not eager mode) decides visits, and a worker killed
mid-task loses nothing: every visit still ends with exactly one current decision."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import redis
from django.db import connection

from compliance.checks.requests import visits_request_check
from compliance.models import Decision
from compliance.services import ruleset_load
from config.celery_app import app
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user
from tests.worker import Worker, wait_for

pytestmark = [
    pytest.mark.needs_redis,
    pytest.mark.needs_postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker():
    url = os.environ["REDIS_URL"]
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    client.ping()  # fails the test (not skips it) when Redis is unreachable
    for key in ("compliance", "unacked", "unacked_index"):
        client.delete(key)
    app.conf.task_always_eager = False
    yield client
    app.conf.task_always_eager = True


@pytest.fixture
def worker(broker):
    w = Worker()
    yield w
    w.stop()


def test_a_visit_created_through_a_service_is_decided_by_a_real_worker(broker, worker):
    assert connection.vendor == "postgresql"
    ruleset_load()
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    facility = FacilityFactory(logic_node_nm=7, non_planar=True, city="Shanghai")
    engineer = EngineerFactory(
        vendor=vendor, name="David Miller", citizenships=["US"], home_country="US"
    )
    tool = ToolFactory(
        facility=facility, oem=vendor, classifications={"US": ["3B001.c"]}, subject_to_ear=True
    )
    manager = make_user("lam", role="service_manager", vendor=vendor)
    start = dt.date.today() + dt.timedelta(days=10)
    visit = services.visit_create(
        requested_by=manager,
        vendor=vendor.pk,
        facility=facility.pk,
        engineers=[engineer.pk],
        tools=[tool.pk],
        activity="maintenance",
        start_date=start,
        end_date=start + dt.timedelta(days=2),
    )
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.PENDING  # not decided in-process
    assert broker.llen("compliance") == 1  # the message waits on Redis

    worker.start()
    wait_for(
        lambda: Visit.objects.get(pk=visit.pk).current_decision_id is not None,
        timeout=60,
        what="the worker's decision",
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    rules = {f.rule_code for f in visit.current_decision.findings.all()}
    assert any(code.startswith("US-EAR-744.6") for code in rules), rules
    assert visit.current_decision.findings.filter(citation__contains="744.6(c)(2)").exists()


def test_killing_the_worker_mid_task_loses_no_visit_and_duplicates_no_decision(
    broker, worker, settings
):
    settings.COMPLIANCE = {**settings.COMPLIANCE, "RECHECK_CHUNK_SIZE": 25}
    ruleset_load()
    vendor = VendorFactory(name="Applied Materials, Inc.", country="US")
    manager = make_user("amat", role="service_manager", vendor=vendor)
    facility = FacilityFactory()
    engineers = [
        EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US") for _ in range(3)
    ]
    start = dt.date.today() + dt.timedelta(days=5)
    app.conf.task_always_eager = True  # decide the initial submissions in-process, quickly
    for _ in range(150):
        services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[e.pk for e in engineers],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    app.conf.task_always_eager = False
    before = Decision.objects.count()
    assert before == 150

    # A rule change queues one re-check of every open visit, in chunks of 25, on Redis.
    from django.db import transaction

    with transaction.atomic():
        queued = visits_request_check(visits=Visit.objects.all(), trigger="rule_change")
    assert queued == 150
    assert broker.llen("compliance") == 6

    worker.start()
    # Kill as soon as the worker holds an unacknowledged message, i.e. while a chunk is running.
    wait_for(
        lambda: broker.hlen("unacked") > 0,
        timeout=60,
        interval=0.01,
        what="the worker to take a chunk",
    )
    worker.kill()
    assert Visit.objects.filter(check_requested_at__isnull=False).exists(), (
        "every re-check finished before the kill; nothing was interrupted"
    )

    worker.start()
    # The killed worker's message is redelivered once its visibility timeout lapses; beat's
    # sweeper re-enqueues whatever is still unanswered. Run the sweeper as beat would.
    from compliance.checks.requests import visits_sweep_unchecked

    visits_sweep_unchecked(older_than_minutes=0)
    wait_for(
        lambda: not Visit.objects.filter(check_requested_at__isnull=False).exists(),
        timeout=120,
        what="every re-check to be answered after the restart",
    )
    # Nothing changed between the two checks, so each re-check is answered by a compact
    # re-confirmation of the submission's decision: exactly one per visit, none lost, none twice.
    for visit in Visit.objects.all():
        decisions = list(visit.decisions.order_by("pk"))
        assert len(decisions) == 1, f"visit {visit.pk} has {len(decisions)} decisions"
        assert decisions[0].trigger == "submission"
        assert visit.current_decision_id == decisions[0].pk
        reconfirmations = list(visit.reconfirmations.all())
        assert len(reconfirmations) == 1, (
            f"visit {visit.pk} has {len(reconfirmations)} re-confirmations"
        )
        assert reconfirmations[0].trigger == "rule_change"
        assert reconfirmations[0].decision_id == decisions[0].pk
