"""The dispatch board in the browser at 1366×768: a service manager opens it from the menu, picks
a facility and a tool, reads a cell's reason on hover and files the visit from a cell."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.services import ruleset_load
from tests.django_fixtures import import_sample_lists
from tests.functional.dispatch.test_board import build_team
from tests.worlds import build_world

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('#board-grid table')) continue;  // the grid scrolls inside its container
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) out.push(`${el.tagName}.${el.className} right=${r.right}`);
  }
  if (document.documentElement.scrollWidth > w + 1) out.push('page scrollWidth');
  return out.slice(0, 20);
}"""


@pytest.fixture
def world_with_team():
    ruleset_load()
    import_sample_lists()
    world = build_world()
    build_team(world)
    return world


def test_a_manager_reads_the_board_and_files_from_a_cell(world_with_team, browser_page):
    world = world_with_team
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    base = page.base_url
    log_in(page, f"{base}/login/", "asml.manager", "pw-asml.manager")

    page.get_by_role("link", name="Board").click()
    expect(page.get_by_role("heading", name="Dispatch board")).to_be_visible()
    page.get_by_label("Facility").select_option(str(world.fab.pk))
    page.get_by_role("button", name="Show").click()
    # The tools offered are the manager's own at the chosen facility.
    page.get_by_label("Tool").select_option(str(world["plain_tool"].pk))
    page.get_by_role("button", name="Show").click()

    grid = page.locator("#board-grid")
    expect(grid).to_be_visible()
    cells = grid.locator("a.cell")
    rows = grid.locator("tbody tr")
    assert rows.count() >= 50
    assert cells.count() == rows.count() * 30
    for outcome in ("clear", "review", "licence_required", "prohibited"):
        assert grid.locator(f'a.cell[data-outcome="{outcome}"]').count() > 0, outcome
    assert page.get_by_text("Other Vendor Olaf").count() == 0

    assert page.evaluate(OVERFLOW_JS) == []
    scroll = grid.evaluate(
        "el => [el.scrollWidth, el.clientWidth, el.getBoundingClientRect().right]"
    )
    assert scroll[2] <= 1366, scroll
    page.screenshot(path=str(screenshot_path("board.png")), full_page=True)

    # Hover: the reason is the cell's title, with the rules that hold it.
    held = grid.locator('a.cell[data-outcome="prohibited"]').first
    held.scroll_into_view_if_needed()
    held.hover()
    title = held.get_attribute("title")
    assert title.startswith("Prohibited — ") and len(title) > len("Prohibited — ") + 5, title
    licence = grid.locator('a.cell[data-outcome="licence_required"]').first
    assert "744.6" in (licence.get_attribute("title") or "") or licence.get_attribute("title")

    # Click a clear cell: the filing form opens with that engineer and day.
    clear = grid.locator('a.cell[data-outcome="clear"]').nth(7)
    day = clear.get_attribute("data-day")
    engineer = clear.get_attribute("data-engineer")
    clear.scroll_into_view_if_needed()
    clear.click()
    page.wait_for_url("**/visits/new/**")
    assert page.locator("#id_start_date").input_value() == day
    assert page.locator("#id_end_date").input_value() == day
    assert page.locator("#id_facility").input_value() == str(world.fab.pk)
    checked = page.locator('input[name="engineers"]:checked')
    assert checked.count() == 1 and checked.first.get_attribute("value") == engineer
    assert page.locator(f'input[name="tools"][value="{world["plain_tool"].pk}"]').is_checked()
    assert dt.date.fromisoformat(day) > timezone.localdate()
    page.screenshot(path=str(screenshot_path("board-filing.png")), full_page=True)
    assert page.console_errors == []
