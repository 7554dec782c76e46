"""compliance.checks.batching: a single-visit check message also decides the visits offered meanwhile on
a Redis list; every visit ends with exactly one decision, and a failure stays with its own visit.

The Redis tests are marked ``needs_redis``: deselected on the embedded default, and they FAIL (the
ping raises) when REDIS_URL points at a Redis that does not answer. Point REDIS_URL at a database of
its own (e.g. redis://127.0.0.1:6379/5): these tests publish check messages to it without a worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import pytest
import redis
from django.utils import timezone

from compliance.checks import batching, inputs, run
from compliance.models import Decision
from compliance.tasks import check_visit, check_visits
from config.celery_app import app
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db

BROKER_KEYS = ("compliance", "unacked", "unacked_index")


# --- Fixtures --------------------------------------------------------------------------------
@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3)
    client.ping()  # fails the test (not skips it) when Redis is unreachable
    client.delete(batching.KEY)
    yield client
    client.delete(batching.KEY)


@pytest.fixture
def batching_on(redis_client, settings, monkeypatch):
    """Batching as a worker deployment has it: REDIS_URL set and tasks not eager."""
    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    batching.batches.reset()  # connect to this test's REDIS_URL
    assert batching.enabled()
    return redis_client


@pytest.fixture
def no_worker(redis_client, request):
    """Check messages are published to the broker (the same Redis) and nobody consumes them."""
    eager = app.conf.task_always_eager  # read before batching_on overrides the setting
    request.getfixturevalue("batching_on")
    redis_client.delete(*BROKER_KEYS)
    app.conf.task_always_eager = False
    yield redis_client
    app.conf.task_always_eager = eager
    redis_client.delete(*BROKER_KEYS)


@pytest.fixture
def file_visits(rules, sample_list, committed):
    """``file_visits(n)`` files n visits, each committed on its own: its check message is sent
    (and offered for batching), or in embedded mode the check runs in-process."""
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    fab = FacilityFactory(logic_node_nm=28, non_planar=False)
    engineer = EngineerFactory(vendor=vendor, citizenships=["NL"])
    start = dt.date.today() + dt.timedelta(days=10)

    def file(n: int) -> list[int]:
        ids = []
        for _ in range(n):
            with committed():
                visit = services.visit_create(
                    requested_by=manager,
                    vendor=vendor.pk,
                    facility=fab.pk,
                    engineers=[engineer.pk],
                    activity="maintenance",
                    start_date=start,
                    end_date=start + dt.timedelta(days=1),
                )
            ids.append(visit.pk)
        return ids

    return file


@pytest.fixture
def scheduled_retries(monkeypatch):
    """``check_visits.apply_async`` calls, as (task args, options)."""
    calls: list[tuple[tuple, dict]] = []

    def apply_async(args=(), kwargs=None, **options):
        assert not kwargs
        calls.append((tuple(args), options))

    monkeypatch.setattr(check_visits, "apply_async", apply_async)
    return calls


def _fail_screening_for(monkeypatch, visit_ids):
    real = inputs.screen_parties

    def screen_parties(*, document, **kwargs):
        if document["visit"]["id"] in visit_ids:
            raise RuntimeError("screening index unavailable")
        return real(document=document, **kwargs)

    monkeypatch.setattr(inputs, "screen_parties", screen_parties)
    return real


def _assert_decided_once(visit_id):
    visit = Visit.objects.get(pk=visit_id)
    decisions = list(visit.decisions.all())
    assert len(decisions) == 1, f"visit {visit_id} has {len(decisions)} decisions"
    assert visit.current_decision_id == decisions[0].pk
    assert decisions[0].error == ""
    assert visit.check_requested_at is None
    assert visit.status == VisitStatus.CLEARED, decisions[0].result


def _assert_held_fail_closed(visit_id):
    visit = Visit.objects.get(pk=visit_id)
    decisions = list(visit.decisions.all())
    assert len(decisions) == 1, f"visit {visit_id} has {len(decisions)} decisions"
    assert visit.current_decision_id == decisions[0].pk
    assert "screening index unavailable" in decisions[0].error
    assert decisions[0].findings.filter(rule_code="SYSTEM-ERROR").exists()
    assert visit.status == VisitStatus.ON_HOLD
    assert visit.check_requested_at is not None  # still open: the retry answers it


# --- The Redis list --------------------------------------------------------------------------
@pytest.mark.needs_redis
def test_offered_ids_come_back_in_order_as_ints_and_the_list_expires(batching_on):
    batching.push([5, 3, 9])
    batching.push([1])
    assert 3500 < batching_on.ttl(batching.KEY) <= batching.TTL_SECONDS
    taken = batching.take(10)
    assert taken == [5, 3, 9, 1]
    assert all(type(i) is int for i in taken)
    assert batching_on.exists(batching.KEY) == 0
    assert batching.take(10) == []


@pytest.mark.needs_redis
def test_each_push_renews_the_expiry_of_the_list(batching_on):
    batching.push([1])
    batching_on.expire(batching.KEY, 10)
    batching.push([2])
    assert batching_on.ttl(batching.KEY) > 3500


@pytest.mark.needs_redis
def test_take_returns_at_most_count_ids_and_leaves_the_rest(batching_on):
    batching.push(list(range(1, 11)))
    assert batching.take(3) == [1, 2, 3]
    assert batching.take(0) == []
    assert [int(i) for i in batching_on.lrange(batching.KEY, 0, -1)] == list(range(4, 11))


@pytest.mark.needs_redis
def test_a_batch_is_its_own_visit_first_then_the_offered_ones_without_duplicates(
    batching_on, settings
):
    settings.COMPLIANCE = {**settings.COMPLIANCE, "CHECK_BATCH_SIZE": 4}
    batching.push([8, 7, 9, 10, 11])
    # Took 3 (size - 1); its own id was among them, so one more: its own id once, size kept.
    assert batching.batch_for(7) == [7, 8, 9, 10]
    assert batching.batch_for(12) == [12, 11]
    assert batching.batch_for(13) == [13]
    settings.COMPLIANCE = {**settings.COMPLIANCE, "CHECK_BATCH_SIZE": 1}
    batching.push([1, 2])
    assert batching.batch_for(3) == [3]
    assert batching_on.llen(batching.KEY) == 2


@pytest.mark.needs_redis
def test_nothing_is_offered_or_taken_while_tasks_run_eagerly(batching_on, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    batching.push([1, 2])
    assert batching_on.exists(batching.KEY) == 0
    batching_on.rpush(batching.KEY, 3, 4)
    assert batching.take(10) == []
    assert batching.batch_for(5) == [5]
    assert batching_on.llen(batching.KEY) == 2


# --- The task path ---------------------------------------------------------------------------
@pytest.mark.needs_redis
def test_one_message_decides_every_visit_filed_meanwhile_and_the_others_find_nothing(
    no_worker, file_visits
):
    ids = file_visits(30)
    assert no_worker.llen("compliance") == 30  # each visit still has its own message
    assert [int(i) for i in no_worker.lrange(batching.KEY, 0, -1)] == ids
    assert not Decision.objects.exists()
    assert set(Visit.objects.values_list("status", flat=True)) == {VisitStatus.PENDING}

    assert check_visit.run(ids[0]) == 30  # as the worker would run the first message

    assert no_worker.llen(batching.KEY) == 0
    for visit_id in ids:
        _assert_decided_once(visit_id)
    for visit_id in ids[1:]:
        assert check_visit.run(visit_id) == 0
    assert Decision.objects.count() == 30


@pytest.mark.needs_redis
def test_messages_taken_in_order_decide_every_visit_once_in_batches_of_at_most_the_size(
    no_worker, file_visits, settings
):
    settings.COMPLIANCE = {**settings.COMPLIANCE, "CHECK_BATCH_SIZE": 8}
    ids = file_visits(30)

    decided = [check_visit.run(visit_id) for visit_id in ids]

    assert sum(decided) == 30
    assert max(decided) <= 8
    assert decided.count(0) >= 30 - 5  # a handful of messages did all the work
    for visit_id in ids:
        _assert_decided_once(visit_id)


@pytest.mark.needs_redis
def test_a_message_taken_after_others_were_offered_decides_exactly_the_batch_size(
    no_worker, file_visits, settings
):
    settings.COMPLIANCE = {**settings.COMPLIANCE, "CHECK_BATCH_SIZE": 8}
    ids = file_visits(30)

    assert check_visit.run(ids[-1]) == 8  # its own visit and the first 7 offered

    decided = set(Visit.objects.filter(decisions__isnull=False).values_list("pk", flat=True))
    assert decided == {*ids[:7], ids[-1]}


@pytest.mark.needs_redis
def test_the_first_message_of_a_burst_decides_the_batch_size(no_worker, file_visits, settings):
    """CHECK_BATCH_SIZE visits per message: the first message's own id, at the head of the list,
    must not take one of the slots of the visits offered meanwhile."""
    settings.COMPLIANCE = {**settings.COMPLIANCE, "CHECK_BATCH_SIZE": 8}
    ids = file_visits(30)

    assert check_visit.run(ids[0]) == 8


@pytest.mark.needs_redis
def test_a_failure_of_another_visit_holds_only_that_visit_and_schedules_its_retry(
    no_worker, file_visits, scheduled_retries, monkeypatch
):
    ids = file_visits(5)
    real_screening = _fail_screening_for(monkeypatch, {ids[2]})

    assert check_visit.run(ids[0]) == 4  # does not raise: its own visit was decided

    assert scheduled_retries == [(([ids[2]],), {"countdown": 5})]
    for visit_id in (ids[0], ids[1], ids[3], ids[4]):
        _assert_decided_once(visit_id)
    _assert_held_fail_closed(ids[2])

    # Screening works again: the scheduled retry decides the visit.
    monkeypatch.setattr(inputs, "screen_parties", real_screening)
    assert check_visits.run([ids[2]]) == 1
    visit = Visit.objects.get(pk=ids[2])
    assert visit.decisions.count() == 2
    assert visit.current_decision.error == ""
    assert visit.status == VisitStatus.CLEARED
    assert visit.check_requested_at is None


@pytest.mark.needs_redis
@pytest.mark.parametrize("failing", [(0,), (0, 3)], ids=["only its own", "its own and another"])
def test_a_message_whose_own_visit_fails_raises_after_deciding_the_others(
    no_worker, file_visits, scheduled_retries, monkeypatch, failing
):
    ids = file_visits(5)
    failing_ids = [ids[i] for i in failing]
    _fail_screening_for(monkeypatch, set(failing_ids))

    with pytest.raises(run.CheckFailed) as exc:
        check_visit.run(ids[0])

    assert exc.value.visit_ids == failing_ids
    others = failing_ids[1:]
    assert scheduled_retries == ([((others,), {"countdown": 5})] if others else [])
    for visit_id in ids:
        if visit_id in failing_ids:
            _assert_held_fail_closed(visit_id)
        else:
            _assert_decided_once(visit_id)


# --- Without Redis ---------------------------------------------------------------------------
def test_in_embedded_mode_a_message_checks_only_its_own_visit(file_visits, settings, monkeypatch):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def no_redis():
        raise AssertionError("batching must not talk to Redis in embedded mode")

    monkeypatch.setattr(batching.batches, "client", no_redis)
    assert not batching.enabled()
    assert batching.take(49) == []
    assert batching.batch_for(7) == [7]

    ids = file_visits(3)  # decided in-process, one check each
    for visit_id in ids:
        _assert_decided_once(visit_id)
    Visit.objects.filter(pk__in=ids).update(
        check_requested_at=timezone.now(), check_trigger="manual"
    )

    assert check_visit.run(ids[0]) == 1

    assert Visit.objects.get(pk=ids[0]).decisions.count() == 1
    assert Visit.objects.get(pk=ids[0]).reconfirmations.count() == 1
    assert Visit.objects.get(pk=ids[0]).check_requested_at is None
    for visit_id in ids[1:]:
        assert Visit.objects.get(pk=visit_id).decisions.count() == 1
        assert Visit.objects.get(pk=visit_id).check_requested_at is not None


def test_an_unreachable_redis_only_turns_batching_off(settings, monkeypatch, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    batching.batches.reset()
    assert batching.enabled()

    with caplog.at_level(logging.WARNING, logger="compliance.checks.batching"):
        batching.push([1, 2])
        assert batching.take(5) == []
        assert batching.batch_for(7) == [7]

    assert "Could not offer visits [1, 2]" in caplog.text
    assert "Could not take visits" in caplog.text
