"""The handler console in real Chromium: TOTP enrolment, the case list, decryption in the
browser, reply, note, status, file download; the reporter sees the reply and the new status;
the server never receives the report, the reply or the note in readable form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from hotline import db, wiring
from hotline.models import AuditEvent, Case
from hotline.services import accounts, audit, dates
from tests.support import find_plaintext
from tests.support.live_server import E2E_HANDLERS, ROOT, LiveServer

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def marker(server: LiveServer, label: str) -> str:
    return server.ledger.marker(label, "取引先からの不正なリベート")


def report_through_the_form(
    browser: Browser, server: LiveServer, what: str, file: Path, category: str = "fraud_accounting"
) -> str:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server.url}/report")
    expect(page.locator(".mode-browser")).to_be_visible()
    page.select_option("#category", category)
    page.fill("#what_happened", what)
    page.fill("#when", "in May")
    page.set_input_files("#files", str(file))
    page.click("#submit-report")
    expect(page.locator("#receipt-view")).to_be_visible(timeout=30_000)
    receipt = page.inner_text("#receipt-code").strip()
    server.ledger.receipt(receipt)
    context.close()
    return receipt


def sign_in_first_time(page: Page, server: LiveServer, username: str) -> pyotp.TOTP:
    """Password, then the enrolment view: read the key shown on the page, answer a code.
    The server made the key: the browser never sends it back, it only confirms a code."""
    totp = sign_in_first_time_at_enrolment(page, server, username)
    mark = server.recorder.mark()
    page.fill("#enrol-code", totp.now())
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#view-enrol")).to_be_hidden(timeout=30_000)
    assert totp.secret.encode() not in server.recorder.since(mark)
    return totp


def sign_in_first_time_at_enrolment(page: Page, server: LiveServer, username: str) -> pyotp.TOTP:
    page.goto(f"{server.url}/console")
    expect(page).to_have_url(re.compile(r"/console/login"))
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#memory-notice")).to_contain_text("only in this tab's memory")
    page.fill("#signin-username", username)
    page.fill("#signin-password", E2E_HANDLERS[username][1])
    page.click("#signin-submit")
    expect(page.locator("#view-enrol")).to_be_visible(timeout=30_000)
    expect(page.locator("#enrol-title")).to_be_focused()
    src = page.get_attribute("#enrol-qr", "src") or ""
    assert src.startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.getElementById('enrol-qr').naturalWidth") > 0
    secret = page.inner_text("#enrol-secret").replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    return pyotp.TOTP(secret)


def test_handler_journey(
    browser: Browser, live_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    what = marker(live_server, "console report")
    evidence = marker(live_server, "evidence file")
    file = tmp_path / "evidence.txt"
    file.write_text(evidence, encoding="utf-8")
    with live_server.app.app_context():
        before = set(db.session().scalars(select(Case.id)))
    receipt = report_through_the_form(browser, live_server, what, file)
    with live_server.app.app_context():
        case = db.session().scalars(select(Case).where(Case.id.not_in(before))).one()
        case_id, acknowledge_by = case.id, case.acknowledge_by

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    # Expected refusals (the first sign-in's "enrol first" answer) are logged by Chromium as
    # failed loads; anything else on the console is a bug.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_first_time(page, live_server, "comp.one")

    # The list: the case, its deadline, nearest first; the URL is the console's again.
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    assert page.evaluate("performance.getEntriesByName('hotline-login-argon2id').length") == 1
    expect(page).to_have_url(re.compile(r"/console(#.*)?$"))
    expect(page.locator("#nav-who")).to_contain_text("Aiko Sato")
    row = page.locator("#case-rows tr", has_text=case_id)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(acknowledge_by.isoformat())
    expect(row).to_contain_text("Received")
    expect(row).to_contain_text("Web form")
    expect(row).to_contain_text("On time")
    expect(page.locator("#list-summary")).to_have_text("Showing 1 of 1 cases")
    expect(page.locator("#next-page")).to_be_hidden()
    page.screenshot(path=str(artifacts / "console-list.png"), full_page=True)

    # The case, decrypted in the browser.
    page.click(f"#case-rows a:text('{case_id}')")
    expect(page.locator("#case-body")).to_be_visible(timeout=30_000)
    expect(page.locator("#case-report")).to_contain_text(what)
    expect(page.locator("#case-report")).to_contain_text("in May")
    expect(page.locator("#case-meta [data-slot=next_deadline]")).to_have_text(
        acknowledge_by.isoformat()
    )
    expect(page.locator("#case-files")).to_contain_text("evidence.txt")
    with page.expect_download() as info:
        page.click("#case-files button")
    download = info.value
    assert download.suggested_filename == "evidence.txt"
    assert Path(download.path()).read_text(encoding="utf-8") == evidence

    reply = marker(live_server, "handler reply")
    page.fill("#reply-text", reply)
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#reply-form [data-slot=form-status]")).to_contain_text("sent")
    expect(page.locator("#case-messages")).to_contain_text(reply)
    # The first reply acknowledged the case: the console shows it at once.
    feedback = dates.add_months(dates.today(), 3).isoformat()
    expect(page.locator("#case-meta [data-slot=status]")).to_have_text("Acknowledged")
    expect(page.locator("#case-meta [data-slot=next_deadline]")).to_have_text(feedback)
    expect(page.locator("#case-trail")).to_contain_text("Status changed · Acknowledged")

    note = marker(live_server, "internal note")
    page.fill("#note-text", note)
    page.click("#note-form button[type=submit]")
    expect(page.locator("#note-form [data-slot=form-status]")).to_contain_text("saved")
    expect(page.locator("#case-notes")).to_contain_text(note)

    # Closing needs an outcome; the form says so without a request.
    page.select_option("#status-select", "closed")
    expect(page.locator("#outcome-field")).to_be_visible()
    page.click("#status-form button[type=submit]")
    expect(page.locator("#console-error")).to_contain_text("outcome")
    page.select_option("#status-select", "assessing")
    expect(page.locator("#outcome-field")).to_be_hidden()
    page.click("#status-form button[type=submit]")
    expect(page.locator("#status-form [data-slot=form-status]")).to_contain_text("changed")
    expect(page.locator("#case-meta [data-slot=status]")).to_have_text("Being assessed")
    expect(page.locator("#case-meta [data-slot=feedback_by]")).to_have_text(feedback)
    expect(page.locator("#case-meta [data-slot=next_deadline]")).to_have_text(feedback)
    expect(page.locator("#status-select option")).to_have_count(2)  # forward only
    expect(page.locator("#case-trail")).to_contain_text("Replied to the reporter")
    expect(page.locator("#case-trail")).to_contain_text("Wrote a note")
    expect(page.locator("#case-trail")).to_contain_text("Status changed · Being assessed")
    # One entry per action: the case was viewed once, however often the page repainted.
    expect(page.locator("#case-trail li", has_text="Viewed")).to_have_count(1)
    page.screenshot(path=str(artifacts / "console-case.png"), full_page=True)

    # Sharing with a colleague, in the browser: the audit chair already holds it; the
    # ombudsperson receives a new grant.
    page.click("#open-grant")
    expect(page.locator("#grant-dialog")).to_be_visible()
    expect(page.locator("#grant-target")).to_be_focused()
    options = page.locator("#grant-target option").all_inner_texts()
    assert not any("Aiko Sato" in o or "Kenji Ito" in o for o in options), options
    page.select_option("#grant-target", str(live_server.handler_ids["ombuds.one"]))
    page.click("#grant-submit")
    expect(page.locator("#grant-dialog")).to_be_hidden()
    expect(page.locator("#case-holders")).to_contain_text("Dr. Mori")
    expect(page.locator("#grant-status")).to_contain_text("shared")

    # The reporter sees the reply, the new status and the feedback deadline.
    reporter = browser.new_context(viewport={"width": 390, "height": 844})
    rpage = reporter.new_page()
    rpage.goto(f"{live_server.url}/followup")
    rpage.fill("#receipt", receipt)
    rpage.click("#followup-form button[type=submit]")
    expect(rpage.locator("#case-view")).to_be_visible(timeout=30_000)
    expect(rpage.locator("#case-view .messages")).to_contain_text(reply)
    expect(rpage.locator("#case-view [data-slot=status]")).to_have_text("Being assessed")
    expect(rpage.locator("#case-view [data-slot=feedback_by]")).to_have_text(feedback)
    expect(rpage.locator("#case-view")).not_to_contain_text(note)
    reporter.close()

    # The server received none of it in readable form.
    bodies = live_server.recorder.all()
    assert find_plaintext({"requests": bodies}, [what, evidence, reply, note]) == []
    assert E2E_HANDLERS["comp.one"][1].encode() not in bodies

    # Signing out, then reloading: the sign-in view, and no key survives anywhere.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    page.click("#sign-out")
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#console-status")).to_contain_text("signed out")
    expect(page.locator("#case-report")).to_be_empty()
    page.reload()
    expect(page).to_have_url(re.compile(r"/console/login"))
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#view-list")).to_be_hidden()
    assert errors == []
    context.close()

    with live_server.app.app_context():
        session = db.session()
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        for action in (
            "totp_enrolled",
            "login",
            "view",
            "file",
            "reply",
            "note",
            "status",
            "grant",
            "logout",
        ):
            assert action in actions, action
        assert audit.verify(session).ok
        on_case = [
            (e.action, e.detail)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
            )
        ]
        assert [a for a, _ in on_case].count("view") == 1, on_case
        assert ("status", "acknowledged") in on_case, on_case


def test_reload_while_signed_in_asks_to_sign_in_again(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    evidence = tmp_path / "note.txt"
    evidence.write_text(marker(live_server, "reload evidence"))
    # A case for the audit committee alone, to list (compliance's list stays as it was).
    what = marker(live_server, "reload report")
    report_through_the_form(browser, live_server, what, evidence, "executive_misconduct")
    context = browser.new_context()
    page = context.new_page()
    totp = sign_in_first_time(page, live_server, "audit.one")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    page.reload()
    # The server session is still valid, but the keys were only in the old page's memory.
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#view-list")).to_be_hidden()
    page.fill("#signin-username", "audit.one")
    page.fill("#signin-password", E2E_HANDLERS["audit.one"][1])
    # The next 30-second step's code: the enrolment code was spent, and replays are refused.
    page.fill("#signin-code", totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.click("#signin-submit")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    expect(page.locator("#case-rows")).to_contain_text("HL-")
    # A wrong code is refused with a clear message.
    page.click("#sign-out")
    page.fill("#signin-username", "audit.one")
    page.fill("#signin-password", E2E_HANDLERS["audit.one"][1])
    page.fill("#signin-code", "12345")
    page.click("#signin-submit")
    expect(page.locator("#console-error")).to_contain_text("6 digits")
    context.close()


def test_admin_sees_no_cases_only_a_notice(browser: Browser, live_server: LiveServer) -> None:
    username, password = "e2e.admin", "e2e-admin-pass-8h!"
    with live_server.app.app_context():
        accounts.create_handler(
            db.session(),
            wiring.services(live_server.app).context,
            username,
            None,
            password,
            "Ada Admin",
            is_admin=True,
        )
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/console/login")
    page.fill("#signin-username", username)
    page.fill("#signin-password", password)
    page.click("#signin-submit")
    expect(page.locator("#view-enrol")).to_be_visible(timeout=30_000)
    totp = pyotp.TOTP(page.inner_text("#enrol-secret").replace(" ", ""))
    page.fill("#enrol-code", totp.now())
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#view-admin")).to_be_visible(timeout=30_000)
    expect(page.locator("#view-admin a[href='/admin']")).to_be_visible()
    expect(page.locator("#nav-cases")).to_be_hidden()
    page.goto(f"{live_server.url}/console#/cases")
    expect(page.locator("#view-list")).to_be_hidden()
    # Sent to sign in by an administration page, an administrator goes back there.
    page.goto(f"{live_server.url}/console/login?next=/admin")
    page.fill("#signin-username", username)
    page.fill("#signin-password", password)
    page.fill("#signin-code", totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.click("#signin-submit")
    expect(page).to_have_url(re.compile(r"/admin$"), timeout=30_000)
    context.close()


def test_console_accessible_at_360px(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    page = context.new_page()

    def check(where: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], where
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > 361)
                .map((el) => el.tagName + '#' + el.id + '.' + el.className).slice(0, 5)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (where, wide)

    page.goto(f"{live_server.url}/console/login")
    check("sign-in")
    page.click("#show-recover")
    expect(page.locator("#view-recover")).to_be_visible()
    check("recovery")
    page.click("#recover-cancel")
    totp = sign_in_first_time_at_enrolment(page, live_server, "ombuds.one")
    check("enrolment")
    page.fill("#enrol-code", totp.now())
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#view-list")).to_be_visible(timeout=30_000)
    check("case list")
    links = page.locator("#case-rows a")
    if links.count():
        links.first.click()
        expect(page.locator("#case-body")).to_be_visible(timeout=30_000)
        check("case page")
    context.close()
