"""Manager pages: list with filters, new-visit form with errors beside fields, dry run, scoping."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from dispatch.models import Visit
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(rules, sample_list):
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    other = VendorFactory(name="Lam Research Corporation", country="US")
    fab = FacilityFactory(logic_node_nm=28)
    manager = make_user("asml", role="service_manager", vendor=vendor)
    c = Client()
    c.force_login(manager)
    return {
        "client": c,
        "vendor": vendor,
        "fab": fab,
        "mine": EngineerFactory(vendor=vendor, name="Sanne Bakker"),
        "theirs": EngineerFactory(vendor=other, name="David Miller"),
        "my_tool": ToolFactory(facility=fab, oem=vendor, model="TWINSCAN NXT:1980i"),
        "their_tool": ToolFactory(facility=fab, oem=other, model="Kiyo"),
    }


def _form(w, **over):
    start = dt.date.today() + dt.timedelta(days=7)
    data = {
        "facility": w["fab"].pk,
        "engineers": [w["mine"].pk],
        "tools": [w["my_tool"].pk],
        "activity": "maintenance",
        "mode": "on_site",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=1)).isoformat(),
        "purpose": "PM",
    }
    data.update(over)
    return data


def test_the_form_offers_only_the_managers_engineers_and_tools(manager_client):
    body = (
        manager_client["client"]
        .get(f"/visits/new/?facility={manager_client['fab'].pk}")
        .content.decode()
    )
    assert "Sanne Bakker" in body and "David Miller" not in body
    assert "TWINSCAN NXT:1980i" in body and "Kiyo" not in body
    assert '<label for="id_start_date">' in body


def test_filing_a_visit_redirects_to_its_page_with_the_decision(manager_client, committed):
    with committed():
        r = manager_client["client"].post("/visits/new/", _form(manager_client))
    assert r.status_code == 302
    visit = Visit.objects.get()
    page = manager_client["client"].get(r["Location"]).content.decode()
    assert f"Visit #{visit.pk}" in page and 'id="verdict"' in page


def test_errors_are_shown_beside_the_fields_and_nothing_is_saved(manager_client):
    w = manager_client
    r = w["client"].post("/visits/new/", _form(w, end_date="2020-01-01"))
    assert r.status_code == 200
    assert 'id="id_end_date_errors"' in r.content.decode()
    r = w["client"].post("/visits/new/", _form(w, engineers=[w["theirs"].pk]))
    assert r.status_code == 200
    assert 'id="id_engineers_errors"' in r.content.decode()
    assert Visit.objects.count() == 0


def test_the_list_filters_by_status_and_search(manager_client):
    w = manager_client
    w["client"].post("/visits/new/", _form(w, purpose="Lens calibration"))
    visit = Visit.objects.get()
    body = w["client"].get("/?q=Lens").content.decode()  # the search covers the purpose
    assert f'href="/visits/{visit.pk}/"' in body
    body = w["client"].get(f"/?status={visit.status}").content.decode()
    assert f'href="/visits/{visit.pk}/"' in body
    assert "No visits match." in w["client"].get("/?q=nothing-like-this").content.decode()
    assert "No visits match." in w["client"].get("/?status=rejected").content.decode()


def test_a_manager_gets_404_for_another_vendors_visit_page(manager_client, rules):
    lam_vendor = manager_client["theirs"].vendor
    lam = make_user("lam", role="service_manager", vendor=lam_vendor)
    c = Client()
    c.force_login(lam)
    start = dt.date.today() + dt.timedelta(days=5)
    from dispatch import services

    visit = services.visit_create(
        requested_by=lam,
        vendor=lam_vendor.pk,
        facility=manager_client["fab"].pk,
        engineers=[manager_client["theirs"].pk],
        activity="repair",
        start_date=start,
        end_date=start,
    )
    assert manager_client["client"].get(f"/visits/{visit.pk}/").status_code == 404
    assert manager_client["client"].get(f"/visits/{visit.pk}/status/").status_code == 404


def test_the_dry_run_page_decides_without_storing(manager_client):
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
            "logic_node_nm": 7,
            "non_planar": True,
        },
        "tools": [{"model": "T", "classifications": {"US": []}}],
        "engineers": [
            {
                "name": "Jan de Vries",
                "citizenships": ["NL"],
                "permanent_residencies": [{"country": "US", "since": "2019-03-01"}],
            }
        ],
    }
    c = manager_client["client"]
    body = c.post("/checks/dry-run/", {"document": json.dumps(doc)}).content.decode()
    assert "744.6(c)(2)" in body
    doc["facility"]["country"] = "XX"
    body = c.post("/checks/dry-run/", {"document": json.dumps(doc)}).content.decode()
    assert "facility.country" in body
    assert Visit.objects.count() == 0
