"""Admin of the weekly audit reports: read-only, listed newest first, with downloads.

Visible to auditors, approvers and superusers (checked with the same role test as the API, so no
model permission has to be granted); nothing can be added, changed or deleted here — reports are
made by the Monday task and ``manage.py audit_report``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from compliance.models import AuditReport
from compliance.reports import selectors, services
from compliance.reports.weeks import ReportWeek, WeekError, parse_week

FORMAT_LABELS = {"pdf": "PDF", "html": "HTML", "csv": "CSV (zip)", "json": "JSON"}
# Fixed English abbreviations: strftime's %b follows the process locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def week_dates_label(week: ReportWeek) -> str:
    """``"2026-W49 (30 Nov – 6 Dec 2026)"``: the ISO week and its Monday to Sunday, from the
    calendar week itself (never from a stored instant, whose UTC date may be the Sunday before)."""
    first, last = week.first_day, week.last_day
    end = f"{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year != last.year:
        start = f"{first.day} {MONTHS[first.month - 1]} {first.year}"
    elif first.month != last.month:
        start = f"{first.day} {MONTHS[first.month - 1]}"
    else:
        start = str(first.day)
    dates = f"{start} – {end}"
    return f"{week.label} ({dates})"


def report_week_label(report: AuditReport) -> str:
    try:
        week = parse_week(report.week, report.time_zone or "UTC")
    except WeekError:
        return report.week
    return week_dates_label(week)


@admin.register(AuditReport)
class AuditReportAdmin(admin.ModelAdmin):
    list_display = (
        "week_and_dates",
        "generated_at",
        "short_hash",
        "replay",
        "chain",
        "emailed_at",
        "downloads",
    )
    list_display_links = ("week_and_dates",)
    search_fields = ("week", "content_hash")
    # No date hierarchy on period_start: that instant is Monday 00:00 in the report time zone,
    # which in UTC is still Sunday, so the admin would file each week under the wrong day.
    fields = (
        "week_and_dates",
        "time_zone",
        "generated_at",
        "content_hash",
        "previous_hashes",
        "replay",
        "chain",
        "emailed_at",
        "emailed_to",
        "downloads",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("html", "pdf", "csv_zip")

    # --- Read-only, for auditors and approvers ---------------------------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return selectors.can_read_reports(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return selectors.can_read_reports(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- Columns ---------------------------------------------------------------------------
    @admin.display(description="Week", ordering="period_start")
    def week_and_dates(self, obj: AuditReport) -> str:
        return report_week_label(obj)

    @admin.display(description="Content hash")
    def short_hash(self, obj: AuditReport) -> str:
        return format_html('<code title="{}">{}…</code>', obj.content_hash, obj.content_hash[:16])

    @admin.display(description="Replay sample")
    def replay(self, obj: AuditReport) -> str:
        r = obj.content.get("replay", {})
        if r.get("not_reproduced"):
            return format_html(
                '<strong style="color:#a40e26">{} of {} did not reproduce</strong>',
                r["not_reproduced"],
                r.get("sampled", 0),
            )
        return f"{r.get('reproduced', 0)} / {r.get('sampled', 0)} reproduced"

    @admin.display(description="Audit chain", boolean=True)
    def chain(self, obj: AuditReport) -> bool:
        return bool(obj.content.get("audit_chain", {}).get("verified"))

    @admin.display(description="Downloads")
    def downloads(self, obj: AuditReport) -> str:
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:compliance_auditreport_download", args=[obj.pk, fmt]), label)
                for fmt, label in FORMAT_LABELS.items()
            ),
        )

    # --- Downloads -------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/download/<str:fmt>/",
                self.admin_site.admin_view(self.download_view),
                name="compliance_auditreport_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        if not selectors.can_read_reports(request.user):
            raise PermissionDenied
        if fmt not in services.FORMATS:
            raise Http404("No such format.")
        report = get_object_or_404(AuditReport, pk=pk)
        data, content_type, filename = services.report_file(report, fmt)
        response = HttpResponse(data, content_type=content_type)
        disposition = "inline" if fmt in ("html", "pdf") else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
        return response
