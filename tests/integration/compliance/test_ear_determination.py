"""On the database: a tool's EAR status is derived from its record, and a typed determination is
an override that needs a justification and is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from dispatch import services
from dispatch.models import Tool, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def semes(rules, sample_list):
    vendor = VendorFactory(name="SEMES Co., Ltd.", country="KR")
    return vendor, make_user("semes", role="service_manager", vendor=vendor)


def _file(committed, vendor, manager, facility, tool):
    start = dt.date.today() + dt.timedelta(days=10)
    engineer = EngineerFactory(vendor=vendor, name="Kim Min-jun", citizenships=["KR"])
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[engineer.pk],
            tools=[tool.pk],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=2),
        )
    visit.refresh_from_db()
    return visit


def _post_tool(manager, facility, vendor, **fields):
    client = APIClient()
    client.force_authenticate(manager)
    body = {
        "facility": facility.pk,
        "oem": vendor.pk,
        "model": "Etch KR",
        "serial_number": fields.pop("serial_number", "KR-1"),
        "classifications": {"US": ["3B001.c"]},
        **fields,
    }
    return client.post("/api/v1/tools/", body, format="json")


def test_a_typed_determination_without_a_justification_is_refused_naming_the_field(semes):
    vendor, manager = semes
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    before = (Tool.objects.count(), AuditEvent.objects.count())
    response = _post_tool(manager, fab, vendor, origin="KR", subject_to_ear=False)
    assert response.status_code == 400, response.content
    assert "ear_justification" in response.json()["errors"]
    assert (Tool.objects.count(), AuditEvent.objects.count()) == before
    # A recorded "not subject" needs the origin it rests on (found in review: leaving it blank
    # used to avoid the check of the inputs).
    blank = _post_tool(manager, fab, vendor, subject_to_ear=False, ear_justification="We say so.")
    assert blank.status_code == 400 and "origin" in blank.json()["errors"]
    bad = _post_tool(manager, fab, vendor, origin="XX", us_content_percent=140)
    assert bad.status_code == 400
    assert {"origin", "us_content_percent"} <= set(bad.json()["errors"])


def test_a_typed_not_subject_korean_tool_holds_the_visit_with_the_determination_audited(
    semes, committed
):
    vendor, manager = semes
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    response = _post_tool(
        manager,
        fab,
        vendor,
        origin="KR",
        subject_to_ear=False,
        ear_justification="Classified by our export-control office, file 2026-117.",
    )
    assert response.status_code == 201, response.content
    tool = Tool.objects.get(pk=response.json()["id"])
    event = AuditEvent.objects.filter(event_type="reference_changed", object_id=str(tool.pk)).get()
    assert event.new["subject_to_ear"] is False
    assert event.new["ear_justification"].startswith("Classified by")
    visit = _file(committed, vendor, manager, fab, tool)
    assert visit.status == VisitStatus.ON_HOLD
    finding = visit.current_decision.findings.get(rule_code="US-EAR-734-RECORDED-UNSUPPORTED")
    assert "made in KR, US-controlled content not given" in finding.message


def test_a_tool_with_30_percent_us_content_is_derived_subject_and_needs_a_bis_licence(
    semes, committed
):
    vendor, manager = semes
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    tool = services.tool_create(
        user=manager,
        facility=fab,
        oem=vendor,
        model="Etch KR",
        serial_number="KR-30",
        classifications={"US": ["3B001.c"]},
        origin="KR",
        us_content_percent=30,
        made_with_us_technology=False,
    )
    visit = _file(committed, vendor, manager, fab, tool)
    assert visit.status == VisitStatus.ON_HOLD
    finding = visit.current_decision.findings.get(rule_code="US-EAR-744.23-ADVANCED-FAB-ITEMS")
    assert finding.effect == "licence_required"
    assert "above the 25 % de minimis level" in str(finding.facts)
    # The stored document carries the inputs, not a typed answer.
    [stored] = visit.current_decision.document["tools"]
    assert "subject_to_ear" not in stored and stored["us_content_percent"] == 30
