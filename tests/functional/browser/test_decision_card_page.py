"""The decision card at 1366×768: the verdict, the next step and the merged findings are visible
without scrolling sideways, the details fold away, and times are labelled with the zone the browser names.

The scenario: the owner of a Shanghai fab is on the sample Entity List under several names, so the
visit is held with a licence-required finding and several screening matches for one party; the card
must show those matches as one item.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from compliance.services import ruleset_load
from dispatch import services
from dispatch.models import VisitStatus
from tests.django_fixtures import import_sample_lists
from tests.factories import CustomerFactory, EngineerFactory, FacilityFactory, make_user

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW_JS = """(selector) => {
  const root = document.querySelector(selector);
  if (!root) return ['missing ' + selector];
  return [root, ...root.querySelectorAll('*')]
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40));
}"""


def test_a_manager_reads_the_decision_card_at_1366(browser_page):
    ruleset_load()
    import_sample_lists()
    from tests.factories import VendorFactory

    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    manager = make_user("asml.manager", role="service_manager", vendor=vendor)
    fab = FacilityFactory(
        customer=CustomerFactory(name="Semiconductor Manufacturing Intl. Corp."),
        name="SN2",
        logic_node_nm=40,
    )
    start = dt.date.today() + dt.timedelta(days=9)
    visit = services.visit_create(
        requested_by=manager,
        vendor=vendor.pk,
        facility=fab.pk,
        engineers=[EngineerFactory(vendor=vendor, name="Sanne Bakker").pk],
        activity="maintenance",
        start_date=start,
        end_date=start + dt.timedelta(days=2),
    )
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, f"{page.base_url}/login/", "asml.manager", "pw-asml.manager")
    page.goto(f"{page.base_url}/visits/{visit.pk}/")
    expect(page.locator("#visit-status")).to_have_text("On hold", timeout=20_000)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    page.reload()

    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("On hold: a licence is needed under US rules")
    assert verdict.bounding_box()["y"] < 768, "the verdict is not on the first screen"
    expect(page.locator("#next-step")).to_contain_text("the trip starts in 9 days")
    # The browser names its zone (UTC in these tests) in the tz cookie; the page labels it.
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("tz") == "UTC"
    expect(page.locator("#decision-card")).to_contain_text("times in UTC")
    # One item per rule and party: the owner's screening matches are one entry list.
    assert page.locator('.dc-item[data-rule="SYSTEM-SCREENING-HIT"]').count() == 1
    expect(page.locator("#decision-details")).not_to_have_attribute("open", "")
    page.screenshot(path=str(screenshot_path("visit-card.png")), full_page=True)
    assert page.evaluate(OVERFLOW_JS, "#decision-card") == []
    page.locator("#decision-details summary").click()
    expect(page.locator("#decision-details")).to_contain_text("Rules")
    assert page.evaluate(OVERFLOW_JS, "#decision-card") == []
    page.screenshot(path=str(screenshot_path("visit-card-details.png")), full_page=True)
    assert page.console_errors == []
