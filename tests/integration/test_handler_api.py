"""The handler console's JSON API, on SQLite and PostgreSQL, with the browser's crypto done in
Python: sign-in with the Argon2id login proof and TOTP, enrolment, throttling, sessions, the
case list, the sealed bundle, status, replies, notes, grants, admins and the audit chain."""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from crypto import attachments as file_crypto
from crypto import handler_keys, sealing
from crypto.errors import DecryptionError
from crypto.grants import CASE_KEY, NOTES_KEY, GrantFor, make_grant
from crypto.handler_keys import HandlerPublicKeys
from crypto.primitives import Argon2Params
from hotline import db, wiring
from hotline.models import Attachment, AuditEvent, Author, Case, CaseGrant
from hotline.services import accounts, audit, dates
from tests.support import b64, body, unb64
from tests.support.config import patch_settings
from tests.support.console import (
    CLOCK,
    code_for,
    granted_ids,
    login_parameters,
    new_handler,
    post_login,
    prove,
    public_of,
    reporter_view,
    sign_in,
    submit,
)
from tests.support.world import ADMIN, World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("console_signins")]


def marker(world: World, label: str) -> str:
    return world.ledger.marker(label, "購買部の佐藤さんが")



# --- pages and the API's edges -------------------------------------------------------------


def test_pages_and_json_errors(world: World) -> None:
    client = world.app.test_client()
    r = client.get("/console")
    assert r.status_code == 302 and r.headers["Location"].startswith("/console/login")
    r = client.get("/console/login")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'id="console-i18n"' in page and "build/console.js" in page
    assert "only in this tab's memory" in page
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    # The console's strings come from the template, in the page's language, with the labels.
    strings = json.loads(page.split('id="console-i18n">', 1)[1].split("</script>", 1)[0])
    assert strings["actions"]["view"] == "Viewed" and strings["desks"]["compliance"]
    assert strings["page_of"] == "Showing {shown} of {total} cases"
    assert strings["categories"]["fraud_accounting"] and "error_keys" in strings
    # Signed-in endpoints answer JSON, never a redirect or an HTML page.
    for path in ("cases", "cases/HL-XXXX", "handlers/directory"):
        r = client.get(f"/handler/api/{path}")
        assert r.status_code == 401 and body(r)["error"] == "not_signed_in", path
    r = client.post("/handler/api/cases/HL-XXXX/notes", json={"sealed_body": b64(bytes(64))})
    assert r.status_code == 401 and body(r)["error"] == "not_signed_in"
    assert body(client.get("/handler/api/nothing-here"))["error"] == "not_found"
    # A cross-site form cannot post: JSON only.
    r = client.post("/handler/api/login", data={"username": "comp.one", "auth": "x"})
    assert r.status_code == 415 and body(r)["error"] == "unsupported_media_type"
    r = client.post("/handler/api/logout", data={})
    assert r.status_code == 415
    r = client.post("/handler/api/login", json={"username": "comp.one", "auth": "x", "extra": 1})
    assert r.status_code == 400 and body(r)["field"] == "extra"
    r = client.post("/handler/api/login", json={"username": "comp.one", "auth": b64(b"short")})
    assert r.status_code == 400 and body(r)["field"] == "auth"


def test_unknown_user_looks_like_a_wrong_password(world: World) -> None:
    client = world.app.test_client()
    ghost = login_parameters(client, "nobody.here")
    assert ghost == login_parameters(client, "nobody.here"), "the fake salt must be stable"
    assert ghost["salt"] != login_parameters(client, "nobody.else")["salt"]
    real = login_parameters(client, "comp.two")
    assert set(ghost) == set(real) == {"salt", "ops", "mem_bytes"}
    assert (ghost["ops"], ghost["mem_bytes"]) == (real["ops"], real["mem_bytes"])
    assert len(unb64(ghost["salt"])) == len(unb64(real["salt"])) == 16

    unknown = post_login(
        client, "nobody.here", prove(client, "nobody.here", "whatever-pass").auth, "123456"
    )
    wrong = post_login(
        client, "comp.two", prove(client, "comp.two", "not-the-password").auth, "123456"
    )
    assert unknown.status_code == wrong.status_code == 401
    assert body(unknown) == body(wrong)
    assert body(wrong)["error"] == "invalid_credentials"


