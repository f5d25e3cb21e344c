"""Adversarial review of issue 11 item 14 in real Chromium: a file description that does not
open (garbage of the right length from a malicious reporter's browser, or a row a database
writer moved from another case) is a plain "file" entry on the reporter's follow-up with
JavaScript on; the report and the other files still show (the no-JavaScript page and the
channels: tests/integration/test_review_attacks.py)."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from crypto import attachments as file_crypto
from crypto import sealing
from hotline import db, wiring
from hotline.models import CaseGrant, Handler
from hotline.services import accounts, attachments, followup
from tests.e2e.test_case_binding import fresh_handler, report_in_browser, sign_in_fresh
from tests.e2e.test_console import marker
from tests.support.live_server import LiveServer
from tests.support.tamper import plant_file


def _plant(server: LiveServer, case_id: str, case_key: bytes, sealed_meta: bytes) -> None:
    plant_file(server.app, case_id, case_key, b"%PDF-1.4 planted", sealed_meta)


def test_a_file_description_that_does_not_open_leaves_the_case_readable(
    browser: Browser, live_server: LiveServer
) -> None:
    what = marker(live_server, "unreadable description report")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/report")
    expect(page.locator(".mode-browser")).to_be_visible()
    page.select_option("#category", "fraud_accounting")
    page.fill("#what_happened", what)
    page.click("#submit-report")
    expect(page.locator("#receipt-view")).to_be_visible(timeout=30_000)
    receipt = live_server.ledger.receipt(page.inner_text("#receipt-code").strip())
    context.close()
    with live_server.app.app_context():
        case, case_key = followup._unlock(
            db.session(), wiring.services(live_server.app).context, receipt
        )
        case_id = case.id
    good = file_crypto.describe_file("ledger.pdf", "application/pdf", 16, False)
    _plant(live_server, case_id, case_key, sealing.seal_attachment_meta(case_key, good, case_id))
    _plant(live_server, case_id, case_key, secrets.token_bytes(attachments.META_BYTES))
    moved = sealing.seal_attachment_meta(case_key, good, sealing.new_case_id())
    _plant(live_server, case_id, case_key, moved)

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/followup")
    page.fill("#receipt", receipt)
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#case-view")).to_be_visible(timeout=30_000)
    expect(page.locator("#case-view")).to_contain_text(what)
    files = page.locator('#case-view [data-slot="files"] li')
    expect(files).to_have_count(3)
    expect(files.filter(has_text="ledger.pdf")).to_have_count(1)
    expect(files.filter(has_text=re.compile(r"^\s*file\s*$"))).to_have_count(2)
    assert errors == []
    context.close()


def test_console_gives_the_notes_key_to_a_reactivated_holder(
    browser: Browser, live_server: LiveServer
) -> None:
    """A holder deactivated when the notes key was made is offered in the share dialog once
    back, and sharing with them grants the notes key: they read the note made meanwhile."""
    first, returning = fresh_handler(live_server), fresh_handler(live_server)
    what = marker(live_server, "reactivated holder report")
    case_id = report_in_browser(browser, live_server, what)["case_id"]
    ctx = wiring.services(live_server.app).context
    with live_server.app.app_context():
        session = db.session()
        admin = accounts.create_handler(
            session,
            ctx,
            f"admin.{secrets.token_hex(3)}",
            None,
            secrets.token_hex(12),
            is_admin=True,
        )
        back_id = session.scalars(select(Handler.id).where(Handler.username == returning[0])).one()
        accounts.set_active(session, ctx.keys, admin.handler_id, back_id, False)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_fresh(page, live_server, *first)
    page.goto(f"{live_server.url}/console#/case/{case_id}")
    expect(page.locator("#case-report")).to_contain_text(what, timeout=30_000)
    note = marker(live_server, "note while away")
    page.fill("#note-text", note)
    page.click("#note-form button[type=submit]")
    expect(page.locator("#case-notes")).to_contain_text(note, timeout=30_000)
    with live_server.app.app_context():
        accounts.set_active(db.session(), ctx.keys, admin.handler_id, back_id, True)
        row = (
            db.session()
            .scalars(
                select(CaseGrant).where(
                    CaseGrant.case_id == case_id, CaseGrant.handler_id == back_id
                )
            )
            .one()
        )
        assert row.released and row.sealed_notes_key is None
    page.click("#open-grant")
    expect(page.locator(f"#grant-target option[value='{back_id}']")).to_be_enabled()
    page.select_option("#grant-target", str(back_id))
    page.click("#grant-submit")
    expect(page.locator("#grant-status")).to_contain_text("shared", timeout=30_000)
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_fresh(page, live_server, *returning)
    page.goto(f"{live_server.url}/console#/case/{case_id}")
    expect(page.locator("#case-notes")).to_contain_text(note, timeout=30_000)
    context.close()
