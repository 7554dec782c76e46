"""The dry-run page in the browser at 1366×768: a document over a cap is refused with the limit
named beside the field, and the editor keeps what was typed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from compliance.services import ruleset_load
from tests.django_fixtures import import_sample_lists
from tests.worlds import build_world

from .conftest import log_in, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_document_over_the_tool_cap_is_refused_naming_the_limit(browser_page, settings):
    ruleset_load()
    import_sample_lists()
    build_world()
    settings.DRY_RUN_MAX_TOOLS = 2
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    base = page.base_url
    log_in(page, f"{base}/login/", "lam.manager", "pw-lam.manager")
    page.goto(f"{base}/checks/dry-run/")
    editor = page.locator("textarea[name=document]")
    document = json.loads(editor.input_value())
    document["tools"] = [dict(document["tools"][0], model=f"Tool {i}") for i in range(3)]
    editor.fill(json.dumps(document, indent=2))
    page.get_by_role("button", name="Check").click()

    errors = page.locator("#dry-run-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("at most 2 tools (DRY_RUN_MAX_TOOLS)")
    expect(errors).to_contain_text("this document has 3")
    expect(errors.locator("li code")).to_have_text("tools")
    assert json.loads(page.locator("textarea[name=document]").input_value())["tools"][2][
        "model"
    ] == ("Tool 2")
    page.screenshot(path=screenshot_path("dry-run-over-the-cap.png"), full_page=False)
