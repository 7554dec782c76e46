"""A service manager files a visit in the browser and sees the decision, explained, with an engineer
who would clear it.

The scenario (what the engine decides for it was checked, not assumed): a Dutch vendor sends a US
citizen to service a non-NL-listed lithography tool at a 7 nm non-planar logic fab in Shanghai. The
US person needs a BIS licence under 15 CFR 744.6(c)(2), so the visit is held; a Dutch colleague
living in the Netherlands with no US ties clears every rule, so the page suggests her. A Chinese
colleague does not clear (deemed export of 3B001 technology to a D:1/D:5 national) and must not be
suggested.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from compliance.services import ruleset_load
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
from .test_decision_card_page import OVERFLOW_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scenario():
    ruleset_load()
    import_sample_lists()
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    customer = CustomerFactory(name="Example Logic Foundry Co., Ltd.", country="CN")
    fab = FacilityFactory(
        customer=customer,
        name="Fab 12 building B",
        city="Shanghai",
        country="CN",
        products=["logic"],
        logic_node_nm=7,
        non_planar=True,
    )
    other_fab = FacilityFactory(
        customer=customer, name="Fab 3 building A", logic_node_nm=40, non_planar=False
    )
    tool = ToolFactory(
        facility=fab,
        oem=vendor,
        model="TWINSCAN NXT:1470",
        serial_number="NXT-1470-7001",
        classifications={"US": ["3B001.f"], "NL": []},
        subject_to_ear=False,
    )
    ToolFactory(facility=other_fab, oem=vendor, model="TWINSCAN XT:860M", serial_number="XT-1")
    us_engineer = EngineerFactory(
        vendor=vendor, name="Michael Johnson", citizenships=["US"], home_country="US"
    )
    dutch_engineer = EngineerFactory(
        vendor=vendor, name="Sanne Bakker", citizenships=["NL"], home_country="NL"
    )
    chinese_engineer = EngineerFactory(
        vendor=vendor, name="Li Wei", citizenships=["CN"], home_country="NL"
    )
    manager = make_user("asml.manager", role="service_manager", vendor=vendor)
    return {
        "vendor": vendor,
        "fab": fab,
        "tool": tool,
        "us_engineer": us_engineer,
        "dutch_engineer": dutch_engineer,
        "chinese_engineer": chinese_engineer,
        "manager": manager,
    }


def test_a_manager_files_a_visit_and_sees_the_hold_and_who_would_clear_it(scenario, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    base = page.base_url
    start = dt.date.today() + dt.timedelta(days=10)
    end = start + dt.timedelta(days=2)

    log_in(page, f"{base}/login/", "asml.manager", "pw-asml.manager")
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name="Visits")).to_be_visible()

    page.get_by_role("link", name="File a visit").click()
    expect(page).to_have_url(f"{base}/visits/new/")
    expect(page.get_by_role("heading", name="File a visit")).to_be_visible()

    page.get_by_label("Facility").select_option(
        label="Fab 12 building B — Example Logic Foundry Co., Ltd. (Shanghai, CN)"
    )
    # The page fetches the chosen facility's tools; only those are offered now.
    expect(page.get_by_label("TWINSCAN NXT:1470 #NXT-1470-7001")).to_be_visible()
    expect(page.get_by_label("TWINSCAN XT:860M #XT-1")).to_have_count(0)

    page.get_by_label("Michael Johnson — US; US citizen (US person)").check()
    expect(page.get_by_label("Sanne Bakker — NL; not a US person")).to_be_visible()
    expect(page.locator("#refresh-tools")).to_be_hidden()  # the no-JavaScript fallback
    page.get_by_label("TWINSCAN NXT:1470 #NXT-1470-7001").check()
    page.get_by_label("Activity").select_option("maintenance")
    page.get_by_label("Mode").select_option("on_site")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("Purpose").fill("Quarterly preventive maintenance of the scanner.")
    page.get_by_role("button", name="File visit", exact=True).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/visits/\d+/$"))
    visit_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name=f"Visit #{visit_id}")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=f"Visit #{visit_id} filed")).to_be_visible()

    # The check runs in-process on commit (eager Celery), or the page polls and reloads itself.
    decision = page.locator("#decision")
    expect(decision).to_be_visible()
    expect(page.locator("#visit-status")).to_have_text("On hold")
    expect(page.locator("#pending")).to_be_hidden()
    expect(page.locator("#verdict")).to_contain_text("a licence is needed under US rules")
    finding = decision.locator('.dc-item[data-rule="US-EAR-744.6-ADVANCED-FAB"]')
    expect(finding).to_contain_text("15 CFR 744.6(c)(2)")
    expect(finding).to_contain_text("Licence required")
    expect(finding).to_contain_text("Michael Johnson is a U.S. person")

    suggestions = page.locator("#suggestions")
    expect(suggestions.get_by_role("heading")).to_have_text("Engineers who would clear this visit")
    expect(suggestions).to_contain_text("Sanne Bakker")
    expect(suggestions).to_contain_text("clears every rule in force")
    expect(suggestions).not_to_contain_text("Li Wei")

    page.screenshot(path=str(screenshot_path("manager_flow.png")), full_page=True)

    visit = Visit.objects.get(pk=visit_id)
    assert visit.status == VisitStatus.ON_HOLD
    assert visit.requested_by == scenario["manager"]
    assert list(visit.engineers.all()) == [scenario["us_engineer"]]
    assert list(visit.tools.all()) == [scenario["tool"]]
    assert (visit.start_date, visit.end_date) == (start, end)
    assert visit.current_decision.outcome == "licence_required"
    assert any(
        "744.6(c)(2)" in f["citation"] and f["effect"] == "licence_required"
        for f in visit.current_decision.result["findings"]
    )
    # The card fits the screen; the manager changes the dates, then swaps in the suggested engineer.
    assert page.evaluate(OVERFLOW_JS, "#decision-card") == []
    page.get_by_role("link", name="Change visit").click()
    expect(page.get_by_role("heading", name=f"Change visit #{visit_id}")).to_be_visible()
    later = end + dt.timedelta(days=1)
    page.get_by_label("End date").fill(later.isoformat())
    page.screenshot(path=str(screenshot_path("manager-edit.png")), full_page=True)
    page.get_by_role("button", name="Save and re-check").click()
    expect(page.get_by_role("status").filter(has_text="it is being checked again")).to_be_visible()
    expect(page.locator("#visit-status")).to_have_text("On hold")
    visit.refresh_from_db()
    assert visit.end_date == later and visit.current_decision.trigger == "edit"
    page.get_by_role("button", name="Send Sanne Bakker instead of Michael Johnson").click()
    expect(page.locator("#visit-status")).to_have_text("Cleared")
    expect(page.locator("#verdict")).to_have_text("Cleared: no rule holds this visit.")
    assert list(Visit.objects.get(pk=visit_id).engineers.all()) == [scenario["dutch_engineer"]]
    page.screenshot(path=str(screenshot_path("manager-swapped.png")), full_page=True)
    assert page.evaluate(OVERFLOW_JS, "#decision-card") == []
    assert page.console_errors == []
