"""Writes of the weekly audit report: generate and store a week's report, email it to the auditors.

Idempotent per week: ``report_weekly_generate`` stores one ``AuditReport`` row per ISO week and
re-renders it only when the content hash changed; ``report_weekly_deliver`` emails a given content
hash once (a redelivered task message, or a second run, sends nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.audit import audit_chain_verify
from compliance.models import AuditReport
from compliance.reports import render, selectors, tables
from compliance.reports.content import content_hash, report_content_build, report_settings
from compliance.reports.weeks import (
    ReportWeek,
    WeekError,
    WeekNotFound,
    parse_week,
    previous_week,
    week_containing,
)
from config.errors import ApplicationError, NotFound

logger = logging.getLogger(__name__)

FORMATS = ("json", "html", "csv", "pdf")
CONTENT_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "csv": "application/zip",
    "pdf": "application/pdf",
}
FILE_SUFFIXES = {"json": ".json", "html": ".html", "csv": "-csv.zip", "pdf": ".pdf"}


def report_time_zone() -> str:
    return str(report_settings()["TIME_ZONE"])


def report_week_parse(text: str | None, *, now: dt.datetime | None = None) -> ReportWeek:
    """A complete ISO week in the report time zone (the previous week when ``text`` is empty).

    Raises ``ApplicationError`` (naming the field ``week``) for a malformed label, and its
    ``NotFound`` kind for a week that does not exist or has not ended."""
    now = now or timezone.now()
    tz = report_time_zone()
    if not text:
        return previous_week(now, tz)
    try:
        return parse_week(text, tz, now=now)
    except WeekNotFound as exc:
        raise NotFound(str(exc), errors={"week": [str(exc)]}) from exc
    except WeekError as exc:
        raise ApplicationError(str(exc), errors={"week": [str(exc)]}) from exc


def report_retention_weeks() -> int:
    return int(settings.REPORT_RETENTION_WEEKS)


def report_week_generation_check(*, week: ReportWeek, now: dt.datetime | None = None) -> None:
    """Raise ``NotFound`` (naming the field ``week``) unless a report may be generated for
    ``week`` (an ended week, as ``report_week_parse`` gives): it is not before the week of the
    first recorded activity, and it is within the retention period (``REPORT_RETENTION_WEEKS``
    back from the current week)."""
    now = now or timezone.now()

    def refuse(message: str) -> NotFound:
        return NotFound(message, errors={"week": [message]})

    retention = report_retention_weeks()
    current = week_containing(now, week.time_zone)
    oldest = week_containing(
        current.starts_at - dt.timedelta(weeks=retention) + dt.timedelta(hours=12), week.time_zone
    )
    if week.first_day < oldest.first_day:
        raise refuse(
            f"{week.label} is older than the retention period of {retention} weeks: the oldest "
            f"week a report can be generated for is {oldest.label}."
        )
    first_at = selectors.report_first_activity_at()
    if first_at is None:
        raise refuse(f"Nothing has been recorded yet: there is no report for {week.label}.")
    first = week_containing(first_at, week.time_zone)
    if week.first_day < first.first_day:
        raise refuse(
            f"{week.label} is before the first recorded activity (in {first.label}): the "
            f"earliest week a report can be generated for is {first.label}."
        )


def report_weekly_serve(
    *, week: ReportWeek, before_generating: Callable[[], None] | None = None
) -> AuditReport:
    """A reader's report of ``week``: the stored one whatever its age, else one generated now if
    the week may have one (``report_week_generation_check``). ``before_generating`` runs just
    before a generation (the API counts it against the reader's limit there)."""
    stored = selectors.report_stored(week=week.label)
    if stored is not None:
        return stored
    report_week_generation_check(week=week)
    if before_generating is not None:
        before_generating()
    return report_weekly_generate(week=week).report


def report_meta(report: AuditReport) -> render.ReportMeta:
    return render.ReportMeta(
        content_hash=report.content_hash,
        generated_at=report.generated_at,
        generation=dict(report.generation or {}),
    )


def report_format_check(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ApplicationError(
            f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.",
            errors={"format": [f"Choose one of {', '.join(FORMATS)}."]},
        )
    return fmt


def report_file(report: AuditReport, fmt: str) -> tuple[bytes, str, str]:
    """``(bytes, content type, file name)`` of one format of a stored report."""
    report_format_check(fmt)
    if fmt == "json":
        data = render.render_json(report.content, report_meta(report))
    elif fmt == "html":
        data = report.html.encode()
    elif fmt == "csv":
        data = bytes(report.csv_zip)
    else:
        data = bytes(report.pdf)
    return data, CONTENT_TYPES[fmt], f"audit-report-{report.week}{FILE_SUFFIXES[fmt]}"


@dataclass(frozen=True)
class Generation:
    report: AuditReport
    created: bool
    changed: bool  # the week had a report with another hash before

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.changed


def report_weekly_generate(*, week: ReportWeek, now: dt.datetime | None = None) -> Generation:
    """Build the week's content; store it with its renderings unless the stored hash is the same.

    The content (and so the hash) is a function of the records of the week and the audit chain's
    verdict only: running this twice gives the same hash unless that data changed.
    """
    chain = audit_chain_verify()
    content = report_content_build(week=week, chain=chain)
    digest = content_hash(content)
    stored = AuditReport.objects.filter(week=week.label).first()
    if stored is not None and stored.content_hash == digest:
        return Generation(stored, created=False, changed=False)
    meta = render.ReportMeta(
        content_hash=digest,
        generated_at=now or timezone.now(),
        generation={"audit_events_checked": chain.events_checked},
    )
    html = render.render_html(content, meta, top_rules=int(report_settings()["TOP_RULES"]))
    fields: dict[str, Any] = {
        "period_start": week.starts_at,
        "period_end": week.ends_at,
        "time_zone": week.time_zone,
        "generated_at": meta.generated_at,
        "content_hash": digest,
        "content": content,
        "generation": meta.generation,
        "html": html,
        "pdf": render.render_pdf(html),
        "csv_zip": tables.render_csv_zip(content, meta),
    }
    try:
        with transaction.atomic():
            locked = AuditReport.objects.select_for_update().filter(week=week.label).first()
            if locked is None:
                return Generation(
                    AuditReport.objects.create(week=week.label, **fields),
                    created=True,
                    changed=False,
                )
            if locked.content_hash == digest:
                return Generation(locked, created=False, changed=False)
            previous = {
                "content_hash": locked.content_hash,
                "generated_at": locked.generated_at.isoformat(),
            }
            logger.warning(
                "The content of audit report %s changed: %s → %s",
                week.label,
                locked.content_hash[:12],
                digest[:12],
            )
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.previous_hashes = [*(locked.previous_hashes or []), previous]
            locked.save()
            return Generation(locked, created=False, changed=True)
    except IntegrityError:
        # Another run created the week's row meanwhile: theirs stands (same data, same hash).
        return Generation(AuditReport.objects.get(week=week.label), created=False, changed=False)


def report_recipients() -> list[Any]:
    """Active members of the auditor group (``AUDIT_REPORT["RECIPIENT_GROUP"]``) with an email."""
    group = report_settings()["RECIPIENT_GROUP"]
    return list(
        get_user_model()
        .objects.filter(groups__name=group, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def _message(report: AuditReport, user: Any, pdf: bytes) -> EmailMessage:
    content = report.content
    period = render.period_text(content)
    context = {
        "report": report,
        "c": content,
        "user": user,
        "period_text": period,
        "site_url": settings.SITE_URL.rstrip("/"),
        "notice": content.get("notice", ""),
    }
    message = EmailMessage(
        subject=f"Weekly audit report {report.week} ({period})",
        body=render_to_string("reports/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach(f"audit-report-{report.week}.pdf", pdf, "application/pdf")
    return message


def report_weekly_deliver(
    *, week: ReportWeek, report: AuditReport | None = None
) -> tuple[AuditReport, int]:
    """Email the week's report (generated first unless ``report`` is given), PDF attached, to each
    auditor — once per content hash. Returns the report and the number of emails sent."""
    report = report or report_weekly_generate(week=week).report
    with transaction.atomic():
        locked = AuditReport.objects.select_for_update().get(pk=report.pk)
        if locked.emailed_hash == locked.content_hash:
            return locked, 0
        recipients = report_recipients()
        if not recipients:
            logger.warning("Audit report %s: nobody in the auditor group has an email", week.label)
            return locked, 0
        pdf = bytes(locked.pdf)
        messages = [_message(locked, user, pdf) for user in recipients]
        sent = get_connection().send_messages(messages) or 0
        locked.emailed_at = timezone.now()
        locked.emailed_hash = locked.content_hash
        locked.emailed_to = [u.email for u in recipients]
        locked.save(update_fields=["emailed_at", "emailed_hash", "emailed_to"])
    return locked, sent


def report_weekly_run(*, week: str | None = None) -> dict[str, Any]:
    """What the Monday task does: report on ``week`` (default: the previous week) and email it."""
    target = report_week_parse(week)
    report, sent = report_weekly_deliver(week=target)
    return {"week": report.week, "content_hash": report.content_hash, "emails_sent": sent}
