"""The reporter's browser verifies handler keys against the organisation root before sealing.

A database writer who replaces a handler's X25519 or ML-KEM public key and rewrites the
directory to match gets the substituted key served by the routing preview (which only
filters by the stored rows): the browser's own check of the root signatures refuses, and
nothing is sent. Without rewriting the directory, the server leaves the handler out; a
server that served the key anyway (simulated by rewriting the preview in flight) is
refused by the browser too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import func, select

from crypto import handler_keys, key_directory
from hotline import db, wiring
from hotline.models import Case, CaseGrant, Handler
from tests.e2e.test_console import sign_in_first_time
from tests.key_tampering import set_key, swap_key
from tests.support.live_server import LiveServer

REFUSAL = "could not be verified"


def case_count(server: LiveServer) -> int:
    with server.app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(Case)) or 0)


def fill(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/report")
    page.select_option("#category", "fraud_accounting")
    page.fill("#what_happened", "keys test report")


def reports_posted(server: LiveServer) -> int:
    return server.recorder.all().count(b"/api/v1/reports ")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("which", ["x25519", "mlkem"])
def test_browser_refuses_a_substituted_key_in_a_rewritten_directory(
    page: Page, live_server: LiveServer, which: str
) -> None:
    victim = live_server.handler_ids["comp.one"]
    with live_server.app.app_context():
        old = swap_key(db.session(), victim, which, rechain=True)
    cases, posted = case_count(live_server), reports_posted(live_server)
    try:
        fill(page, live_server)
        page.click("#submit-report")
        expect(page.locator("#form-error")).to_contain_text(REFUSAL, timeout=30_000)
        expect(page.locator("#receipt-view")).to_be_hidden()
        assert reports_posted(live_server) == posted  # refused before anything was sent
        assert case_count(live_server) == cases
    finally:
        with live_server.app.app_context():
            set_key(db.session(), victim, which, old, rechain=True)


@pytest.mark.parametrize("which", ["x25519", "mlkem"])
def test_browser_refuses_a_substituted_key_the_server_did_not_filter(
    page: Page, live_server: LiveServer, which: str
) -> None:
    attacker = handler_keys.generate_private().public()
    swapped = base64.b64encode(attacker.x25519 if which == "x25519" else attacker.mlkem).decode()

    def tamper(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        for r in data["recipients"]:
            r[which] = swapped
        route.fulfill(response=response, body=json.dumps(data))

    page.route("**/api/v1/routing", tamper)
    cases, posted = case_count(live_server), reports_posted(live_server)
    fill(page, live_server)
    page.click("#submit-report")
    expect(page.locator("#form-error")).to_contain_text(REFUSAL, timeout=30_000)
    assert reports_posted(live_server) == posted
    assert case_count(live_server) == cases


def test_substitution_without_rewriting_the_directory_gets_nothing(
    page: Page, live_server: LiveServer
) -> None:
    victim = live_server.handler_ids["comp.one"]
    with live_server.app.app_context():
        old = swap_key(db.session(), victim, "x25519", rechain=False)
    try:
        with live_server.app.app_context():
            before = set(db.session().scalars(select(Case.id)))
        fill(page, live_server)
        page.click("#submit-report")
        expect(page.locator("#receipt-view")).to_be_visible(timeout=30_000)
        with live_server.app.app_context():
            (case_id,) = set(db.session().scalars(select(Case.id))) - before
            holders = set(
                db.session().scalars(
                    select(CaseGrant.handler_id).where(CaseGrant.case_id == case_id)
                )
            )
        assert victim not in holders and holders  # the audit committee still receives it
    finally:
        with live_server.app.app_context():
            set_key(db.session(), victim, "x25519", old, rechain=False)


def test_the_footer_shows_the_root_fingerprint(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/")
    fingerprint = wiring.services(live_server.app).context.keys.fingerprint
    assert fingerprint
    expect(page.locator("footer .fingerprint code")).to_have_text(fingerprint)


def test_console_shows_fingerprints_and_refuses_an_unverified_colleague(
    browser: Browser, live_server: LiveServer
) -> None:
    fill_context = browser.new_context()
    reporter = fill_context.new_page()
    fill(reporter, live_server)
    reporter.click("#submit-report")
    expect(reporter.locator("#receipt-view")).to_be_visible(timeout=30_000)
    fill_context.close()
    with live_server.app.app_context():
        case_id = db.session().scalars(select(Case.id).order_by(Case.id.desc())).first()
        session = db.session()
        me = session.get(Handler, live_server.handler_ids["comp.one"])
        assert me is not None and case_id is not None
        mine = key_directory.key_fingerprint(
            handler_keys.HandlerPublicKeys(me.x25519_public, me.mlkem_public)
        )
        grants = set(
            session.scalars(select(CaseGrant.case_id).where(CaseGrant.handler_id == me.id))
        )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_first_time(page, live_server, "comp.one")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    # The handler sees their own key's fingerprint, and no "unsigned" warning.
    expect(page.locator("#nav-key")).to_contain_text(" ".join(mine.split(" ")[:4]))
    expect(page.locator("#key-warning")).to_be_hidden()
    case = sorted(grants)[0]
    ombuds = live_server.handler_ids["ombuds.one"]
    page.click(f"#case-rows a:text('{case}')")
    expect(page.locator("#case-body")).to_be_visible(timeout=30_000)
    option = page.locator(f"#grant-target option[value='{ombuds}']")
    # The colleague's key replaced in the database (directory untouched), then the
    # directory rewritten to match: both times the console offers no grant to them.
    for rechain in (False, True):
        with live_server.app.app_context():
            old = swap_key(db.session(), ombuds, "mlkem", rechain=rechain)
        try:
            page.click("#open-grant")
            expect(page.locator("#grant-dialog")).to_be_visible()
            expect(option).to_contain_text("keys not signed")
            expect(option).to_be_disabled()
            expect(page.locator("#grant-submit")).to_be_disabled()
            page.click("#grant-cancel")
        finally:
            with live_server.app.app_context():
                set_key(db.session(), ombuds, "mlkem", old, rechain=rechain)
    with live_server.app.app_context():
        holders = set(
            db.session().scalars(select(CaseGrant.handler_id).where(CaseGrant.case_id == case))
        )
    assert ombuds not in holders
    context.close()
