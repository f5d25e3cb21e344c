"""The console forgets its keys after HANDLER_IDLE_MINUTES without input (issue 11 item 18),
and the reporter's browser asks for its routing preview in a POST body (item 19)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, Page, Request, expect

from hotline import wiring
from tests.e2e.test_console import sign_in_first_time
from tests.support.live_server import LiveServer


def _case_list_status(page: Page) -> int:
    """What the server answers this tab's cookie on the case list (200 or 401)."""
    status: int = page.evaluate(
        "fetch('/handler/api/cases', {headers: {Accept: 'application/json'}}).then(r => r.status)"
    )
    return status


def test_idle_console_forgets_keys_and_ends_the_session(
    browser: Browser, live_server: LiveServer
) -> None:
    minutes = wiring.settings(live_server.app).handler_idle_minutes
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()
    sign_in_first_time(page, live_server, "comp.one")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    expect(page.locator("#nav-signout")).to_be_visible()

    # Input keeps the tab awake...
    page.clock.fast_forward(f"{minutes - 1}:00")
    page.keyboard.press("Shift")
    page.clock.fast_forward(f"{minutes - 1}:00")
    expect(page.locator("#view-list")).to_be_visible()

    # ...and a whole idle period without any makes it forget everything.
    page.clock.fast_forward(f"{minutes}:30")
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#view-list")).to_be_hidden()
    expect(page.locator("#nav-signout")).to_be_hidden()
    expect(page.locator("#console-status")).to_contain_text(str(minutes))
    assert page.locator("#case-rows tr").count() == 0
    # The server session ended too: the API refuses the old cookie.
    status = _case_list_status(page)
    assert status == 401
    context.close()


def test_sign_out_says_signed_out_only_once_the_server_ended_the_session(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in_first_time(page, live_server, "audit.one")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)

    # The server cannot be reached: the keys go at once, and the page does not claim the
    # session is over.
    page.route("**/handler/api/logout", lambda route: route.abort())
    page.click("#sign-out")
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#console-status")).to_contain_text("could not be reached")
    assert page.locator("#case-rows tr").count() == 0
    status = _case_list_status(page)
    assert status == 200
    context.close()


def test_routing_preview_is_a_post_body_never_a_query_string(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context()
    page = context.new_page()
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r) if "/api/v1/routing" in r.url else None)
    page.goto(f"{live_server.url}/report")
    page.select_option("#category", "harassment")
    page.fill("#what_happened", "Shouting in meetings.")
    page.check("#involves_executive")
    page.click("#submit-report")
    expect(page.locator("#receipt-code")).to_be_visible(timeout=30_000)
    assert len(seen) == 1
    request = seen[0]
    assert request.method == "POST" and "?" not in request.url, request.url
    body = json.loads(request.post_data or "{}")
    assert body["category"] == "harassment" and body["involves_executive"] is True
    assert not re.search(r"category|exclude|executive", request.url)
    context.close()
