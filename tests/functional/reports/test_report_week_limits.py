"""Which weeks GET /api/v1/reports/weekly/{yyyy-Www}/ may generate a report for (ended, not
before the first recorded activity, within the retention period), the 404s that say why not,
and the limit on generating (reading a stored report is not counted)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import AuditReport
from compliance.reports.services import report_weekly_generate
from compliance.reports.weeks import ReportWeek, week_containing
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/weekly/{}/"


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _refused(r, status: int, *words: str) -> None:
    assert r.status_code == status, r.content
    body = r.json()
    assert set(body) == {"message", "errors"}
    assert list(body["errors"]) == ["week"]
    for word in words:
        assert word in body["message"], body["message"]


def _weeks_back(week: ReportWeek) -> int:
    current = week_containing(timezone.now(), week.time_zone)
    return (current.first_day - week.first_day).days // 7


def test_weeks_that_cannot_have_a_report_answer_404_naming_the_week_and_store_nothing(activity):
    c = client_for(activity.users["auditor"])
    current = week_containing(timezone.now(), "Europe/Amsterdam")
    _refused(c.get(URL.format(current.label)), 404, current.label, "has not ended yet")
    _refused(c.get(URL.format("2026-W60")), 404, "does not exist", "01 to 53")
    # The first audit event is on Fri 30 Oct 2026, in 2026-W44.
    _refused(c.get(URL.format("2026-W43")), 404, "before the first recorded activity", "2026-W44")
    _refused(c.get(URL.format("2001-W10")), 404, "older than the retention period of 520 weeks")
    assert not AuditReport.objects.exists()


def test_a_malformed_week_stays_a_400_naming_the_week(activity):
    _refused(client_for(activity.users["auditor"]).get(URL.format("abc")), 400, "YYYY-Www")


def test_the_week_of_the_first_recorded_activity_is_generated(activity):
    r = client_for(activity.users["auditor"]).get(URL.format("2026-W44"))
    assert r.status_code == 200, r.content
    assert AuditReport.objects.filter(week="2026-W44").exists()


def test_a_week_older_than_the_retention_period_is_a_404_and_the_oldest_one_is_served(
    activity, settings
):
    c = client_for(activity.users["auditor"])
    back = _weeks_back(activity.week)
    settings.REPORT_RETENTION_WEEKS = back - 1
    _refused(c.get(URL.format("2026-W45")), 404, "retention period", f"{back - 1} weeks")
    assert not AuditReport.objects.exists()
    settings.REPORT_RETENTION_WEEKS = back
    assert c.get(URL.format("2026-W45")).status_code == 200
    assert AuditReport.objects.filter(week="2026-W45").exists()


def test_a_stored_report_is_served_whatever_its_age(activity, settings):
    old = ReportWeek(2001, 10, "Europe/Amsterdam")
    report = report_weekly_generate(week=old).report
    settings.REPORT_RETENTION_WEEKS = 1
    r = client_for(activity.users["auditor"]).get(URL.format("2001-W10") + "?format=csv")
    assert r.status_code == 200
    assert r["X-Content-Hash"] == report.content_hash


def test_without_any_recorded_activity_no_week_is_generated(db):
    r = client_for(make_user("reader", role="auditor")).get(URL.format("2026-W45"))
    _refused(r, 404)
    assert not AuditReport.objects.exists()


def test_generating_is_throttled_but_reading_a_stored_report_is_not(activity, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "report_generation": "2/hour",
        },
    }
    c = client_for(activity.users["auditor"])
    assert c.get(URL.format("2026-W45")).status_code == 200  # generated: 1 of 2
    for fmt in ("json", "csv", "pdf", "html"):
        assert c.get(URL.format("2026-W45") + f"?format={fmt}").status_code == 200  # stored
    assert c.get(URL.format("2026-W46")).status_code == 200  # generated: 2 of 2
    r = c.get(URL.format("2026-W44"))
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    assert set(r.json()) == {"message", "errors"}
    assert not AuditReport.objects.filter(week="2026-W44").exists()
    assert c.get(URL.format("2026-W46")).status_code == 200  # stored: still served
    # A week that cannot be generated answers 404, not 429, and is not counted either.
    _refused(c.get(URL.format("2026-W43")), 404, "before the first recorded activity")
    # The limit is per user.
    other = client_for(activity.users["auditor2"])
    assert other.get(URL.format("2026-W44")).status_code == 200


def test_the_schema_documents_the_404_and_429_of_the_week_endpoint(db):
    r = client_for(make_user("reader", role="auditor")).get("/api/schema/?format=json")
    assert r.status_code == 200
    operation = r.json()["paths"]["/api/v1/reports/weekly/{week}/"]["get"]
    assert {"400", "404", "429"} <= set(operation["responses"])
    assert "retention period" in operation["description"]
