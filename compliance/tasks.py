"""Celery tasks: a thin interface that takes ids and calls a service (HackSoft styleguide).

Every task is idempotent: a check answers the visit's current check request once, and a
redelivered message finds nothing left to do. Failures retry with exponential backoff; the visit
meanwhile holds a fail-closed system decision.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from compliance import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(services.CheckFailed, OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def check_visit(self, visit_id: int) -> int | None:  # type: ignore[no-untyped-def]
    decision = services.visit_check(visit_id=visit_id)
    return decision.pk if decision else None


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(services.CheckFailed, OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def check_visits(self, visit_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    return len(services.visits_check(visit_ids=visit_ids))


@shared_task(acks_late=True)
def sweep_unchecked_visits() -> int:
    from config.health import beat_heartbeat

    beat_heartbeat()  # beat schedules this every minute: its run proves beat is alive
    return services.visits_sweep_unchecked()


@shared_task(acks_late=True)
def pre_travel_recheck() -> int:
    return services.visits_pre_travel_recheck()


@shared_task
def noop() -> None:
    """Does nothing: the floor of the end-to-end benchmark (broker and pool overhead)."""


from compliance.reports.tasks import weekly_audit_report  # noqa: E402,F401  (registers the report task)
