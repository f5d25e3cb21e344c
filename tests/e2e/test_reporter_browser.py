"""Reporter journeys in real Chromium: JavaScript on (browser encrypts), off (server encrypts)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from crypto.attachments import encrypted_size
from hotline import db, wiring
from hotline.models import Attachment, Case, PendingBlob
from hotline.services import handler_access
from tests.support import find_plaintext, receipt_forms
from tests.support.live_server import E2E_HANDLERS, ROOT, LiveServer

GPS_MARK = b"GPSLatitudeRef"


def exif_gps_jpeg(server: LiveServer, path: Path) -> Path:
    """A JPEG carrying GPS metadata, which the scan then looks for in every store."""
    server.ledger.add_bytes(GPS_MARK, b"SecretCam")
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 41.0, 22.0)
    gps[3] = "E"
    gps[4] = (139.0, 41.0, 30.0)
    image.save(path, format="JPEG", exif=exif)
    assert Image.open(path).getexif().get_ifd(0x8825), "test image must carry GPS"
    return path


def marker(server: LiveServer, label: str) -> str:
    return server.ledger.marker(label, "経費の不正請求")


def unlock(server: LiveServer, username: str) -> handler_access.UnlockedHandler:
    return handler_access.unlock(
        db.session(), wiring.services(server.app).context, username, E2E_HANDLERS[username][1]
    )


def newest_case(server: LiveServer) -> Case:
    cases = db.session().scalars(select(Case)).all()
    known = getattr(server, "_seen", set())
    fresh = [c for c in cases if c.id not in known]
    assert len(fresh) == 1, f"expected one new case, found {len(fresh)}"
    known.add(fresh[0].id)
    server._seen = known  # type: ignore[attr-defined]
    return fresh[0]


def fill_report(page: Page, what: str, where: str, image: Path | None) -> None:
    page.select_option("#category", "fraud_accounting")
    page.fill("#what_happened", what)
    page.fill("#where", where)
    page.fill("#when", "last March")
    if image is not None:
        page.set_input_files("#files", str(image))


def test_js_on_report_receipt_followup(
    browser: Browser, live_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    mark = live_server.recorder.mark()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/report")
    expect(page.locator(".mode-browser")).to_be_visible()
    page.screenshot(path=str(artifacts / "report-form-en.png"), full_page=True)

    what, where = marker(live_server, "js report"), marker(live_server, "js where")
    image = exif_gps_jpeg(live_server, tmp_path / "evidence.jpg")
    fill_report(page, what, where, image)
    page.click("#submit-report")
    expect(page.locator("#receipt-view")).to_be_visible(timeout=30_000)
    receipt = page.inner_text("#receipt-code").strip()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt), receipt
    expect(page.locator("#form-error")).to_be_hidden()
    expect(page.locator("#ack-date")).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    live_server.ledger.receipt(receipt)
    page.screenshot(path=str(artifacts / "receipt-en.png"), full_page=True)
    expect(page.locator("#copy-receipt")).to_be_visible()
    argon_ms = page.evaluate(
        "performance.getEntriesByName('hotline-argon2id').map(e => e.duration)"
    )
    (artifacts.parent / "browser-argon2id-test-params.json").write_text(json.dumps(argon_ms))

    # The server never received the text, the receipt or the photo's GPS data (other tests'
    # no-JavaScript uploads do carry it: only this test's requests count).
    bodies = live_server.recorder.since(mark)
    assert find_plaintext({"requests": bodies}, [what, where, *receipt_forms(receipt)]) == []
    assert GPS_MARK not in bodies and b"SecretCam" not in bodies

    with live_server.app.app_context():
        case = newest_case(live_server)
        who = unlock(live_server, "comp.one")
        opened = handler_access.open_case(db.session(), who, case.id)
        assert opened.report["fields"]["what_happened"] == what
        assert opened.report["fields"]["where"] == where
        item = db.session().scalars(select(Attachment).where(Attachment.case_id == case.id)).one()
        view, data = handler_access.attachment_plaintext(
            db.session(), wiring.services(live_server.app).blobs, who, case.id, item.id
        )
        assert view.metadata_stripped and view.name == "evidence.jpg"
        # The browser padded the file: the database holds only its bucket's length.
        assert item.stored_bytes == encrypted_size(len(data)) == encrypted_size(view.size)
        cleaned = Image.open(io.BytesIO(data))
        assert cleaned.size == (64, 48)
        assert not cleaned.getexif() and GPS_MARK not in data and b"SecretCam" not in data
        answer = marker(live_server, "handler answer")
        handler_access.reply(
            db.session(), wiring.services(live_server.app).context, who, case.id, answer
        )

    page.goto(f"{live_server.url}/followup")
    page.fill("#receipt", receipt.replace(" ", "-"))
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#case-view")).to_be_visible(timeout=30_000)
    expect(page.locator("#case-view .messages")).to_contain_text(answer)
    expect(page.locator("#case-view")).to_contain_text(what)
    reply = marker(live_server, "reporter reply")
    page.fill("#reply-body", reply)
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#case-view [data-slot=reply-status]")).to_have_text(
        "Your message was sent.", timeout=30_000
    )
    expect(page.locator("#case-view .messages")).to_contain_text(reply)
    page.screenshot(path=str(artifacts / "followup-en.png"), full_page=True)
    assert find_plaintext({"requests": live_server.recorder.all()}, [reply, answer]) == []
    assert errors == []
    with live_server.app.app_context():
        opened = handler_access.open_case(db.session(), unlock(live_server, "audit.one"), case.id)
        assert [m.body for m in opened.messages] == [answer, reply]
    context.close()


def test_js_off_report_and_followup(
    browser: Browser, live_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/report")
    expect(page.locator(".mode-server")).to_be_visible()
    what, where = marker(live_server, "nojs report"), marker(live_server, "nojs where")
    fill_report(page, what, where, exif_gps_jpeg(live_server, tmp_path / "nojs.jpg"))
    page.check("#route-external")
    page.click("#submit-report")
    expect(page.locator("#receipt-code")).to_be_visible()
    receipt = page.inner_text("#receipt-code").strip()
    live_server.ledger.receipt(receipt)
    page.screenshot(path=str(artifacts / "receipt-nojs-en.png"), full_page=True)
    page.check("#saved")
    page.click("#done")
    expect(page.locator(".notice")).to_be_visible()

    with live_server.app.app_context():
        case = newest_case(live_server)
        who = unlock(live_server, "ombuds.one")
        assert (
            handler_access.open_case(db.session(), who, case.id).report["fields"]["what_happened"]
            == what
        )
        item = db.session().scalars(select(Attachment).where(Attachment.case_id == case.id)).one()
        _, data = handler_access.attachment_plaintext(
            db.session(), wiring.services(live_server.app).blobs, who, case.id, item.id
        )
        assert not Image.open(io.BytesIO(data)).getexif() and GPS_MARK not in data
        assert item.stored_bytes == encrypted_size(len(data))
        with pytest.raises(handler_access.NotGranted):
            handler_access.open_case(db.session(), unlock(live_server, "comp.one"), case.id)

    page.goto(f"{live_server.url}/followup")
    page.fill("#receipt", receipt)
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#case-view")).to_contain_text(what)
    reply = marker(live_server, "nojs reply")
    page.fill("#reply-body", reply)
    page.click("#reply-form button[type=submit]")
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator("#case-view .messages")).to_contain_text(reply)
    page.screenshot(path=str(artifacts / "followup-nojs-en.png"), full_page=True)
    context.close()


def test_wrong_receipts(browser: Browser, live_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/followup")
    before = len(live_server.recorder.bodies)
    page.fill("#receipt", "1234 5678 9012 3456")  # check digit wrong
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("check digit")
    assert len(live_server.recorder.bodies) == before, "a typo must be caught before any request"
    from crypto import receipts

    page.fill("#receipt", receipts.format_receipt(receipts.generate()))
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("No case matches", timeout=30_000)
    page.close()


def test_oversize_file(browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (2 * 1024 * 1024 + 1))
    page = browser.new_page()
    page.goto(f"{live_server.url}/report")
    fill_report(page, marker(live_server, "oversize"), "x", None)
    page.set_input_files("#files", str(big))
    page.click("#submit-report")
    expect(page.locator("#form-error")).to_contain_text("too large")
    page.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/report")
    fill_report(page, marker(live_server, "oversize nojs"), "x", None)
    page.set_input_files("#files", str(big))
    page.click("#submit-report")
    expect(page.locator("body")).to_contain_text("too large")
    context.close()
    with live_server.app.app_context():
        leftovers = db.session().scalars(select(PendingBlob.blob_id)).all()
    assert leftovers == []  # the refused uploads were discarded, not left for the sweep


def test_japanese_pages(browser: Browser, live_server: LiveServer, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.click("a.lang")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.screenshot(path=str(artifacts / "landing-ja.png"), full_page=True)
    page.goto(f"{live_server.url}/report")
    expect(page.locator("main > h1")).to_contain_text("通報")
    page.screenshot(path=str(artifacts / "report-form-ja.png"), full_page=True)
    what = marker(live_server, "日本語の通報")
    fill_report(page, what, "大阪工場", None)
    page.click("#submit-report")
    expect(page.locator("#receipt-view")).to_be_visible(timeout=30_000)
    receipt = page.inner_text("#receipt-code").strip()
    live_server.ledger.receipt(receipt)
    page.screenshot(path=str(artifacts / "receipt-ja.png"), full_page=True)
    page.goto(f"{live_server.url}/followup")
    page.fill("#receipt", receipt)
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#case-view")).to_contain_text(what, timeout=30_000)
    page.screenshot(path=str(artifacts / "followup-ja.png"), full_page=True)
    with live_server.app.app_context():
        newest_case(live_server)
    context.close()


AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("path", ["/", "/report", "/followup"])
def test_accessibility(browser: Browser, live_server: LiveServer, path: str) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    # Readable at 360 px: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_keyboard_only_report(browser: Browser, live_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/report")
    page.keyboard.press("Tab")  # skip link
    expect(page.locator("a.skip")).to_be_focused()
    page.locator("#category").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    expect(page.locator("#what_happened")).to_be_focused()
    page.close()
