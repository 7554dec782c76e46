"""An approver releases a held visit from the admin's hold queue, with a justification (four eyes).

The held visit is one the engine holds for ``review`` only (checked, not assumed): a Dutch engineer
servicing a tool with no export classification on file at a mature (28 nm planar) fab in China is
held by DQ-TOOL-NOT-CLASSIFIED, so an approver may release it without a licence. A second hold in
the queue (a U.S. person at a 7 nm fab: licence required) must stay untouched.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from compliance.models import Approval, AuditEvent, AuditEventType
from compliance.services import ruleset_load
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.django_fixtures import import_sample_lists
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JUSTIFICATION = (
    "Tool is a decommissioned-node XT scanner; classification confirmed with trade compliance "
    "(EAR99, not on the Dutch list). Release for this visit only."
)


@pytest.fixture
def holds():
    ruleset_load()
    import_sample_lists()
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    customer = CustomerFactory(name="Example Logic Foundry Co., Ltd.", country="CN")
    mature = FacilityFactory(
        customer=customer, name="Fab 3 building A", logic_node_nm=28, non_planar=False
    )
    advanced = FacilityFactory(
        customer=customer, name="Fab 12 building B", logic_node_nm=7, non_planar=True
    )
    unclassified = ToolFactory(
        facility=mature, oem=vendor, model="TWINSCAN XT:860M", classifications={}
    )
    listed = ToolFactory(
        facility=advanced,
        oem=vendor,
        model="TWINSCAN NXT:1470",
        classifications={"US": ["3B001.f"], "NL": []},
    )
    dutch = EngineerFactory(
        vendor=vendor, name="Sanne Bakker", citizenships=["NL"], home_country="NL"
    )
    american = EngineerFactory(
        vendor=vendor, name="Michael Johnson", citizenships=["US"], home_country="US"
    )
    manager = make_user("asml.manager", role="service_manager", vendor=vendor)
    approver = make_user("approver", role="approver")
    start = dt.date.today() + dt.timedelta(days=10)

    def file(engineer, facility, tool):
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[engineer.pk],
            tools=[tool.pk],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=2),
            purpose="Preventive maintenance.",
        )
        visit.refresh_from_db()
        return visit

    review = file(dutch, mature, unclassified)
    licence = file(american, advanced, listed)
    # What the engine decided (the premise of this test), from the real on-commit check.
    assert review.status == VisitStatus.ON_HOLD
    assert review.current_decision.outcome == "review"
    assert {f["rule"] for f in review.current_decision.result["findings"]} == {
        "DQ-TOOL-NOT-CLASSIFIED"
    }
    assert licence.status == VisitStatus.ON_HOLD
    assert licence.current_decision.outcome == "licence_required"
    return {"review": review, "licence": licence, "manager": manager, "approver": approver}


def _state(visit: Visit) -> tuple:
    visit.refresh_from_db()
    return (
        visit.status,
        visit.approval_id,
        Approval.objects.filter(visit=visit).count(),
        AuditEvent.objects.count(),
    )


def test_an_approver_releases_a_review_hold_with_a_justification(holds, browser_page):
    page = browser_page
    base = page.base_url
    visit = holds["review"]
    other = holds["licence"]
    assert visit.requested_by != holds["approver"]

    log_in(page, f"{base}/admin/", "approver", "pw-approver")
    expect(page).to_have_url(f"{base}/admin/")
    page.get_by_role("link", name="Hold queue").click()
    expect(page).to_have_url(f"{base}/admin/compliance/hold/")

    queue = page.locator("#result_list")
    expect(queue.locator("tbody tr")).to_have_count(2)
    row = queue.locator("tbody tr").filter(has=page.get_by_role("link", name=str(visit.pk)))
    expect(row).to_contain_text("DQ-TOOL-NOT-CLASSIFIED")
    expect(row).to_contain_text("review")
    row.get_by_role("link", name=str(visit.pk), exact=True).click()
    expect(page).to_have_url(f"{base}/admin/compliance/hold/{visit.pk}/change/")
    expect(page.locator("#content")).to_contain_text("DQ-TOOL-NOT-CLASSIFIED")
    expect(page.locator("#content")).to_contain_text("Requested by asml.manager")

    page.get_by_role("link", name="Approve…").click()
    expect(page).to_have_url(f"{base}/admin/compliance/hold/{visit.pk}/approve/")
    expect(page.get_by_role("heading", name="Approve — justification required")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("DQ-TOOL-NOT-CLASSIFIED")

    # Without a justification: an error, and nothing changes.
    before = _state(visit)
    page.get_by_role("button", name="Approve visit").click()
    expect(page).to_have_url(f"{base}/admin/compliance/hold/{visit.pk}/approve/")
    expect(page.get_by_role("alert")).to_contain_text("This field is required.")
    assert _state(visit) == before

    # Too short a justification is refused the same way.
    page.get_by_label("Justification").fill("ok")
    page.get_by_role("button", name="Approve visit").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")
    assert _state(visit) == before
    assert before[0] == VisitStatus.ON_HOLD

    # A fresh page (as after reopening it), so the screenshot shows no stale error.
    page.goto(f"{base}/admin/compliance/hold/{visit.pk}/approve/")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_label("Justification").fill(JUSTIFICATION)
    page.screenshot(path=str(screenshot_path("approver_flow.png")), full_page=True)
    page.get_by_role("button", name="Approve visit").click()

    expect(page).to_have_url(f"{base}/admin/compliance/hold/")
    expect(page.locator(".messagelist")).to_contain_text(f"Visit #{visit.pk} approved.")
    expect(queue.get_by_role("link", name=str(visit.pk), exact=True)).to_have_count(0)
    expect(queue.get_by_role("link", name=str(other.pk), exact=True)).to_have_count(1)
    page.screenshot(path=str(screenshot_path("approver_flow_queue.png")), full_page=True)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED
    approval = Approval.objects.get(visit=visit)
    assert approval.pk == visit.approval_id
    assert approval.actor == holds["approver"]
    assert approval.justification == JUSTIFICATION
    assert approval.licence_id is None
    event = AuditEvent.objects.get(
        event_type=AuditEventType.VISIT_APPROVED,
        object_type="dispatch.Visit",
        object_id=str(visit.pk),
    )
    assert event.actor_name == "approver"
    assert event.new["justification"] == JUSTIFICATION
    assert event.new["status"] == VisitStatus.APPROVED
    assert event.old == {"status": VisitStatus.ON_HOLD}

    other.refresh_from_db()
    assert other.status == VisitStatus.ON_HOLD
    assert not Approval.objects.filter(visit=other).exists()
    assert page.console_errors == []
