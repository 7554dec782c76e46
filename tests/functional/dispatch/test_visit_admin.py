"""The admin goes through the same services: invalid visits are refused beside the field."""

from __future__ import annotations

import pytest

from dispatch.models import Vendor, Visit
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
    upcoming,
    window,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_setup(rules, client):
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    facility = FacilityFactory()
    engineer = EngineerFactory(vendor=vendor)
    tool = ToolFactory(facility=facility, oem=vendor)
    manager = make_user("manager", role="service_manager", vendor=vendor)
    client.force_login(manager)
    return client, vendor, facility, engineer, tool


def _post(client, vendor, facility, engineers, tools, start=None, end=None):
    first, last = window()
    start, end = start or first.isoformat(), end or last.isoformat()
    return client.post(
        "/admin/dispatch/visit/add/",
        {
            "vendor": vendor.pk,
            "facility": facility.pk,
            "engineers": [e.pk for e in engineers],
            "tools": [t.pk for t in tools],
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": start,
            "end_date": end,
            "purpose": "test",
        },
    )


def _field_errors(response, field):
    form = response.context["adminform"].form
    return form.errors.get(field, [])


def test_admin_creates_a_valid_visit_through_the_service(admin_setup, committed):
    client, vendor, facility, engineer, tool = admin_setup
    with committed():
        response = _post(client, vendor, facility, [engineer], [tool])
    assert response.status_code == 302, response.content[:2000]
    visit = Visit.objects.get()
    assert visit.current_decision is not None


def test_admin_refuses_an_engineer_of_another_vendor(admin_setup):
    client, vendor, facility, _, tool = admin_setup
    stranger = EngineerFactory(vendor=VendorFactory())
    response = _post(client, vendor, facility, [stranger], [tool])
    assert response.status_code == 200
    assert any("No such engineer" in e for e in _field_errors(response, "engineers"))
    assert Visit.objects.count() == 0


def test_admin_refuses_a_tool_of_another_facility(admin_setup):
    client, vendor, facility, engineer, _ = admin_setup
    elsewhere = ToolFactory(facility=FacilityFactory(), oem=vendor)
    response = _post(client, vendor, facility, [engineer], [elsewhere])
    assert response.status_code == 200
    assert any("is not installed at" in e for e in _field_errors(response, "tools"))
    assert Visit.objects.count() == 0


def test_admin_refuses_an_end_date_before_the_start(admin_setup):
    client, vendor, facility, engineer, tool = admin_setup
    start, end = upcoming(9).isoformat(), upcoming(7).isoformat()  # the end first
    response = _post(client, vendor, facility, [engineer], [tool], start=start, end=end)
    assert response.status_code == 200
    assert _field_errors(response, "end_date")
    assert Visit.objects.count() == 0


def test_admin_refuses_an_unknown_country_code(client, db):
    superuser = make_user("root", superuser=True)
    client.force_login(superuser)
    response = client.post("/admin/dispatch/vendor/add/", {"name": "Nowhere GmbH", "country": "XX"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("country")
    assert not Vendor.objects.filter(name="Nowhere GmbH").exists()
