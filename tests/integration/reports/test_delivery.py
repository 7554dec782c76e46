"""Schedule and delivery: the beat entry, the Monday task, one email per auditor with the PDF."""

from __future__ import annotations

import datetime as dt
import pickle
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail

from compliance.models import AuditReport
from compliance.reports.schedule import ZonedCrontab
from compliance.reports.tasks import weekly_audit_report
from config.celery_app import app

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def test_the_beat_schedule_runs_the_report_task_every_monday_at_six_in_the_report_time_zone():
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-audit-report"]
    assert entry["task"] == "compliance.reports.tasks.weekly_audit_report"
    assert app.tasks[entry["task"]].name == weekly_audit_report.name
    schedule = entry["schedule"]
    assert isinstance(schedule, ZonedCrontab)
    assert schedule.time_zone == settings.REPORT_TIME_ZONE == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("last_run", "now", "next_run"),
    [
        # Winter (CET, UTC+1): Monday 06:00 is 05:00 UTC.
        ("2026-11-16T06:00", "2026-11-22T12:00", "2026-11-23T06:00"),
        # Summer (CEST, UTC+2): Monday 06:00 is 04:00 UTC.
        ("2026-06-08T06:00", "2026-06-14T12:00", "2026-06-15T06:00"),
        # Across the end of summer time (Sunday 25 October 2026).
        ("2026-10-19T06:00", "2026-10-25T12:00", "2026-10-26T06:00"),
    ],
)
def test_the_schedule_is_due_on_monday_at_six_local_time_summer_and_winter(last_run, now, next_run):
    schedule = ZonedCrontab(minute=0, hour=6, day_of_week="mon", time_zone="Europe/Amsterdam")
    last = dt.datetime.fromisoformat(last_run).replace(tzinfo=AMS)
    current = dt.datetime.fromisoformat(now).replace(tzinfo=AMS)
    expected = dt.datetime.fromisoformat(next_run).replace(tzinfo=AMS)
    schedule.nowfun = lambda: current
    remaining = schedule.remaining_estimate(last)
    assert current + remaining == expected
    assert (current + remaining).astimezone(dt.UTC) == expected.astimezone(dt.UTC)
    schedule.nowfun = lambda: expected + dt.timedelta(seconds=1)
    assert schedule.is_due(last)[0] is True


def test_the_zoned_schedule_survives_the_beat_schedule_file():
    schedule = ZonedCrontab(minute=0, hour=6, day_of_week="mon", time_zone="Europe/Amsterdam")
    restored = pickle.loads(pickle.dumps(schedule))  # noqa: S301  (beat's own shelve format)
    assert restored == schedule
    assert restored.time_zone == "Europe/Amsterdam"


def test_the_task_run_for_a_week_sends_one_email_with_the_pdf_to_each_auditor(activity):
    mail.outbox.clear()
    result = weekly_audit_report.delay("2026-W45").get()
    assert result["week"] == "2026-W45"
    assert result["emails_sent"] == 2
    report = AuditReport.objects.get(week="2026-W45")
    assert result["content_hash"] == report.content_hash
    assert sorted(m.to[0] for m in mail.outbox) == ["auditor2@example.com", "auditor@example.com"]
    assert all(len(m.to) == 1 for m in mail.outbox)
    for message in mail.outbox:
        assert "2026-W45" in message.subject
        assert report.content_hash in message.body
        assert "Decision support, not legal advice." in message.body
        ((name, content, mimetype),) = message.attachments
        assert name == "audit-report-2026-W45.pdf"
        assert mimetype == "application/pdf"
        assert content == bytes(report.pdf) and content.startswith(b"%PDF")
    assert report.emailed_hash == report.content_hash
    assert sorted(report.emailed_to) == ["auditor2@example.com", "auditor@example.com"]


def test_running_the_task_again_for_the_same_week_sends_nothing(activity):
    weekly_audit_report.delay("2026-W45").get()
    mail.outbox.clear()
    assert weekly_audit_report.delay("2026-W45").get()["emails_sent"] == 0
    assert mail.outbox == []


def test_approvers_managers_and_inactive_or_emailless_auditors_get_no_email(activity):
    from tests.factories import make_user

    gone = make_user("auditor.gone", role="auditor")
    gone.is_active = False
    gone.save()
    silent = make_user("auditor.silent", role="auditor")
    silent.email = ""
    silent.save()
    mail.outbox.clear()
    weekly_audit_report.delay("2026-W45").get()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["auditor2@example.com", "auditor@example.com"]


def test_without_a_week_the_task_reports_on_the_previous_week(db, settings):
    from django.utils import timezone

    settings.AUDIT_REPORT = {**settings.AUDIT_REPORT, "TIME_ZONE": "Europe/Amsterdam"}

    from compliance.reports.weeks import previous_week

    expected = previous_week(timezone.now(), "Europe/Amsterdam")
    result = weekly_audit_report.delay().get()
    assert result["week"] == expected.label
    assert AuditReport.objects.filter(week=expected.label).exists()
