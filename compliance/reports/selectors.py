"""Reads of the weekly audit reports, and who may read them (auditors and approvers)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from compliance.models import AuditReport
from config.errors import NotFound, PermissionDenied
from dispatch import roles


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
