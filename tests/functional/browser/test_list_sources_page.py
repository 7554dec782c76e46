"""The approver's view of the list sources at 1366x768: each source's freshness and what its
hits mean, switching one off with a reason (audited), and the visit page of a UN-listed owner."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from compliance.models import AuditEvent, ListSource
from compliance.services import ruleset_load
from dispatch import services
from tests.django_fixtures import import_sample_lists
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    VendorFactory,
    make_user,
)

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_list_sources_page_shows_freshness_and_switches_a_source_with_a_reason(browser_page):
    ruleset_load()
    import_sample_lists()
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    fab = FacilityFactory(
        customer=CustomerFactory(
            name="Leader (Hong Kong) International Trading Limited", country="HK"
        ),
        country="HK",
        logic_node_nm=40,
    )
    engineer = EngineerFactory(vendor=vendor, name="Sanne Bakker", citizenships=["NL"])
    start = dt.date.today() + dt.timedelta(days=10)
    visit = services.visit_create(
        requested_by=manager,
        vendor=vendor.pk,
        facility=fab.pk,
        engineers=[engineer.pk],
        activity="inspection",
        start_date=start,
        end_date=start,
    )
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, f"{page.base_url}/login/", "asml", "pw-asml")
    page.goto(f"{page.base_url}/visits/{visit.pk}/")
    expect(page.locator('.dc-item[data-rule="LIST-UN-HIT"]')).to_be_visible()
    expect(page.get_by_text("Resolution 1718 (2006)").first).to_be_visible()
    page.screenshot(path=str(screenshot_path("visit-un-listed-owner.png")), full_page=False)

    make_user("approver", role="approver")
    page.context.clear_cookies()
    log_in(page, f"{page.base_url}/admin/login/", "approver", "pw-approver")
    page.goto(f"{page.base_url}/admin/compliance/listsource/")
    table = page.locator("#result_list")
    expect(table).to_contain_text("UN Security Council Consolidated List")
    expect(table).to_contain_text("fresh")
    expect(table).to_contain_text("off")  # FollowTheMoney, until a user turns it on
    page.screenshot(path=str(screenshot_path("admin-list-sources.png")), full_page=False)

    page.get_by_role("link", name="uk-fcdo").click()
    expect(page.get_by_text("asset freeze").first).to_be_visible()
    page.get_by_label("Enabled").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("A reason is required")
    page.get_by_label("Enabled").uncheck()
    page.get_by_label("Reason").fill("No UK entity in the group")
    page.screenshot(path=str(screenshot_path("admin-list-source-switch.png")), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list")).to_be_visible()
    assert ListSource.objects.get(key="uk-fcdo").enabled is False
    event = AuditEvent.objects.get(event_type="list_source_changed")
    assert event.new["reason"] == "No UK entity in the group"
    assert page.console_errors == []