def test_enrolment_then_sign_in(world: World) -> None:
    console = sign_in(world, "comp.one")  # first time: enrolment through the QR flow
    assert console.material["display_name"] == "comp.one"
    assert console.material["desk"] == "compliance" and console.material["is_admin"] is False
    assert console.get("cases").status_code == 200
    # Enrolment cannot be restarted once done, even with the right password.
    client = world.app.test_client()
    proof = prove(client, "comp.one", world.passwords["comp.one"])
    r = client.post(
        "/handler/api/login/enrol/start", json={"username": "comp.one", "auth": b64(proof.auth)}
    )
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    # The normal way in from now on: password proof plus a code.
    again = sign_in(world, "comp.one")
    assert again.get("cases").status_code == 200


def test_enrolment_refuses_a_wrong_code(world: World) -> None:
    client = world.app.test_client()
    proof = prove(client, "comp.two", world.passwords["comp.two"])
    started = body(
        client.post(
            "/handler/api/login/enrol/start",
            json={"username": "comp.two", "auth": b64(proof.auth)},
        )
    )
    wrong = "000000" if CLOCK.code(started["secret"]) != "000000" else "111111"
    r = client.post(
        "/handler/api/login/enrol/finish",
        json={"username": "comp.two", "auth": b64(proof.auth), "code": wrong},
    )
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    assert client.get("/handler/api/cases").status_code == 401
    # Still not enrolled: the next sign-in asks for enrolment again.
    assert (
        body(post_login(client, "comp.two", proof.auth, ""))["error"] == "totp_enrolment_required"
    )


def test_wrong_password_wrong_code_and_replayed_code(world: World) -> None:
    sign_in(world, "audit.one")
    secret = world.totp_secrets["audit.one"]
    client = world.app.test_client()
    bad = prove(client, "audit.one", "audit-one-pass-WRONG")
    r = post_login(client, "audit.one", bad.auth, CLOCK.code(secret))
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    good = prove(client, "audit.one", world.passwords["audit.one"])
    r = post_login(client, "audit.one", good.auth, None)  # a right password alone
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    code = CLOCK.code(secret)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = post_login(client, "audit.one", good.auth, wrong)
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    assert client.get("/handler/api/cases").status_code == 401
    r = post_login(client, "audit.one", good.auth, code)
    assert r.status_code == 200
    replayed = world.app.test_client()
    r = post_login(replayed, "audit.one", good.auth, code)
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    assert replayed.get("/handler/api/cases").status_code == 401


def test_failed_sign_ins_are_throttled_per_username(world: World) -> None:
    sign_in(world, "harass.one")
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    wrong = secrets.token_bytes(32)
    for _ in range(6):  # five free failures, the sixth starts the delay
        r = post_login(client, "harass.one", wrong, "123456")
        assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    good = prove(client, "harass.one", world.passwords["harass.one"])
    r = post_login(client, "harass.one", good.auth, code_for(world, "harass.one"))
    assert r.status_code == 429 and body(r)["error"] == "too_many_attempts"
    assert "sign-ins" in body(r)["message"]
    # A self-chosen session header does not buy a fresh budget.
    client.environ_base["HTTP_X_HOTLINE_SESSION"] = secrets.token_hex(8)
    r = post_login(client, "harass.one", good.auth, code_for(world, "harass.one"))
    assert r.status_code == 429
    del client.environ_base["HTTP_X_HOTLINE_SESSION"]
    # Another username from the same client is not held up.
    r = post_login(client, "privacy.one", wrong, "123456")
    assert r.status_code == 401
    # A different client is not held up yet: the account's own budget, counted from every
    # address, has more free failures (test_handler_signin.py spends it).
    other = world.app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    r = post_login(other, "harass.one", good.auth, code_for(world, "harass.one"))
    assert r.status_code == 200


