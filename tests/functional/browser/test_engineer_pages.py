"""A service manager maintains their engineers in the browser at 1366×768: adds one with two
citizenships and a green card, sees the list with the US-person basis, then imports a CSV file
(preview, confirm) in which one engineer is on a screening list."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from compliance.services import ruleset_load
from dispatch.models import Engineer
from tests.django_fixtures import import_sample_lists
from tests.factories import EngineerFactory, VendorFactory, make_user

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) out.push(`${el.tagName}.${el.className} right=${r.right}`);
  }
  if (document.documentElement.scrollWidth > w + 1) out.push('page scrollWidth');
  return out.slice(0, 20);
}"""


@pytest.fixture
def manager():
    ruleset_load()
    import_sample_lists()
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    EngineerFactory(vendor=vendor, name="Sanne Bakker", employee_id="E-1", citizenships=["NL"])
    EngineerFactory(vendor=VendorFactory(name="Other vendor"), name="Not Mine")
    make_user("manager", role="service_manager", vendor=vendor)
    return vendor


def test_a_manager_adds_and_imports_engineers(manager, browser_page, tmp_path):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    base = page.base_url
    log_in(page, f"{base}/login/", "manager", "pw-manager")

    page.get_by_role("link", name="Engineers").click()
    expect(page.get_by_role("heading", name="Engineers")).to_be_visible()
    expect(page.get_by_text("Not Mine")).to_have_count(0)

    page.get_by_role("link", name="Add an engineer").click()
    page.get_by_label("Name").fill("Pieter Jansen")
    page.get_by_label("Employee id").fill("E-20")
    page.get_by_label("Home country").select_option("NL")
    page.locator("#id_cit-0-country").select_option("NL")
    page.locator("#id_cit-1-country").select_option("DE")
    page.locator("#id_cit-1-since").fill("2015-06-30")
    page.locator("#id_res-0-country").select_option("US")
    page.locator("#id_res-0-since").fill("2019-03-01")
    assert page.evaluate(OVERFLOW_JS) == [], "the engineer form overflows"
    page.get_by_role("button", name="Add the engineer").click()

    expect(page.get_by_text("Pieter Jansen added.")).to_be_visible()
    expect(page.get_by_text("Pieter Jansen was screened: no list match.")).to_be_visible()
    row = page.locator("tr", has_text="Pieter Jansen")
    expect(row).to_contain_text("NL, DE")
    expect(row).to_contain_text("US permanent resident")
    assert page.evaluate(OVERFLOW_JS) == [], "the engineer list overflows"
    page.screenshot(path=screenshot_path("engineers.png"), full_page=True)
    pieter = Engineer.objects.get(employee_id="E-20")
    assert pieter.vendor == manager
    assert pieter.residencies.get().since == dt.date(2019, 3, 1)

    page.get_by_role("link", name="Import CSV").click()
    csv_file = tmp_path / "engineers.csv"
    csv_file.write_text(
        "employee_id,name,citizenships,residencies,home_country,us_protected_individual,"
        "date_of_birth\n"
        "E-1,Sanne Bakker,NL;US:2021-02-01,,NL,no,\n"
        "E-30,Jinhua Hong,CN,,CN,no,\n"
        "E-31,Maria Lopez,MX,US:2015-01-01:,MX,no,1988-04-12\n"
        "E-20,Pieter Jansen,NL;DE:2015-06-30,US:2019-03-01:,NL,no,\n",
        encoding="utf-8",
    )
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="Preview of engineers.csv")).to_be_visible()
    expect(page.locator("tr", has_text="Jinhua Hong")).to_contain_text("possible match")
    expect(page.locator("tr", has_text="Sanne Bakker")).to_contain_text("changed")
    expect(page.locator("tr", has_text="Pieter Jansen")).to_contain_text("unchanged")
    assert Engineer.objects.filter(employee_id__in=["E-30", "E-31"]).count() == 0
    assert page.evaluate(OVERFLOW_JS) == [], "the import preview overflows"
    page.screenshot(path=screenshot_path("engineer-import.png"), full_page=True)

    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("heading", name="Imported engineers.csv")).to_be_visible()
    assert Engineer.objects.filter(vendor=manager, employee_id__in=["E-30", "E-31"]).count() == 2

    # A file with errors: each named by row and column beside the row, nothing imported.
    csv_file.write_text(
        "employee_id,name,citizenships,residencies,home_country,us_protected_individual,"
        "date_of_birth\n"
        'E-40,=HYPERLINK("http://example.com"),NL,,NL,no,\n'
        "E-41,Tan Mei Ling,XX,,SG,maybe,\n",
        encoding="utf-8",
    )
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview the import").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("row 1, name:")
    expect(alert).to_contain_text("row 2, citizenships: 'XX' is not a country")
    expect(page.get_by_role("button", name="Confirm the import")).to_have_count(0)
    assert page.evaluate(OVERFLOW_JS) == [], "the import errors overflow"
    page.screenshot(path=screenshot_path("engineer-import-errors.png"), full_page=True)
    assert not Engineer.objects.filter(employee_id__in=["E-40", "E-41"]).exists()
    assert page.console_errors == []
