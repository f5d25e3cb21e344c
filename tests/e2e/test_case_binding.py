"""Issue 11 items 7 and 8 in real Chromium.

The reporter's browser sends one case-key grant per recipient, bound to a case id it chose,
and no notes key; the first handler who writes a note makes the notes key in the console and
grants it to every holder. When a database writer makes a granted key that does not open the
case's report (a grant moved from another case, or another case's report put in its place),
the console stops with a clear error: no placeholder, no reply, note or grant with that key.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

import pyotp
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from crypto.grants import GRANT_BYTES
from crypto.sealing import is_case_id
from hotline import db, wiring
from hotline.models import Case, CaseGrant, Handler
from hotline.services import accounts
from tests.e2e.test_console import marker, sign_in_first_time
from tests.support.live_server import LiveServer
from tests.support.tamper import copy_grant

CASE_KEY_ERROR = "does not open this case's report"


def report_in_browser(browser: Browser, server: LiveServer, what: str) -> dict[str, Any]:
    """Send a report with JavaScript on; return the JSON body the browser posted."""
    context = browser.new_context()
    page = context.new_page()
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            sent.append(json.loads(r.post_data or "{}"))
            if r.method == "POST" and r.url.endswith("/api/v1/reports")
            else None
        ),
    )
    page.goto(f"{server.url}/report")
    expect(page.locator(".mode-browser")).to_be_visible()
    page.select_option("#category", "fraud_accounting")
    page.fill("#what_happened", what)
    page.click("#submit-report")
    expect(page.locator("#receipt-view")).to_be_visible(timeout=30_000)
    server.ledger.receipt(page.inner_text("#receipt-code").strip())
    context.close()
    assert len(sent) == 1
    return sent[0]


def open_case(page: Page, server: LiveServer, case_id: str) -> None:
    page.goto(f"{server.url}/console#/case/{case_id}")


def test_browser_sends_no_notes_key_and_the_console_makes_it(
    browser: Browser, live_server: LiveServer
) -> None:
    what = marker(live_server, "binding report")
    payload = report_in_browser(browser, live_server, what)
    case_id = payload["case_id"]
    assert is_case_id(case_id)
    assert "notes" not in json.dumps(sorted(payload))  # no notes-key field at all
    for grant in payload["grants"]:
        assert set(grant) == {"handler_id", "sealed_keys"}
        assert len(base64.b64decode(grant["sealed_keys"])) == GRANT_BYTES  # one key only
    with live_server.app.app_context():
        rows = list(db.session().scalars(select(CaseGrant).where(CaseGrant.case_id == case_id)))
        assert {r.handler_id for r in rows} == {g["handler_id"] for g in payload["grants"]}
        assert all(r.sealed_notes_key is None for r in rows)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_first_time(page, live_server, "comp.one")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    open_case(page, live_server, case_id)
    expect(page.locator("#case-report")).to_contain_text(what, timeout=30_000)
    note = marker(live_server, "binding note")
    page.fill("#note-text", note)
    page.click("#note-form button[type=submit]")
    expect(page.locator("#note-form [data-slot=form-status]")).to_contain_text("saved")
    expect(page.locator("#case-notes")).to_contain_text(note)
    expect(page.locator("#case-trail")).to_contain_text("Made the notes key")
    with live_server.app.app_context():
        rows = list(db.session().scalars(select(CaseGrant).where(CaseGrant.case_id == case_id)))
        assert rows and all(r.sealed_notes_key is not None for r in rows)
    # A reply after the note: the message number the server handed out is used.
    reply = marker(live_server, "binding reply")
    page.fill("#reply-text", reply)
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#reply-form [data-slot=form-status]")).to_contain_text("sent")
    expect(page.locator("#case-messages")).to_contain_text(reply)
    context.close()


def _console_stops(
    browser: Browser, server: LiveServer, who: tuple[str, str], case_id: str, text: str
) -> None:
    """Open the case: a clear error, no content, and nothing sent with the key afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_fresh(page, server, *who)
    mark = server.recorder.mark()
    open_case(page, server, case_id)
    expect(page.locator("#console-error")).to_contain_text(CASE_KEY_ERROR, timeout=30_000)
    expect(page.locator("#case-body")).to_be_hidden()
    expect(page.locator("#reply-form")).to_be_hidden()
    expect(page.locator("#note-form")).to_be_hidden()
    expect(page.locator("#open-grant")).to_be_hidden()
    expect(page.locator("#case-report")).not_to_contain_text(text)
    expect(page.locator("#case-report")).not_to_contain_text("could not be decrypted")
    # Even a form submitted by script finds no key to use.
    page.evaluate(
        "for (const id of ['reply-form', 'note-form']) document.getElementById(id).requestSubmit()"
    )
    page.wait_for_timeout(500)
    posted = [
        line.split(b" ", 1)[0].decode()
        for line in server.recorder.since(mark).split(b"\n")
        if line.startswith(b"/handler/api/cases/")
    ]
    assert not [p for p in posted if re.search(r"/(replies|notes|notes-key|grants)$", p)], posted
    with server.app.app_context():
        rows = db.session().scalars(
            select(CaseGrant.sealed_notes_key).where(CaseGrant.case_id == case_id)
        )
        assert all(r is None for r in rows)
    context.close()


def fresh_handler(server: LiveServer) -> tuple[str, str]:
    """A compliance handler of this test's own (enrolled on first sign-in): it receives the
    fraud reports sent after this."""
    username = f"bind.{secrets.token_hex(3)}"
    password = f"bind-pass-{secrets.token_hex(6)}"
    server.ledger.add(password)
    with server.app.app_context():
        accounts.create_handler(
            db.session(),
            wiring.services(server.app).context,
            username,
            "compliance",
            password,
            "Binding Tester",
            "Compliance officer",
        )
    return username, password


def sign_in_fresh(page: Page, server: LiveServer, username: str, password: str) -> None:
    page.goto(f"{server.url}/console")
    expect(page.locator("#view-signin")).to_be_visible()
    page.fill("#signin-username", username)
    page.fill("#signin-password", password)
    page.click("#signin-submit")
    expect(page.locator("#view-enrol")).to_be_visible(timeout=30_000)
    totp = pyotp.TOTP(page.inner_text("#enrol-secret").replace(" ", ""))
    page.fill("#enrol-code", totp.now())
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)


def test_console_stops_when_another_cases_report_is_put_in_place(
    browser: Browser, live_server: LiveServer
) -> None:
    who = fresh_handler(live_server)
    first = report_in_browser(browser, live_server, marker(live_server, "first report"))
    other_text = marker(live_server, "second report")
    second = report_in_browser(browser, live_server, other_text)
    with live_server.app.app_context():
        session = db.session()
        moved = session.get(Case, first["case_id"])
        assert moved is not None
        session.execute(
            update(Case)
            .where(Case.id == second["case_id"])
            .values(sealed_report=moved.sealed_report)
        )
        session.commit()
    _console_stops(browser, live_server, who, second["case_id"], other_text)


def test_console_stops_when_a_grant_is_moved_from_another_case(
    browser: Browser, live_server: LiveServer
) -> None:
    who = fresh_handler(live_server)
    first = report_in_browser(browser, live_server, marker(live_server, "grant source"))
    target_text = marker(live_server, "grant target")
    second = report_in_browser(browser, live_server, target_text)
    with live_server.app.app_context():
        me = db.session().scalars(select(Handler.id).where(Handler.username == who[0])).one()
    copy_grant(live_server.app, me, first["case_id"], second["case_id"])
    _console_stops(browser, live_server, who, second["case_id"], target_text)