def test_login_rate_limit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    patch_settings(monkeypatch, world.app, LOGIN_RATE_LIMIT="3 per minute")
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    statuses = [
        client.post("/handler/api/login/parameters", json={"username": "x.y"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    r = client.post("/handler/api/login", json={"username": "x.y", "auth": b64(bytes(32))})
    assert r.status_code == 429 and body(r)["error"] == "rate_limited"


def test_session_idle_timeout_and_logout(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    console = sign_in(world, "comp.one")
    assert console.get("cases").status_code == 200
    real = time.time
    idle = wiring.settings(world.app).handler_idle_minutes * 60
    monkeypatch.setattr(time, "time", lambda: real() + idle - 60)
    assert console.get("cases").status_code == 200  # activity keeps the session alive
    monkeypatch.setattr(time, "time", lambda: real() + 2 * idle + 120)
    r = console.get("cases")
    assert r.status_code == 401 and body(r)["error"] == "not_signed_in"
    monkeypatch.setattr(time, "time", real)
    assert console.get("cases").status_code == 401, "an expired session stays ended"

    console = sign_in(world, "comp.one")
    r = console.post("logout", {})
    assert r.status_code == 200 and body(r) == {"signed_out": True}
    assert console.get("cases").status_code == 401
    assert console.post("logout", {}).status_code == 200  # harmless when signed out


# --- the case list -------------------------------------------------------------------------


def test_list_pages_with_cursors_and_filters(world: World) -> None:
    username = new_handler(world, "compliance", "lister")
    categories = ("fraud_accounting", "bribery_corruption", "other", "other", "safety_environment")
    for category in (*categories, "harassment"):
        submit(world, category)
    console = sign_in(world, username)
    mine = granted_ids(world, console.handler_id)
    # One case is overdue: it sorts first and carries the flag.
    late = sorted(mine)[0]
    with world.app.app_context():
        session = db.session()
        case = session.get(Case, late)
        assert case is not None
        case.next_deadline = dates.today() - timedelta(days=2)
        session.commit()

    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query: dict[str, Any] = {"limit": 2}
        if cursor:
            query["cursor"] = cursor
        page = body(console.get("cases", **query))
        assert page["total"] == len(mine)
        assert len(page["cases"]) <= 2
        seen.extend(page["cases"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(mine) >= 5 and pages == (len(mine) + 1) // 2
    assert [c["case_id"] for c in seen] == sorted(
        (c["case_id"] for c in seen),
        key=lambda i: (next(c["next_deadline"] for c in seen if c["case_id"] == i) or "9", i),
    )
    assert {c["case_id"] for c in seen} == mine and len(seen) == len(mine)
    assert seen[0]["case_id"] == late and seen[0]["overdue"] is True
    assert all(not c["overdue"] for c in seen[1:])
    first = seen[0]
    assert set(first) == {
        "case_id",
        "category",
        "channel",
        "status",
        "received_on",
        "next_deadline",
        "days_open",
        "overdue",
    }
    assert first["days_open"] == 0 and first["channel"] == "chat"

    bribery = body(console.get("cases", category="bribery_corruption"))
    assert bribery["total"] >= 1 and {c["category"] for c in bribery["cases"]} == {
        "bribery_corruption"
    }
    overdue = body(console.get("cases", overdue="1"))
    assert [c["case_id"] for c in overdue["cases"]] == [late]
    assert body(console.get("cases", channel="web"))["total"] == 0
    assert body(console.get("cases", channel="chat"))["total"] == len(mine)
    assert body(console.get("cases", status="received"))["total"] == len(mine)
    # A harassment case is not routed to compliance and never listed.
    assert all(c["category"] != "harassment" for c in seen)
    for bad in ({"status": "archived"}, {"cursor": "nonsense"}, {"limit": "many"}):
        r = console.get("cases", **bad)
        assert r.status_code == 400 and body(r)["error"] == "invalid_input", bad


# --- one case ------------------------------------------------------------------------------


def test_open_bundle_and_decrypt_in_python(world: World) -> None:
    where = marker(world, "where")
    case = submit(world, where=where)
    follow = marker(world, "reporter follow-up")
    r = world.app.test_client().post(
        "/api/v1/channel/followup/messages",
        json={"receipt": case["receipt"], "body": follow},
        headers=world.auth(),
    )
    assert r.status_code == 201
    console = sign_in(world, "comp.one")
    data, keys = console.keys(case["case_id"])
    report = sealing.open_report(keys.case_key, unb64(data["sealed_report"]), case["case_id"])
    assert report["fields"]["what_happened"] == case["body"]
    assert report["fields"]["where"] == where
    assert [
        (
            m["author"],
            sealing.open_message(
                keys.case_key, unb64(m["sealed_body"]), case["case_id"], m["author_id"], m["seq"]
            ),
        )
        for m in data["messages"]
    ] == [("reporter", follow)]
    assert data["next_message_seq"] == 1 and data["next_note_seq"] == 0
    # No reporter path makes a notes key: the case has none until a handler makes it.
    assert data["notes_grant"] is None and data["has_notes_key"] is False and keys.notes_key is None
    assert data["status"] == "received" and data["notes"] == [] and data["attachments"] == []
    assert data["next_deadline"] == data["acknowledge_by"] and data["overdue"] is False
    holders = {h["display_name"]: h["released"] for h in data["holders"]}
    assert holders["comp.one"] is True and holders["audit.one"] is True
    assert [(e["action"], e["actor"]) for e in data["trail"]][-1] == ("view", "comp.one")
    # Plaintext is nowhere in the bundle: only ciphertext and metadata.
    assert case["body"] not in r.get_data(as_text=True)

    r = console.get("cases/HL-0000000000")
    assert r.status_code == 404 and body(r)["error"] == "not_found"
    other = submit(world, "harassment")
    r = console.get(f"cases/{other['case_id']}")  # answered as if it did not exist
    assert r.status_code == 404 and body(r)["error"] == "not_found"


def test_attachment_ciphertext_download(world: World) -> None:
    case = submit(world)
    console = sign_in(world, "comp.one")
    _, keys = console.keys(case["case_id"])
    plain = marker(world, "ledger lines").encode() * 500
    file_key = file_crypto.new_file_key()
    ciphertext = b"".join(file_crypto.encrypt_stream(file_key, [plain]))
    blobs = wiring.services(world.app).blobs
    blob_id = blobs.new_id()
    writer = blobs.writer(blob_id)
    writer.write(ciphertext)
    writer.close()
    meta = {
        "name": "ledger.csv",
        "type": "text/csv",
        "size": len(plain),
        "metadata_stripped": False,
    }
    with world.app.app_context():
        session = db.session()
        blobs.claim(session, blob_id)
        session.add(
            Attachment(
                id=blob_id,
                case_id=case["case_id"],
                author=Author.REPORTER,
                sealed_file_key=file_crypto.seal_file_key(keys.case_key, file_key, case["case_id"]),
                sealed_meta=sealing.seal_attachment_meta(keys.case_key, meta, case["case_id"]),
                stored_bytes=len(ciphertext),
                added_on=dates.today(),
            )
        )
        session.commit()
    data = console.bundle(case["case_id"])
    [item] = data["attachments"]
    assert item["id"] == blob_id and item["stored_bytes"] == len(ciphertext)
    r = console.get(f"cases/{case['case_id']}/attachments/{blob_id}")
    assert r.status_code == 200 and r.mimetype == "application/octet-stream"
    assert r.data == ciphertext
    opened_key = file_crypto.open_file_key(
        keys.case_key, unb64(item["sealed_file_key"]), case["case_id"]
    )
    assert b"".join(file_crypto.decrypt_stream(opened_key, [r.data])) == plain
    described = sealing.open_attachment_meta(
        keys.case_key, unb64(item["sealed_meta"]), case["case_id"]
    )
    assert described["name"] == "ledger.csv"
    r = console.get(f"cases/{case['case_id']}/attachments/{'0' * 32}")
    assert r.status_code == 404
    # Someone without the case gets nothing, not even ciphertext.
    outsider = sign_in(world, "privacy.one")
    r = outsider.get(f"cases/{case['case_id']}/attachments/{blob_id}")
    assert r.status_code == 404 and body(r)["error"] == "not_found"
    trail = console.bundle(case["case_id"])["trail"]
    assert ("file", "comp.one") in {(e["action"], e["actor"]) for e in trail}


def test_status_moves_forward_and_recomputes_deadlines(world: World) -> None:
    case = submit(world)
    console = sign_in(world, "comp.one")
    path = f"cases/{case['case_id']}/status"
    r = console.post(path, {"status": "closed"})
    assert r.status_code == 400 and body(r)["field"] == "outcome"
    r = console.post(path, {"status": "acknowledged", "outcome": "substantiated"})
    assert r.status_code == 400 and body(r)["field"] == "outcome"
    r = console.post(path, {"status": "archived"})
    assert r.status_code == 400 and body(r)["field"] == "status"

    r = console.post(path, {"status": "acknowledged"})
    assert r.status_code == 200, r.data
    today = dates.today()
    feedback = dates.add_months(today, 3)
    changed = body(r)
    assert changed.pop("case")["status"] == "acknowledged"  # the case as it now stands
    assert changed == {
        "case_id": case["case_id"],
        "status": "acknowledged",
        "outcome": None,
        "next_deadline": feedback.isoformat(),
    }
    data = console.bundle(case["case_id"])
    assert data["acknowledged_on"] == today.isoformat()
    assert data["feedback_by"] == data["next_deadline"] == feedback.isoformat()
    reporter = reporter_view(world, case["receipt"])
    assert reporter["status"] == "acknowledged"
    assert reporter["feedback_by"] == feedback.isoformat()

    r = console.post(path, {"status": "received"})
    assert r.status_code == 409 and body(r)["error"] == "conflict"
    for status in ("assessing", "investigating"):
        assert console.post(path, {"status": status}).status_code == 200
    assert body(console.get("cases", status="investigating"))["total"] >= 1
    r = console.post(path, {"status": "closed", "outcome": "partly_substantiated"})
    assert r.status_code == 200
    assert body(r)["next_deadline"] is None and body(r)["outcome"] == "partly_substantiated"
    assert console.post(path, {"status": "closed", "outcome": "substantiated"}).status_code == 409
    data = console.bundle(case["case_id"])
    assert (data["status"], data["outcome"], data["next_deadline"]) == (
        "closed",
        "partly_substantiated",
        None,
    )
    statuses = [e["detail"] for e in data["trail"] if e["action"] == "status"]
    assert statuses == ["acknowledged", "assessing", "investigating", "closed:partly_substantiated"]
    assert reporter_view(world, case["receipt"])["status"] == "closed"
    # Someone else's case cannot be moved.
    other = submit(world, "harassment")
    r = console.post(f"cases/{other['case_id']}/status", {"status": "acknowledged"})
    assert r.status_code == 404


def test_reply_reaches_the_reporter_and_notes_never_do(world: World) -> None:
    case = submit(world)
    console = sign_in(world, "comp.one")
    answer = marker(world, "handler answer")
    note = marker(world, "internal note")
    r = console.reply(case["case_id"], answer)
    assert r.status_code == 201, r.data
    r = console.note(case["case_id"], note)
    assert r.status_code == 201, r.data
    _, keys = console.keys(case["case_id"])
    assert keys.notes_key is not None
    for bad in (b64(b"tiny"), "not base64!", b64(bytes(300 * 1024))):
        r = console.post(f"cases/{case['case_id']}/notes", {"sealed_body": bad, "seq": 1})
        assert r.status_code == 400 and body(r)["field"] == "sealed_body"

    seen = reporter_view(world, case["receipt"])
    assert [(m["author"], m["body"]) for m in seen["messages"]] == [("handler", answer)]
    assert note not in str(seen)

    data = console.bundle(case["case_id"])
    [n] = data["notes"]
    assert n["handler_name"] == "comp.one"
    me = console.handler_id
    assert (n["handler_id"], n["seq"]) == (me, 0)
    assert (
        sealing.open_note(keys.notes_key, unb64(n["sealed_body"]), case["case_id"], me, 0) == note
    )
    # The notes key is not the case key: the reporter's key cannot open a note.
    with pytest.raises(DecryptionError):
        sealing.open_note(keys.case_key, unb64(n["sealed_body"]), case["case_id"], me, 0)
    [m] = data["messages"]
    assert m["author"] == "handler" and m["handler_name"] == "comp.one"
    assert (m["author_id"], m["seq"]) == (f"handler:{me}", 0)
    # A colleague holding the case reads the note too: the notes key was granted to them.
    colleague = sign_in(world, "audit.one")
    c_data, c_keys = colleague.keys(case["case_id"])
    assert c_keys.notes_key == keys.notes_key
    assert (
        sealing.open_note(
            c_keys.notes_key, unb64(c_data["notes"][0]["sealed_body"]), case["case_id"], me, 0
        )
        == note
    )


def test_first_reply_acknowledges_and_actions_record_no_extra_view(world: World) -> None:
    """Issue 10 §8: the first reply to a "received" case acknowledges it (audited, the
    acknowledgement deadline met, shown at once), and no action adds a "view" entry: each
    answers with the case as it now stands, and the console seals the next item from that."""
    username = new_handler(world, "compliance", "replier")
    case = submit(world)
    case_id, path = case["case_id"], f"cases/{case['case_id']}"
    console = sign_in(world, username)
    me = console.handler_id
    shown, keys = console.keys(case_id)  # the one view

    def reply(data: dict[str, Any], label: str) -> dict[str, Any]:
        seq = data["next_message_seq"]
        text = marker(world, label)
        sealed = sealing.seal_message(keys.case_key, text, case_id, sealing.handler_author(me), seq)
        r = console.post(f"{path}/replies", {"sealed_body": b64(sealed), "seq": seq})
        assert r.status_code == 201, r.data
        return dict(body(r)["case"])

    shown = reply(shown, "first answer")
    today = dates.today()
    feedback = dates.add_months(today, 3).isoformat()
    assert (shown["status"], shown["acknowledged_on"]) == ("acknowledged", today.isoformat())
    assert shown["next_deadline"] == shown["feedback_by"] == feedback
    assert [m["author"] for m in shown["messages"]] == ["handler"]
    assert reporter_view(world, case["receipt"])["status"] == "acknowledged"
    # A second reply, the notes key, a note and a grant: one entry each, still one view.
    shown = reply(shown, "second answer")
    assert shown["status"] == "acknowledged" and len(shown["messages"]) == 2
    holders = {h["handler_id"] for h in shown["holders"]}
    notes_key = secrets.token_bytes(32)
    grants = console.notes_key_grants(case_id, notes_key, holders)
    assert console.post(f"{path}/notes-key", {"grants": grants}).status_code == 201
    seq = shown["next_note_seq"]
    note = sealing.seal_note(notes_key, marker(world, "a note"), case_id, me, seq)
    r = console.post(f"{path}/notes", {"sealed_body": b64(note), "seq": seq})
    assert r.status_code == 201 and len(body(r)["case"]["notes"]) == 1
    privacy = console.directory()[world.handler_ids["privacy.one"]]
    target = privacy["id"]
    grants_to = {
        "handler_id": target,
        "sealed_keys": b64(
            make_grant(keys.case_key, public_of(privacy), GrantFor(CASE_KEY, case_id, target))
        ),
        "sealed_notes_key": b64(
            make_grant(notes_key, public_of(privacy), GrantFor(NOTES_KEY, case_id, target))
        ),
    }
    r = console.post(f"{path}/grants", grants_to)
    assert r.status_code == 201 and body(r)["case"]["trail"][-1]["action"] == "grant"
    with world.app.app_context():
        mine = [
            e.action
            for e in db.session().scalars(
                select(AuditEvent)
                .where(AuditEvent.actor_id == me, AuditEvent.case_id == case_id)
                .order_by(AuditEvent.id)
            )
        ]
        acknowledged = db.session().scalars(
            select(AuditEvent.detail).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "status"
            )
        )
        assert list(acknowledged) == ["acknowledged"]
    assert mine == ["view", "reply", "status", "reply", "notes_key", "note", "grant"]


# --- grants --------------------------------------------------------------------------------


def test_grant_to_a_colleague(world: World, admin_id: int) -> None:
    case = submit(world)
    console = sign_in(world, "comp.one")
    _, keys = console.keys(case["case_id"])
    directory = body(console.get("handlers/directory"))["handlers"]
    by_id = {h["id"]: h for h in directory}
    assert admin_id not in by_id, "administrators never receive cases"
    assert set(world.handler_ids.values()) <= set(by_id)
    privacy = by_id[world.handler_ids["privacy.one"]]
    assert set(privacy) == {"id", "display_name", "role", "desk", "x25519", "mlkem"}
    assert privacy["desk"] == "data_protection"

    colleague = sign_in(world, "privacy.one")
    assert colleague.get(f"cases/{case['case_id']}").status_code == 404
    public = HandlerPublicKeys(unb64(privacy["x25519"]), unb64(privacy["mlkem"]))
    grant = make_grant(keys.case_key, public, GrantFor(CASE_KEY, case["case_id"], privacy["id"]))
    path = f"cases/{case['case_id']}/grants"
    r = console.post(path, {"handler_id": privacy["id"], "sealed_keys": b64(grant[:-1])})
    assert r.status_code == 400 and body(r)["field"] == "sealed_keys"
    r = console.post(path, {"handler_id": admin_id, "sealed_keys": b64(grant)})
    assert r.status_code == 404
    r = console.post(path, {"handler_id": privacy["id"], "sealed_keys": b64(grant)})
    assert r.status_code == 201, r.data
    r = console.post(path, {"handler_id": privacy["id"], "sealed_keys": b64(grant)})
    assert r.status_code == 409

    assert case["case_id"] in {c["case_id"] for c in body(colleague.get("cases"))["cases"]}
    data, their_keys = colleague.keys(case["case_id"])
    assert their_keys == keys
    report = sealing.open_report(their_keys.case_key, unb64(data["sealed_report"]), case["case_id"])
    assert report["fields"]["what_happened"] == case["body"]
    assert any(e["action"] == "grant" and e["actor"] == "comp.one" for e in data["trail"])
    # Only someone holding the case can share it.
    outsider = sign_in(world, "harass.one")
    r = outsider.post(path, {"handler_id": outsider.handler_id, "sealed_keys": b64(grant)})
    assert r.status_code == 404


def test_grant_to_an_excluded_handler_is_refused(world: World) -> None:
    excluded = world.handler_ids["harass.one"]
    case = submit(world, excluded_handlers=[excluded])
    console = sign_in(world, "comp.one")
    _, keys = console.keys(case["case_id"])
    directory = {h["id"]: h for h in body(console.get("handlers/directory"))["handlers"]}
    target = directory[excluded]
    grant = make_grant(
        keys.case_key,
        HandlerPublicKeys(unb64(target["x25519"]), unb64(target["mlkem"])),
        GrantFor(CASE_KEY, case["case_id"], excluded),
    )
    r = console.post(
        f"cases/{case['case_id']}/grants", {"handler_id": excluded, "sealed_keys": b64(grant)}
    )
    assert r.status_code == 403 and body(r)["error"] == "not_granted"
    with world.app.app_context():
        rows = db.session().scalars(
            select(CaseGrant).where(
                CaseGrant.case_id == case["case_id"], CaseGrant.handler_id == excluded
            )
        )
        assert list(rows) == []
    # The directory does not reveal who was excluded.
    assert excluded in directory


# --- administrators ------------------------------------------------------------------------


def test_admin_signs_in_but_sees_and_opens_no_case(world: World, admin_id: int) -> None:
    case = submit(world)
    admin = sign_in(world, ADMIN[0])
    assert admin.handler_id == admin_id
    assert admin.material["is_admin"] is True and admin.material["desk"] == ""
    listed = body(admin.get("cases"))
    assert listed == {"cases": [], "next_cursor": None, "total": 0}
    r = admin.get(f"cases/{case['case_id']}")
    assert r.status_code == 404 and body(r)["error"] == "not_found"
    r = admin.post(f"cases/{case['case_id']}/status", {"status": "acknowledged"})
    assert r.status_code == 404
    with world.app.app_context():
        assert (
            not db.session()
            .scalars(select(CaseGrant).where(CaseGrant.handler_id == admin_id))
            .all()
        )


# --- recovery and password change ----------------------------------------------------------


def test_recovery_key_resets_the_password(world: World) -> None:
    username, old = "recover.me", "recover-me-pass-5e!"
    with world.app.app_context():
        created = accounts.create_handler(
            db.session(), wiring.services(world.app).context, username, "compliance", old
        )
    world.passwords[username] = old
    world.ledger.add(old, "recovered-pass-6f!!")
    before = sign_in(world, username)
    client = world.app.test_client()
    proof = handler_keys.recovery_auth(created.recovery_key)
    r = client.post(
        "/handler/api/recovery/material",
        json={"username": username, "recovery_proof": b64(bytes(32))},
    )
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    r = client.post(
        "/handler/api/recovery/material", json={"username": username, "recovery_proof": b64(proof)}
    )
    assert r.status_code == 200, r.data
    material = body(r)
    private = handler_keys.unwrap_with_recovery_key(
        unb64(material["recovery_wrapped_private"]), created.recovery_key
    )
    assert private == before.private
    cost = Argon2Params(material["argon2"]["ops"], material["argon2"]["mem_bytes"])
    new = "recovered-pass-6f!!"
    salt, derived, wrapped = handler_keys.rewrap_with_password(private, new, cost)
    change = {
        "proof_kind": "recovery",
        "username": username,
        "proof": b64(proof),
        "code": code_for(world, username),
        "salt": b64(salt),
        "auth": b64(derived.auth),
        "wrapped_private": b64(wrapped),
    }
    r = client.post("/handler/api/password", json={**change, "proof_kind": "telepathy"})
    assert r.status_code == 400
    change["code"] = code_for(world, username)
    r = client.post("/handler/api/password", json=change)
    assert r.status_code == 200, r.data
    # The old password no longer works; the new one opens the same keys.
    stale = prove(client, username, old)
    r = post_login(client, username, stale.auth, code_for(world, username))
    assert r.status_code == 401
    world.passwords[username] = new
    after = sign_in(world, username)
    assert after.private == before.private
    # A signed-in change with the current password works the same way.
    salt2, derived2, wrapped2 = handler_keys.rewrap_with_password(private, old, cost)
    current = prove(after.client, username, new)
    r = after.post(
        "password",
        {
            "proof_kind": "password",
            "username": username,
            "proof": b64(current.auth),
            "code": code_for(world, username),
            "salt": b64(salt2),
            "auth": b64(derived2.auth),
            "wrapped_private": b64(wrapped2),
        },
    )
    assert r.status_code == 200, r.data
    assert after.get("cases").status_code == 401, "changing the password signs out"
    world.passwords[username] = old
    assert sign_in(world, username).private == before.private
    with world.app.app_context():
        changes = db.session().scalars(
            select(AuditEvent.action).where(
                AuditEvent.actor_id == created.handler_id,
                AuditEvent.action == "password_changed",
            )
        )
        assert len(list(changes)) == 2


# --- the audit chain ------------------------------------------------------------------------


def test_every_console_action_is_audited_and_the_chain_verifies(world: World) -> None:
    """One handler of its own does each console action once: each leaves its entry, in
    order, and the whole chain verifies."""
    username = new_handler(world, "compliance", "trail")
    case = submit(world)
    console = sign_in(world, username)  # enrolment, then signed in
    path = f"cases/{case['case_id']}"
    assert console.post(f"{path}/status", {"status": "acknowledged"}).status_code == 200
    assert console.reply(case["case_id"], marker(world, "trail reply")).status_code == 201
    assert console.note(case["case_id"], marker(world, "trail note")).status_code == 201
    privacy = console.directory()[world.handler_ids["privacy.one"]]
    r = console.share(case["case_id"], privacy)
    assert r.status_code == 201, r.data
    assert console.post("logout", {}).status_code == 200
    with world.app.app_context():
        session = db.session()
        mine = [
            e.action
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.actor_id == console.handler_id)
                .order_by(AuditEvent.id)
            )
        ]
        assert "view" in mine  # each helper opens the case (view) before it acts
        expected = [
            "totp_enrolled",
            "login",
            "status",
            "reply",
            "notes_key",
            "note",
            "grant",
            "logout",
        ]
        assert [a for a in mine if a in expected] == expected, mine
        result = audit.verify(session)
        assert result.ok, result
        assert result.checked == len(list(session.scalars(select(AuditEvent.id))))
