"""Reads of the weekly audit reports, and who may read them (auditors and approvers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from compliance.models import AuditEvent, AuditReport
from config.errors import NotFound, PermissionDenied
from dispatch import roles
from dispatch.models import Visit


def can_read_reports(user: Any) -> bool:
    return (
        roles.is_superuser(user)
        or roles.has_role(user, roles.Role.AUDITOR)
        or roles.has_role(user, roles.Role.APPROVER)
    )


def report_reader_check(user: Any) -> None:
    if not can_read_reports(user):
        raise PermissionDenied("Only auditors and approvers may read the weekly audit reports.")


def report_list(*, user: Any) -> QuerySet[AuditReport]:
    report_reader_check(user)
    return AuditReport.objects.defer("html", "pdf", "csv_zip", "content").order_by("-period_start")


def report_get(*, user: Any, week: str) -> AuditReport:
    report_reader_check(user)
    report = AuditReport.objects.filter(week=week).first()
    if report is None:
        raise NotFound(f"No weekly audit report for {week}.")
    return report


def report_stored(*, week: str) -> AuditReport | None:
    """The stored report of the week labelled ``week`` (e.g. "2026-W47"), if there is one."""
    return AuditReport.objects.filter(week=week).first()


def report_first_activity_at() -> dt.datetime | None:
    """When the product first recorded anything: the earliest audit event, or the earliest filed
    visit when there are no audit events; ``None`` when there is neither."""
    first = AuditEvent.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        first = Visit.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return first
