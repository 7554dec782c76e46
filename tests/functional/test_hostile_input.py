"""Hostile input is refused with a clear 4xx and changes nothing; names are stored verbatim and
rendered escaped on every surface."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from dispatch import services
from dispatch.models import Engineer, Visit
from tests.factories import EngineerFactory, make_user

pytestmark = pytest.mark.django_db

EVIL = "<script>alert('x')</script>'; DROP TABLE dispatch_visit; --"


@pytest.fixture
def world(world, committed):
    """The persona world, with an API client for Lam's service manager; a visit filed here is
    checked (and its requester told) when its filing commits."""
    world["committed"] = committed
    world["api"] = APIClient()
    world["api"].force_authenticate(world.lam_manager)
    return world


def _doc(engineers=None, tools=None):
    return {
        "visit": {
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": "2026-12-07",
            "end_date": "2026-12-09",
        },
        "vendor": {"name": "V", "country": "NL", "us_branch": False},
        "facility": {
            "name": "F",
            "owner": "O",
            "city": "Shanghai",
            "country": "CN",
            "products": ["logic"],
            "logic_node_nm": 28,
            "non_planar": False,
        },
        "tools": tools
        if tools is not None
        else [{"model": "T", "classifications": {"US": []}, "subject_to_ear": False}],
        "engineers": engineers
        if engineers is not None
        else [{"name": "E", "citizenships": ["NL"]}],
    }


def _unchanged(before):
    assert AuditEvent.objects.count() == before
    assert Visit.objects.count() == 0


def test_a_body_over_the_size_limit_gets_413(world, settings):
    before = AuditEvent.objects.count()
    body = json.dumps({"purpose": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10)})
    r = world["api"].post("/api/v1/visits/", body, content_type="application/json")
    assert r.status_code == 413
    assert "larger than" in r.json()["message"]
    _unchanged(before)


def test_deeply_nested_json_gets_400(world):
    before = AuditEvent.objects.count()
    body = "[" * 5000 + "]" * 5000
    r = world["api"].post("/api/v1/checks/", body, content_type="application/json")
    assert r.status_code == 400
    assert "nested deeper" in r.json()["message"]
    _unchanged(before)


def test_a_body_that_is_not_utf8_gets_400(world):
    before = AuditEvent.objects.count()
    r = world["api"].post(
        "/api/v1/visits/", b'{"purpose": "\xff\xfe"}', content_type="application/json"
    )
    assert r.status_code == 400
    assert "UTF-8" in r.json()["message"]
    _unchanged(before)


def test_unknown_fields_are_refused_by_name(world):
    before = AuditEvent.objects.count()
    r = world["api"].post(
        "/api/v1/vendors/", {"name": "X", "country": "DE", "is_admin": True}, format="json"
    )
    assert r.status_code in (400, 403)
    doc = _doc()
    doc["visit"]["priority"] = "urgent"
    r = world["api"].post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 400
    assert any("priority" in k for k in r.json()["errors"])
    _unchanged(before)


def test_a_check_with_ten_thousand_engineers_or_tools_is_refused(world):
    many = [{"name": f"E{i}", "citizenships": ["NL"]} for i in range(10_000)]
    r = world["api"].post("/api/v1/checks/", _doc(engineers=many), format="json")
    assert r.status_code in (400, 413)
    tools = [{"model": f"T{i}", "classifications": {"US": []}} for i in range(10_000)]
    r = world["api"].post("/api/v1/checks/", _doc(tools=tools), format="json")
    assert r.status_code in (400, 413)


def test_dates_out_of_range_and_non_iso_countries_are_refused(world):
    before = AuditEvent.objects.count()
    engineer = EngineerFactory(vendor=world["lam"])
    base = {
        "vendor": world["lam"].pk,
        "facility": world["fab"].pk,
        "engineers": [engineer.pk],
        "activity": "maintenance",
    }
    r = world["api"].post(
        "/api/v1/visits/",
        {**base, "start_date": "0001-01-01", "end_date": "9999-12-31"},
        format="json",
    )
    assert r.status_code == 400 and "start_date" in r.json()["errors"]
    doc = _doc()
    doc["visit"]["end_date"] = "12/09/2026"
    r = world["api"].post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 400 and "visit.end_date" in r.json()["errors"]
    for bad in ("XX", "cn", "CHN", "Z9"):
        r = world["api"].post(
            "/api/v1/engineers/",
            {
                "vendor": world["lam"].pk,
                "name": "A",
                "employee_id": f"id-{bad}",
                "home_country": "US",
                "citizenships": [bad],
            },
            format="json",
        )
        assert r.status_code == 400, (bad, r.json())
        assert any("citizenships" in k for k in r.json()["errors"])
    _unchanged(before)


def _evil_visit(world):
    engineer = services.engineer_create(
        vendor=world["lam"].pk,
        name=EVIL,
        employee_id="evil-1",
        home_country="US",
        citizenships=["US"],
    )
    start = dt.date.today() + dt.timedelta(days=7)
    with world["committed"]():
        visit = services.visit_create(
            requested_by=world["lam_manager"],
            vendor=world["lam"].pk,
            facility=world["fab"].pk,
            engineers=[engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
            purpose=EVIL,
        )
    return engineer, visit


def test_names_with_html_or_sql_are_stored_verbatim(world):
    engineer, visit = _evil_visit(world)
    assert Engineer.objects.get(pk=engineer.pk).name == EVIL
    assert Visit.objects.get(pk=visit.pk).purpose == EVIL
    assert Visit.objects.count() == 1  # the "DROP TABLE" did nothing but be text


def test_names_are_escaped_on_the_manager_pages(world):
    _, visit = _evil_visit(world)
    c = Client()
    c.force_login(world["lam_manager"])
    for url in ("/", f"/visits/{visit.pk}/"):
        body = c.get(url).content.decode()
        assert "<script>alert" not in body
    assert "&lt;script&gt;alert(" in c.get(f"/visits/{visit.pk}/").content.decode()


def test_names_are_escaped_in_the_admin(world):
    engineer, visit = _evil_visit(world)
    c = Client()
    c.force_login(make_user("root", superuser=True))
    for url in (
        f"/admin/dispatch/engineer/{engineer.pk}/change/",
        "/admin/dispatch/engineer/",
        f"/admin/compliance/hold/{visit.pk}/change/",
    ):
        body = c.get(url).content.decode()
        assert "<script>alert(" not in body, url
        assert "&lt;script&gt;alert(" in body, url


def test_names_reach_emails_as_plain_text_not_markup(world):
    mail.outbox.clear()
    _evil_visit(world)
    assert mail.outbox, "the requester is told of the decision"
    message = mail.outbox[0]
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", [])  # no HTML part that could carry markup
