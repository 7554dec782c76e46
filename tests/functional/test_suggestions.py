"""Suggestions: the vendor's other engineers who would clear a held visit, computed in one batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_visit(rules, sample_list, committed):
    # A Dutch vendor (not a U.S. person) and a tool no jurisdiction lists: only the engineer holds it.
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    tool = ToolFactory(
        facility=fab,
        oem=vendor,
        model="TWINSCAN NXT:1470",
        classifications={"US": [], "NL": []},
        subject_to_ear=False,
    )
    us = EngineerFactory(
        vendor=vendor, name="Pieter Jansen", citizenships=["NL", "US"], home_country="NL"
    )
    # Candidates: who clears and who does not.
    EngineerFactory(vendor=vendor, name="Tan Mei Ling", citizenships=["SG"], home_country="SG")
    EngineerFactory(vendor=vendor, name="Sanne Bakker", citizenships=["NL"], home_country="NL")
    EngineerFactory(vendor=vendor, name="Ana Garcia", citizenships=["US", "MX"], home_country="US")
    EngineerFactory(
        vendor=vendor,
        name="Maria Lopez",
        citizenships=["MX"],
        residencies=[("US", dt.date(2015, 1, 1), None)],
        home_country="MX",
    )
    EngineerFactory(
        vendor=vendor,
        name="Inactive Person",
        citizenships=["SG"],
        home_country="SG",
        is_active=False,
    )
    EngineerFactory(vendor=VendorFactory(), name="Other Vendor", citizenships=["SG"])
    start = dt.date.today() + dt.timedelta(days=9)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[us.pk],
            tools=[tool.pk],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=1),
        )
    visit.refresh_from_db()
    rules_fired = {f.rule_code for f in visit.current_decision.findings.all()}
    assert visit.status == VisitStatus.ON_HOLD
    assert rules_fired and all(code.startswith("US-EAR-744.6") for code in rules_fired), rules_fired
    return visit, manager


def test_suggestions_list_only_engineers_who_would_clear_and_filing_with_the_first_clears(
    held_visit, committed
):
    visit, manager = held_visit
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get(f"/api/v1/visits/{visit.pk}/suggestions/").json()
    names = [c["name"] for c in body["candidates"]]
    assert names == ["Sanne Bakker", "Tan Mei Ling"]
    assert all(c["outcome"] == "clear" and c["reason"] for c in body["candidates"])

    first = body["candidates"][0]["engineer"]
    with committed():
        r = api.post(
            "/api/v1/visits/",
            {
                "vendor": visit.vendor_id,
                "facility": visit.facility_id,
                "engineers": [first],
                "tools": list(visit.tools.values_list("pk", flat=True)),
                "activity": visit.activity,
                "start_date": visit.start_date.isoformat(),
                "end_date": visit.end_date.isoformat(),
            },
            format="json",
        )
    assert r.status_code == 201
    assert Visit.objects.get(pk=r.json()["id"]).status == VisitStatus.CLEARED


def test_suggestions_take_a_fixed_number_of_queries_whatever_the_number_of_candidates(held_visit):
    from compliance.services import visit_suggestions

    visit, _manager = held_visit
    with CaptureQueriesContext(connection) as few:
        visit_suggestions(visit=visit)
    for i in range(20):
        EngineerFactory(vendor=visit.vendor, name=f"Candidate {i}", citizenships=["SG", "MY"])
    with CaptureQueriesContext(connection) as many:
        visit_suggestions(visit=visit)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_visit_page_shows_the_decision_and_the_suggestion(held_visit, client):
    visit, manager = held_visit
    client.force_login(manager)
    body = client.get(f"/visits/{visit.pk}/").content.decode()
    assert "744.6(c)(2)" in body
    assert "Engineers who would clear this visit" in body
    assert "Sanne Bakker" in body and "Tan Mei Ling" in body


def test_another_vendors_manager_gets_404_for_suggestions(held_visit):
    visit, _ = held_visit
    api = APIClient()
    api.force_authenticate(make_user("other", role="service_manager", vendor=VendorFactory()))
    assert api.get(f"/api/v1/visits/{visit.pk}/suggestions/").status_code == 404
