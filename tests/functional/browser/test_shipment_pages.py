"""What a visit ships and to whom, as the manager and the admin see it at 1366x768: the visit page
names the parties and the items with their classifications, and the tool form asks for the
inputs "subject to the EAR" is derived from."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from compliance.services import ruleset_load
from dispatch import services
from tests.django_fixtures import import_sample_lists
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_visit_page_names_its_parties_and_items_and_the_tool_form_its_ear_inputs(
    browser_page,
):
    ruleset_load()
    import_sample_lists()
    vendor = VendorFactory(name="SEMES Co., Ltd.", country="KR")
    fab = FacilityFactory(country="CN", city="Wuxi", logic_node_nm=28, non_planar=False)
    tool = ToolFactory(
        facility=fab,
        oem=vendor,
        model="Etch KR",
        classifications={"US": ["3B001.c"]},
        subject_to_ear=None,
        ear_justification="",
        origin="KR",
        us_content_percent=0,
        made_with_us_technology=False,
    )
    engineer = EngineerFactory(vendor=vendor, name="Kim Min-jun", citizenships=["KR"])
    manager = make_user("semes", role="service_manager", vendor=vendor)
    start = dt.date.today() + dt.timedelta(days=10)
    visit = services.visit_create(
        requested_by=manager,
        vendor=vendor.pk,
        facility=fab.pk,
        engineers=[engineer.pk],
        tools=[tool.pk],
        activity="spare_parts",
        start_date=start,
        end_date=start,
        parties=[{"role": "consignee", "name": "Acme Trading Ltd", "country": "HK"}],
        items=[
            {
                "kind": "part",
                "description": "RF generator",
                "classifications": {"US": ["3B001.h"]},
                "origin": "US",
            }
        ],
    )
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, f"{page.base_url}/login/", "semes", "pw-semes")
    page.goto(f"{page.base_url}/visits/{visit.pk}/")
    expect(page.locator("#visit-parties")).to_contain_text("Consignee Acme Trading Ltd (HK)")
    expect(page.locator("#visit-items")).to_contain_text("Part RF generator (US 3B001.h)")
    expect(page.locator('.dc-item[data-rule="US-EAR-738-NS-3B-ITEM-CN"]')).to_be_visible()
    page.screenshot(path=str(screenshot_path("visit-parties-items.png")), full_page=False)

    make_user("keeper", superuser=True)
    page.context.clear_cookies()
    log_in(page, f"{page.base_url}/admin/login/", "keeper", "pw-keeper")
    page.goto(f"{page.base_url}/admin/dispatch/tool/{tool.pk}/change/")
    expect(page.get_by_label("Country of origin")).to_have_value("KR")
    expect(page.get_by_label("Justification of the recorded determination")).to_be_visible()
    determination = page.get_by_label("Recorded determination: subject to the EAR")
    expect(determination.locator("option:checked")).to_have_text("None recorded: derive it")
    page.screenshot(path=str(screenshot_path("tool-ear-inputs.png")), full_page=True)
    assert page.console_errors == []
