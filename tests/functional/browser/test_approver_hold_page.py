"""An approver at 1366×768 decides a licence-required hold with the licence the page proposes.

The queue and the hold page must fit the viewport (no element wider than the window), the approve
form must mark the licence that covers every finding and say why another one does not.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from compliance.models import Approval, Licence
from compliance.services import ruleset_load
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.django_fixtures import import_sample_lists
from tests.worlds import build_world

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JUSTIFICATION = "BIS licence on file covers the U.S. person and the 3B001.c etch tool at this fab."

# Elements whose right edge passes the window's width (a horizontal overflow).
OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} right=${Math.round(r.right)}`);
    }
  }
  if (document.documentElement.scrollWidth > w + 1) out.push(`page scrollWidth=${document.documentElement.scrollWidth}`);
  return out.slice(0, 20);
}"""


@pytest.fixture
def hold():
    ruleset_load()
    import_sample_lists()
    w = build_world()
    start = dt.date.today() + dt.timedelta(days=6)

    def file(days):
        visit = services.visit_create(
            requested_by=w.lam_manager,
            vendor=w.lam.pk,
            facility=w.fab.pk,
            engineers=[w.lam_engineer.pk],
            tools=[w.lam_tool.pk],
            activity="maintenance",
            start_date=start + dt.timedelta(days=days),
            end_date=start + dt.timedelta(days=days + 2),
            purpose="Chamber clean and preventive maintenance on the etch tool.",
        )
        return Visit.objects.get(pk=visit.pk)

    visit = file(0)
    later = file(9)
    assert visit.status == VisitStatus.ON_HOLD
    assert visit.current_decision.outcome == "licence_required"
    good = Licence.objects.create(
        authority="BIS",
        number="D123456",
        holder=w.lam,
        valid_from=start - dt.timedelta(days=30),
        valid_until=start + dt.timedelta(days=20),
    )
    good.facilities.set([w.fab])
    wrong = Licence.objects.create(
        authority="BIS",
        number="D654321",
        holder=w.lam,
        valid_from=start - dt.timedelta(days=30),
        valid_until=start + dt.timedelta(days=300),
        classifications=["3B991"],
    )
    wrong.facilities.set([w.fab])
    return {"visit": visit, "later": later, "good": good, "wrong": wrong, "world": w}


def _no_overflow(page, what):
    assert page.evaluate(OVERFLOW_JS) == [], f"{what} overflows the viewport"


def test_an_approver_decides_a_hold_with_the_proposed_licence(hold, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    base = page.base_url
    visit, later, good = hold["visit"], hold["later"], hold["good"]

    log_in(page, f"{base}/admin/", "approver", "pw-approver")
    page.goto(f"{base}/admin/compliance/hold/?status__exact=on_hold")
    queue = page.locator("#result_list")
    expect(queue.locator("tbody tr")).to_have_count(2)
    # Soonest travel first, with the days to travel.
    expect(queue.locator("tbody tr").first).to_contain_text("in 6 days")
    expect(queue.locator("tbody tr").nth(1)).to_contain_text("in 15 days")
    page.screenshot(path=str(screenshot_path("hold-queue.png")), full_page=True)
    for header in ("Requested by", "Start date", "Age", "Travel"):
        expect(queue.locator("thead")).to_contain_text(header)
        box = queue.locator("thead th", has_text=header).first.bounding_box()
        assert box and box["x"] + box["width"] <= 1366
    _no_overflow(page, "the queue")

    queue.get_by_role("link", name=str(visit.pk), exact=True).click()
    expect(page.locator("#content")).to_contain_text("Requested by lam.manager")
    expect(page.locator("#content")).to_contain_text(" UTC")
    _no_overflow(page, "the hold page")
    page.screenshot(path=str(screenshot_path("hold-page.png")), full_page=True)

    page.get_by_role("link", name="Approve…").click()
    expect(page).to_have_url(
        f"{base}/admin/compliance/hold/{visit.pk}/approve/?_changelist_filters=status__exact%3Don_hold"
    )
    proposals = page.locator("#licence-proposals")
    expect(proposals.locator(".hold-licence-covers")).to_have_count(1)
    expect(proposals.locator(".hold-licence-covers")).to_contain_text("BIS D123456")
    expect(proposals.locator(".hold-licence-covers")).to_contain_text("Covers all 3 findings")
    expect(proposals.locator(".hold-licence-covers")).to_contain_text("expires in 26 days")
    expect(proposals.locator(".hold-licence-fails")).to_contain_text("Does not cover ECCN 3B001.c")
    expect(page.locator(f"#licence-{good.pk}")).to_be_checked()
    page.get_by_label("Justification").fill(JUSTIFICATION)
    _no_overflow(page, "the approve page")
    page.screenshot(path=str(screenshot_path("hold-approve.png")), full_page=True)
    page.get_by_role("button", name="Approve visit").click()

    # Back in the queue, its filter kept.
    expect(page).to_have_url(f"{base}/admin/compliance/hold/?status__exact=on_hold")
    expect(page.locator(".messagelist")).to_contain_text(f"Visit #{visit.pk} approved.")
    expect(queue.locator("tbody tr")).to_have_count(1)
    expect(queue.get_by_role("link", name=str(later.pk), exact=True)).to_have_count(1)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED
    approval = Approval.objects.get(visit=visit)
    assert approval.licence_id == good.pk and approval.justification == JUSTIFICATION
    assert page.console_errors == []
