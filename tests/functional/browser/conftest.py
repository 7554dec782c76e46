"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
``live_server``.

Never downloads a browser (``playwright install`` is neither needed nor used): the tests launch
``/usr/bin/chromium`` from Debian's ``chromium`` package, and FAIL (never skip) when it is missing.

Playwright's sync API runs an asyncio event loop in the test thread, so Django would refuse ORM
calls made from the test while the browser is open (SynchronousOnlyOperation). The ``browser_page``
fixture sets ``DJANGO_ALLOW_ASYNC_UNSAFE`` for the duration of each browser test only (the ORM
calls of a test are plain synchronous calls between browser steps, never concurrent with them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google's services, and the
# closed network refuses it; a fresh user-data-dir per test keeps the runs independent.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
DEFAULT_TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}


def screenshot_path(name: str) -> Path:
    """``var/screenshots/NAME`` under the project (created on demand)."""
    directory = Path(settings.BASE_DIR) / "var" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / name


def _require_chromium() -> None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with "
            "`apt-get update && apt-get install -y chromium` (as root). Do not run "
            "`playwright install`: the tests never use Playwright's own browser builds.",
            pytrace=False,
        )


@pytest.fixture
def browser_page(live_server, monkeypatch, tmp_path) -> Iterator:
    """A Playwright page in a fresh headless Chromium profile. ``page.base_url`` is the live
    server's URL; ``page.console_errors`` collects console errors, uncaught page errors and 5xx
    responses, for the test to assert empty."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    user_data_dir = tmp_path / "chromium-profile"
    user_data_dir.mkdir()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            locale="en-GB",
            timezone_id="UTC",
        )
        try:
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            page = context.pages[0] if context.pages else context.new_page()
            page.base_url = live_server.url  # type: ignore[attr-defined]
            errors: list[str] = []
            page.console_errors = errors  # type: ignore[attr-defined]

            def on_console(msg) -> None:
                # The pages ship no favicon; Chromium's request for it is not the page's error.
                if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
                    errors.append(f"{msg.text} ({msg.location.get('url', '')})")

            def on_response(response) -> None:
                if response.status >= 500:
                    errors.append(f"HTTP {response.status} for {response.url}")

            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("response", on_response)
            yield page
        finally:
            context.close()
            # ORM calls made while Playwright's event loop runs get a database connection of
            # their own context; close it here, or PostgreSQL refuses to drop the test database
            # at the end of the session ("being accessed by other users").
            connections.close_all()
    shutil.rmtree(user_data_dir, ignore_errors=True)


def log_in(page, url: str, username: str, password: str) -> None:
    """Fill a login form (the pages' /login/ or the admin's) and submit it."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
