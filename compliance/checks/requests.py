"""Asking for checks: one visit, many (after a rule, list or licence change), the sweep of
visits whose check never finished, the explicit re-check and the pre-travel re-check.

A request is a timestamp on the visit (``check_requested_at``), written in the caller's
transaction, and a task enqueued on commit: a worker that dies or a broker that restarts loses
nothing, because the sweep re-enqueues every visit still waiting.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from compliance import bulk
from compliance.audit import audit_record
from compliance.checks import batching
from compliance.models import (
    AuditEventType,
    Trigger,
)
from config.errors import Conflict, PermissionDenied
from dispatch import roles
from dispatch.models import OPEN_STATUSES, Visit
from dispatch.roles import User

logger = logging.getLogger(__name__)


def _enqueue(visit_ids: list[int]) -> None:
    # cycle: compliance.tasks imports the check pipeline
    from compliance.tasks import check_visit, check_visits

    if len(visit_ids) == 1:
        batching.push(visit_ids)
        check_visit.delay(visit_ids[0])
        return
    size = settings.COMPLIANCE["RECHECK_CHUNK_SIZE"]
    for i in range(0, len(visit_ids), size):
        check_visits.delay(visit_ids[i : i + size])


def visit_request_check(
    *, visit: Visit, trigger: str, actor: User | None = None, stored: bool = False
) -> None:
    """Ask for a check of one visit; the task is enqueued when the transaction commits.

    ``stored``: the caller wrote ``check_requested_at`` and ``check_trigger`` with the visit's
    own INSERT (filing), so there is nothing to update."""
    if not (stored and visit.check_requested_at and visit.check_trigger == trigger):
        now = timezone.now()
        Visit.objects.filter(pk=visit.pk).update(check_requested_at=now, check_trigger=trigger)
        visit.check_requested_at = now
        visit.check_trigger = trigger
    pk = visit.pk
    # robust: a broker that is down must not turn an accepted visit into an error; the visit
    # keeps its check request and the sweeper enqueues it again.
    transaction.on_commit(lambda: _enqueue([pk]), robust=True)


def visits_request_check(
    *, visits: QuerySet[Visit], trigger: str, as_of: dt.date | None = None
) -> int:
    """Ask for a check of every open, not yet finished visit of ``visits``; returns how many."""
    today = as_of or timezone.localdate()
    ids = list(
        visits.filter(status__in=OPEN_STATUSES, end_date__gte=today)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    return visits_request_check_ids(ids, trigger=trigger)


def visits_request_check_ids(ids: list[int], *, trigger: str) -> int:
    """Ask for a check of the visits of ``ids`` (open ones, chosen by the caller)."""
    if not ids:
        return 0
    bulk.update_by_ids(Visit, ids, check_requested_at=timezone.now(), check_trigger=trigger)
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(ids)


def visits_sweep_unchecked(*, older_than_minutes: int | None = None) -> int:
    """Re-enqueue visits whose requested check has not produced a decision in time.

    A lost message, a worker killed mid-task or a broker restart delays a decision; this makes sure
    it never loses one.
    """
    minutes = (
        older_than_minutes
        if older_than_minutes is not None
        else settings.COMPLIANCE["SWEEP_AFTER_MINUTES"]
    )
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    ids = list(
        Visit.objects.filter(check_requested_at__lte=cutoff, status__in=OPEN_STATUSES)
        .order_by("check_requested_at")
        .values_list("pk", flat=True)[:10000]
    )
    if ids:
        logger.warning(
            "Re-enqueueing %d visits whose check was requested before %s", len(ids), cutoff
        )
        _enqueue(ids)
    return len(ids)


def visit_request_recheck(*, visit: Visit, user: User) -> Visit:
    """The explicit "re-check" action."""

    if not (
        roles.is_superuser(user)
        or roles.can_approve(user)
        or (roles.can_file_visits(user) and roles.user_vendor_id(user) == visit.vendor_id)
    ):
        raise PermissionDenied("Your role may not re-check this visit.")
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict(f"A {locked.get_status_display().lower()} visit is not re-checked.")
        audit_record(
            event_type=AuditEventType.CHECK_REQUESTED,
            obj=locked,
            actor=user,
            new={"trigger": Trigger.MANUAL},
        )
        visit_request_check(visit=locked, trigger=Trigger.MANUAL, actor=user)
    return locked


def visits_pre_travel_recheck(*, as_of: dt.date | None = None) -> int:
    """Re-check every open visit starting within the next ``PRE_TRAVEL_DAYS`` days."""
    today = as_of or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.COMPLIANCE["PRE_TRAVEL_DAYS"])
    with transaction.atomic():
        return visits_request_check(
            visits=Visit.objects.filter(start_date__gte=today, start_date__lte=horizon),
            trigger=Trigger.PRE_TRAVEL,
            as_of=today,
        )
