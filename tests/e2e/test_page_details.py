"""Rough edges a person meets on the reporter pages (issue 10 §8), in real Chromium, with
JavaScript on and off: the follow-up page's report is openable and in the form's order, the
receipt page offers no button that does nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.live_server import LiveServer

FORM_ORDER = [
    "What happened?",
    "When did it happen?",
    "Where did it happen?",
    "Who is involved?",
    "How do you know about it?",
]


def report_every_field(page: Page, server: LiveServer) -> str:
    page.goto(f"{server.url}/report")
    page.select_option("#category", "fraud_accounting")
    page.fill("#what_happened", "Invoices were paid twice.")
    page.fill("#when", "Every March")
    page.fill("#where", "The Osaka office")
    page.fill("#who", "A purchasing manager")
    page.fill("#how_known", "I saw the ledger")
    page.click("#submit-report")
    expect(page.locator("#receipt-code")).to_be_visible(timeout=30_000)
    return page.inner_text("#receipt-code").strip()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_followup_report_is_openable_and_in_form_order(
    browser: Browser, live_server: LiveServer, javascript: bool
) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    receipt = report_every_field(page, live_server)
    page.goto(f"{live_server.url}/followup")
    page.fill("#receipt", receipt)
    page.click("#followup-form button[type=submit]")
    summary = page.locator("#case-view details.report-text > summary")
    expect(summary).to_be_visible(timeout=30_000)
    # The summary keeps its disclosure marker (display: list-item), so it looks openable.
    assert summary.evaluate("el => getComputedStyle(el).display") == "list-item"
    first = page.locator("#case-view [data-slot=report] dd").first
    expect(first).to_be_hidden()
    summary.click()
    expect(first).to_be_visible()
    labels = page.locator("#case-view [data-slot=report] dt").all_inner_texts()
    assert labels == FORM_ORDER
    context.close()


def test_receipt_without_javascript_shows_no_dead_buttons(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    report_every_field(page, live_server)
    # Copy and print need JavaScript: without it they must not be offered at all.
    expect(page.locator("#copy-receipt")).to_be_hidden()
    expect(page.locator("#print-receipt")).to_be_hidden()
    expect(page.locator("#receipt-code")).to_be_visible()
    context.close()


def test_receipt_with_javascript_offers_print(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    report_every_field(page, live_server)
    expect(page.locator("#print-receipt")).to_be_visible()
    context.close()
