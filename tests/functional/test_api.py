"""REST API v1 (DESIGN sec. 9): auth, scoping, errors as {"message", "errors"}."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from dispatch.models import Visit

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _visit_body(
    w, vendor="lam", engineer="lam_engineer", tools=("lam_tool",), facility="fab", **kw
):
    start = dt.date.today() + dt.timedelta(days=10)
    return {
        "vendor": w[vendor].pk,
        "facility": w[facility].pk,
        "engineers": [w[engineer].pk],
        "tools": [w[t].pk for t in tools],
        "activity": "maintenance",
        "mode": "on_site",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=2)).isoformat(),
        "purpose": "PM",
        **kw,
    }


def test_token_auth_issues_a_token_for_valid_credentials(world):
    c = APIClient()
    r = c.post(
        "/api/v1/auth/token/",
        {"username": "lam.manager", "password": "pw-lam.manager"},
        format="json",
    )
    assert r.status_code == 200
    token = r.json()["token"]
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert c.get("/api/v1/visits/").status_code == 200


def test_unauthenticated_requests_get_401_with_the_error_shape(world):
    r = APIClient().get("/api/v1/visits/")
    assert r.status_code == 401
    assert set(r.json()) == {"message", "errors"}


def test_a_manager_files_a_visit_and_sees_its_status_and_decision(world, committed):
    c = client_for(world["lam_manager"])
    with committed():
        r = c.post("/api/v1/visits/", _visit_body(world), format="json")
    assert r.status_code == 201, r.json()
    body = c.get(f"/api/v1/visits/{r.json()['id']}/").json()
    assert body["status"] == "on_hold"
    assert body["decision"]["outcome"] == "licence_required"
    assert any("15 CFR 744.6(c)(2)" in f["citation"] for f in body["decision"]["findings"])


def test_a_bad_visit_gets_400_naming_the_field_and_writes_nothing(world):
    c = client_for(world["lam_manager"])
    before = AuditEvent.objects.count()
    r = c.post("/api/v1/visits/", _visit_body(world, engineer="asml_engineer"), format="json")
    assert r.status_code == 400
    assert "engineers" in r.json()["errors"]
    r = c.post("/api/v1/visits/", {**_visit_body(world), "end_date": "2020-01-01"}, format="json")
    assert r.status_code == 400
    assert "end_date" in r.json()["errors"]
    r = c.post("/api/v1/visits/", {**_visit_body(world), "colour": "red"}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"] == {"colour": ["Unknown field."]}
    assert Visit.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_manager_gets_404_for_another_vendors_visit_engineer_and_tool(world):
    lam = client_for(world["lam_manager"])
    visit_id = lam.post("/api/v1/visits/", _visit_body(world), format="json").json()["id"]
    asml = client_for(world["asml_manager"])
    assert asml.get(f"/api/v1/visits/{visit_id}/").status_code == 404
    assert asml.get(f"/api/v1/visits/{visit_id}/history/").status_code == 404
    assert asml.post(f"/api/v1/visits/{visit_id}/cancel/", {}, format="json").status_code == 404
    assert asml.get(f"/api/v1/engineers/{world['lam_engineer'].pk}/").status_code == 404
    assert asml.get(f"/api/v1/tools/{world['lam_tool'].pk}/").status_code == 404
    listed = asml.get("/api/v1/visits/").json()
    assert listed["count"] == 0


def test_an_auditor_reads_everything_and_every_write_gets_403(world):
    lam = client_for(world["lam_manager"])
    visit_id = lam.post("/api/v1/visits/", _visit_body(world), format="json").json()["id"]
    auditor = client_for(world["auditor"])
    assert auditor.get(f"/api/v1/visits/{visit_id}/").status_code == 200
    before = AuditEvent.objects.count()
    writes = [
        ("/api/v1/visits/", _visit_body(world)),
        (f"/api/v1/visits/{visit_id}/cancel/", {}),
        (f"/api/v1/visits/{visit_id}/approve/", {"justification": "looks fine to me"}),
        (f"/api/v1/visits/{visit_id}/reject/", {"justification": "looks wrong to me"}),
        (f"/api/v1/visits/{visit_id}/recheck/", {}),
        ("/api/v1/vendors/", {"name": "X GmbH", "country": "DE"}),
        (
            "/api/v1/engineers/",
            {"vendor": world["lam"].pk, "name": "X", "employee_id": "X1", "home_country": "US"},
        ),
    ]
    for url, body in writes:
        r = auditor.post(url, body, format="json")
        assert r.status_code == 403, (url, r.status_code, r.json())
        assert r.json()["message"]
    assert AuditEvent.objects.count() == before


def test_visit_list_filters_by_status_facility_vendor_and_dates(world, committed):
    lam = client_for(world["lam_manager"])
    with committed():
        held = lam.post("/api/v1/visits/", _visit_body(world), format="json").json()["id"]
    with committed():
        cleared = lam.post(
            "/api/v1/visits/", _visit_body(world, facility="mature", tools=()), format="json"
        ).json()["id"]
    approver = client_for(world["approver"])
    ids = lambda q: [v["id"] for v in approver.get("/api/v1/visits/" + q).json()["results"]]  # noqa: E731
    assert ids("?status=on_hold") == [held]
    assert ids("?status=cleared") == [cleared]
    assert ids(f"?facility={world['mature'].pk}") == [cleared]
    assert set(ids(f"?vendor={world['lam'].pk}")) == {held, cleared}
    assert ids("?start_from=2099-01-01") == []
    r = approver.get("/api/v1/visits/?start_from=not-a-date")
    assert r.status_code == 400 and "start_from" in r.json()["errors"]


def test_dry_run_check_returns_a_decision_and_stores_nothing(world):
    c = client_for(world["lam_manager"])
    doc = {
        "visit": {
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": "2026-12-07",
            "end_date": "2026-12-09",
        },
        "vendor": {"name": "ASML Netherlands B.V.", "country": "NL", "us_branch": False},
        "facility": {
            "name": "Fab",
            "owner": "Example Co",
            "city": "Shanghai",
            "country": "CN",
            "products": ["logic"],
            "logic_node_nm": 28,
            "non_planar": False,
        },
        "tools": [
            {
                "model": "TWINSCAN NXT:1980i",
                "classifications": {"US": ["3B001.f"], "NL": ["3B001.f.4"]},
                "subject_to_ear": False,
            }
        ],
        "engineers": [{"name": "Sanne Bakker", "citizenships": ["NL"]}],
    }
    before = AuditEvent.objects.count()
    r = c.post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "on_hold"
    assert any(f["jurisdiction"] == "NL" for f in r.json()["findings"])
    doc["facility"]["country"] = "XX"
    r = c.post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 400
    assert "facility.country" in r.json()["errors"]
    assert AuditEvent.objects.count() == before


def test_schema_and_docs_are_served(world):
    c = client_for(world["approver"])
    r = c.get("/api/schema/")
    assert r.status_code == 200
    assert b"/approve/" in r.content and b"/api/v1/visits/" in r.content
    assert c.get("/api/docs/").status_code == 200


def test_an_engineers_date_of_birth_is_optional_checked_and_reaches_the_visit_document(
    world, committed
):
    c = client_for(world["lam_manager"])
    body = {
        "vendor": world["lam"].pk,
        "name": "Dana Whitfield",
        "employee_id": "LAM-DOB-1",
        "home_country": "US",
        "citizenships": ["US"],
    }
    before = AuditEvent.objects.count()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for bad in [tomorrow, "1850-01-01", "14/07/1981"]:
        r = c.post("/api/v1/engineers/", {**body, "date_of_birth": bad}, format="json")
        assert r.status_code == 400, r.json()
        assert r.json()["errors"]["date_of_birth"], r.json()
    r = c.post("/api/v1/engineers/", {**body, "date_of_birth": tomorrow}, format="json")
    assert "future" in r.json()["errors"]["date_of_birth"][0]
    assert AuditEvent.objects.count() == before
    r = c.post("/api/v1/engineers/", {**body, "date_of_birth": "1981-07-14"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["date_of_birth"] == "1981-07-14"
    engineer_id = r.json()["id"]
    with committed():
        r = c.post(
            "/api/v1/visits/",
            {**_visit_body(world), "engineers": [engineer_id]},
            format="json",
        )
    assert r.status_code == 201, r.json()
    visit = Visit.objects.get(pk=r.json()["id"])
    assert visit.current_decision.document["engineers"][0]["date_of_birth"] == "1981-07-14"
    # Without one, the document carries no such key at all (old documents stay as they were).
    other = Visit.objects.exclude(pk=visit.pk).filter(decisions__isnull=False).first()
    if other is not None:
        assert all("date_of_birth" not in e for e in other.current_decision.document["engineers"])
    # The dry run takes it too, and names the field when it is not a date.
    doc = {**visit.current_decision.document}
    doc["engineers"] = [{**doc["engineers"][0], "date_of_birth": "14 July 1981"}]
    r = c.post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 400
    assert "engineers[0].date_of_birth" in r.json()["errors"], r.json()
