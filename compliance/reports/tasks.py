"""The Monday task (beat entry ``weekly-audit-report``): a thin interface to the service."""

from __future__ import annotations

from smtplib import SMTPException
from typing import Any

from celery import shared_task

from compliance.reports import services


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=8,
    soft_time_limit=600,
    time_limit=660,
)
def weekly_audit_report(week: str | None = None) -> dict[str, Any]:
    """Report on ``week`` ("2026-W47"; default: the previous week in the report time zone) and
    email it to the auditors. Idempotent: a second run for the same data sends nothing."""
    return services.report_weekly_run(week=week)
