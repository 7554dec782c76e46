"""Celery tasks: a thin interface that takes ids and calls a service (HackSoft styleguide).

Every task is idempotent: a check answers the visit's current check request once, and a
redelivered message finds nothing left to do. Failures retry with exponential backoff; the visit
meanwhile holds a fail-closed system decision.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from compliance import notifications
from compliance.checks import batching, requests, run
from compliance.mail import send_email  # noqa: F401  (registers the email task)
from compliance.reports.tasks import weekly_audit_report  # noqa: F401  (registers the report task)
from config.health import beat_heartbeat

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(run.CheckFailed, OperationalError, InterfaceError),
    retry_backoff=5,
    # Below the broker's visibility timeout (300 s), or Redis would deliver a waiting retry again.
    retry_backoff_max=240,
    retry_jitter=True,
    max_retries=10,
)
def check_visit(self, visit_id: int) -> int:  # type: ignore[no-untyped-def]
    """Check one visit, and with it the visits filed meanwhile (compliance/checks/batching.py). Returns how
    many decisions it stored, or, when only other visits of the batch failed, how many visits of
    the batch did not fail. Retries when its own visit's check failed; the others that failed
    are retried by a ``check_visits`` of their own."""
    batch = batching.batch_for(visit_id)
    try:
        return len(run.visits_check_isolating(visit_ids=batch))
    except run.CheckFailed as exc:
        others = [i for i in exc.visit_ids if i != visit_id]
        if others:
            try:
                check_visits.apply_async((others,), countdown=5)
            except Exception:  # their requests stay open: the sweeper enqueues them again
                logger.warning("Could not schedule the retry of visits %s", others, exc_info=True)
        if visit_id in exc.visit_ids or not exc.visit_ids:
            raise
        return len(batch) - len(others)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(run.CheckFailed, OperationalError, InterfaceError),
    retry_backoff=5,
    # Below the broker's visibility timeout (300 s), or Redis would deliver a waiting retry again.
    retry_backoff_max=240,
    retry_jitter=True,
    max_retries=10,
)
def check_visits(self, visit_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    return len(run.visits_check_isolating(visit_ids=visit_ids))


@shared_task(acks_late=True)
def notify_decisions(notices: list[list[Any]]) -> None:
    """E-mails about decisions already committed: [decision id, previous status] pairs."""
    notifications.notify_decisions([(int(d), str(old)) for d, old in notices])


@shared_task(acks_late=True)
def sweep_unchecked_visits() -> int:
    beat_heartbeat()  # beat schedules this every minute: its run proves beat is alive
    return requests.visits_sweep_unchecked()


@shared_task(acks_late=True)
def pre_travel_recheck() -> int:
    return requests.visits_pre_travel_recheck()


@shared_task(acks_late=True)
def refresh_list_source(key: str) -> str:
    """Fetch one list source and put a verified file in force (compliance.services.list_sources)."""
    from compliance.services.list_sources import list_source_refresh

    return list_source_refresh(key=key).outcome


@shared_task(acks_late=True)
def refresh_due_list_sources() -> list[str]:
    """Refresh every source in use whose next run is due, one task each."""
    from compliance.services.list_sources import list_sources_due

    due = list_sources_due()
    for key in due:
        refresh_list_source.delay(key)
    return due


@shared_task
def noop() -> None:
    """Does nothing: the floor of the end-to-end benchmark (broker and pool overhead)."""


@shared_task(acks_late=True)
def notify_licence_expiry() -> int:
    """Daily: tell the approvers of licences ending within 30 days (once per threshold)."""
    from compliance.services.licences import licences_expiry_notify

    return licences_expiry_notify()
