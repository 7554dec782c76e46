"""GET /api/v1/reports/weekly/ and /api/v1/reports/weekly/{yyyy-Www}/, and the admin listing."""

from __future__ import annotations

import io
import zipfile

import pytest
from rest_framework.test import APIClient

from compliance.models import AuditReport
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_an_auditor_gets_a_week_as_json_csv_and_pdf(activity):
    c = client_for(activity.users["auditor"])
    r = c.get("/api/v1/reports/weekly/2026-W45/")
    assert r.status_code == 200, r.content
    body = r.json()
    report = AuditReport.objects.get(week="2026-W45")
    assert body["week"] == "2026-W45"
    assert body["content_hash"] == report.content_hash
    assert body["content"]["visits_filed"]["total"] == 6
    assert body["notice"] == "Decision support, not legal advice."
    assert c.get("/api/v1/reports/weekly/2026-W45/?format=json").json() == body

    r = c.get("/api/v1/reports/weekly/2026-W45/?format=csv")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/zip"
    assert 'filename="audit-report-2026-W45-csv.zip"' in r["Content-Disposition"]
    assert (
        "audit-report-2026-W45/approvals.csv" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    )

    r = c.get("/api/v1/reports/weekly/2026-W45/?format=pdf")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r["X-Content-Hash"] == report.content_hash


def test_an_approver_lists_the_stored_reports_with_their_downloads(activity):
    c = client_for(activity.users["approver"])
    c.get("/api/v1/reports/weekly/2026-W45/")
    r = c.get("/api/v1/reports/weekly/")
    assert r.status_code == 200
    (row,) = r.json()["results"]
    assert row["week"] == "2026-W45"
    assert row["content_hash"] == AuditReport.objects.get().content_hash
    assert row["downloads"]["pdf"].endswith("/api/v1/reports/weekly/2026-W45/?format=pdf")


def test_service_managers_get_403_and_anonymous_users_401(activity):
    manager = client_for(activity.users["manager"])
    for url in ("/api/v1/reports/weekly/", "/api/v1/reports/weekly/2026-W45/?format=pdf"):
        r = manager.get(url)
        assert r.status_code == 403
        assert "auditors and approvers" in r.json()["message"]
        assert APIClient().get(url).status_code == 401
    assert not AuditReport.objects.exists()


def test_a_malformed_or_unknown_format_request_is_a_400_and_a_future_week_a_404(activity):
    c = client_for(activity.users["auditor"])
    r = c.get("/api/v1/reports/weekly/2026-45/")
    assert r.status_code == 400
    assert "week" in r.json()["errors"]
    assert "YYYY-Www" in r.json()["message"]
    r = c.get("/api/v1/reports/weekly/2099-W01/")
    assert r.status_code == 404
    assert "in the future" in r.json()["message"]
    assert "week" in r.json()["errors"]
    r = c.get("/api/v1/reports/weekly/2026-W45/?format=docx")
    assert r.status_code == 400
    assert "format" in r.json()["errors"]
    assert not AuditReport.objects.exists()


def test_the_admin_lists_reports_read_only_with_downloads_for_auditors(activity, client):
    from compliance.reports.services import report_weekly_generate

    report = report_weekly_generate(week=activity.week).report
    client.force_login(activity.users["auditor"])
    r = client.get("/admin/compliance/auditreport/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "2026-W45" in html
    download = f"/admin/compliance/auditreport/{report.pk}/download/pdf/"
    assert download in html
    assert "/admin/compliance/auditreport/add/" not in html
    r = client.get(download)
    assert r.status_code == 200
    assert r.content.startswith(b"%PDF")
    r = client.get(f"/admin/compliance/auditreport/{report.pk}/change/")
    assert r.status_code == 200
    assert report.content_hash in r.content.decode()
    assert client.post(f"/admin/compliance/auditreport/{report.pk}/delete/").status_code == 403


def test_the_admin_hides_reports_from_service_managers(activity, client):
    from compliance.reports.services import report_weekly_generate

    report = report_weekly_generate(week=activity.week).report
    client.force_login(activity.users["manager"])
    assert client.get("/admin/compliance/auditreport/").status_code == 403
    r = client.get(f"/admin/compliance/auditreport/{report.pk}/download/pdf/")
    assert r.status_code == 403


def test_the_schema_documents_the_report_endpoints(activity):
    r = client_for(make_user("reader", role="auditor")).get("/api/schema/")
    assert r.status_code == 200
    assert b"/api/v1/reports/weekly/{week}/" in r.content
