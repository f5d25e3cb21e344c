"""Adversarial review of issue 11 items 7, 8 and 14: attacks that found a gap, on SQLite and
PostgreSQL.

- A file description that does not open (a malicious reporter's browser sealed garbage of the
  right length, or sealed a description with a size that is not a number; a database writer
  moved the row from another case) must not take the whole case down: the reporter's
  no-JavaScript follow-up page, the channel follow-up and the offline handler path show the
  other content and a plain "file" entry for that one, as they do for a message (item 23).
- A reporter's follow-up through a server-sealed channel that loses its sequence number to a
  handler's reply in the same instant is sealed again for the next number and kept.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crypto import attachments as file_crypto
from crypto import sealing
from crypto.grants import GRANT_BYTES, new_key
from hotline import db, offline_open, wiring
from hotline.models import CaseGrant, Handler, Message
from hotline.services import (
    accounts,
    attachments,
    followup,
    handler_access,
)
from hotline.services import reporter_case as reporter_case_service
from tests.support.console import new_handler, sign_in, submit
from tests.support.tamper import plant_file
from tests.support.world import HANDLERS, World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("console_signins")]


def grant_rows(world: World, case_id: str) -> dict[int, CaseGrant]:
    with world.app.app_context():
        rows = db.session().scalars(select(CaseGrant).where(CaseGrant.case_id == case_id))
        return {g.handler_id: g for g in rows}


def _case_key(world: World, receipt: str) -> bytes:
    with world.app.app_context():
        _case, case_key = followup._unlock(
            db.session(), wiring.services(world.app).context, receipt
        )
    return case_key


def _plant(world: World, case_id: str, case_key: bytes, sealed_meta: bytes | None) -> str:
    """A padded file on the case as a browser upload stores it, with `sealed_meta` as its
    description (None: a good one)."""
    data = world.ledger.marker("planted file").encode()
    if sealed_meta is None:
        meta = file_crypto.describe_file("ledger.pdf", "application/pdf", len(data), False)
        sealed_meta = sealing.seal_attachment_meta(case_key, meta, case_id)
    assert len(sealed_meta) == attachments.META_BYTES  # what the upload check lets through
    return plant_file(world.app, case_id, case_key, data, sealed_meta)


def _bad_descriptions(case_key: bytes, case_id: str) -> list[bytes]:
    """Garbage of the right length; a description bound to another case (a moved row); a
    description whose size is not a number (sealed by a reporter who holds the case key)."""
    other = sealing.new_case_id()
    good = file_crypto.describe_file("moved.pdf", "application/pdf", 10, False)
    odd = {"name": "odd.pdf", "type": "application/pdf", "size": "x" * 20, "metadata_stripped": 0}
    return [
        secrets.token_bytes(attachments.META_BYTES),
        sealing.seal_attachment_meta(case_key, good, other),
        sealing.seal_attachment_meta(case_key, odd, case_id),
    ]


def _followup_page(client: FlaskClient, receipt: str) -> Any:
    page = client.get("/followup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    return client.post("/followup", data={"csrf_token": token.group(1), "receipt": receipt})


def test_a_file_description_that_does_not_open_leaves_the_case_readable(world: World) -> None:
    case = submit(world)
    case_id, receipt = case["case_id"], case["receipt"]
    case_key = _case_key(world, receipt)
    good = _plant(world, case_id, case_key, None)
    bad = [_plant(world, case_id, case_key, m) for m in _bad_descriptions(case_key, case_id)]

    # The reporter's no-JavaScript page: the report and every file, the good one by name.
    page = _followup_page(world.app.test_client(), receipt)
    assert page.status_code == 200, page.text[:300]
    assert case["body"] in page.text and "ledger.pdf" in page.text
    for blob_id in [good, *bad]:
        assert f"/followup/files/{blob_id}" in page.text
    # The channel's follow-up (chat, SMS status).
    r = world.app.test_client().post(
        "/api/v1/channel/followup", json={"receipt": receipt}, headers=world.auth()
    )
    assert r.status_code == 200, r.data
    # The offline handler path lists them too, the bad ones as unreadable.
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
        listed = {a.attachment_id: a for a in handler_access.attachments_of(session, who, case_id)}
    assert listed[good].readable and listed[good].name == "ledger.pdf"
    for blob_id in bad:
        assert not listed[blob_id].readable and listed[blob_id].name == "file"
        assert listed[blob_id].size == 0


def test_a_server_sealed_followup_that_loses_its_number_is_sealed_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler's reply takes the number the channel follow-up was sealed for, between the
    seal and the insert: the follow-up is refused by the unique (case, seq) and sealed again
    for the next number by the server; both messages are kept, each opens in its place."""
    case = submit(world)
    case_id, receipt = case["case_id"], case["receipt"]
    console = sign_in(world, "comp.one")
    text = world.ledger.marker("reporter follow-up", "購買部の佐藤さんが")
    reply = world.ledger.marker("handler reply in between")
    real_append = reporter_case_service.append
    raced: list[int] = []

    def racing_append(session: Any, case_row: Any, sealed_body: Any, seq: int, *rest: Any) -> str:
        if not raced:
            raced.append(seq)
            # Another writer (a separate request) commits a reply at this very number.
            done: list[int] = []
            other = threading.Thread(
                target=lambda: done.append(console.reply(case_id, reply).status_code)
            )
            other.start()
            other.join()
            assert done == [201]
        return real_append(session, case_row, sealed_body, seq, *rest)

    monkeypatch.setattr(reporter_case_service, "append", racing_append)
    r = world.app.test_client().post(
        "/api/v1/channel/followup/messages",
        json={"receipt": receipt, "body": text},
        headers=world.auth(),
    )
    assert r.status_code == 201, r.data
    with world.app.app_context():
        seqs = list(
            db.session().scalars(
                select(Message.seq).where(Message.case_id == case_id).order_by(Message.seq)
            )
        )
    assert seqs == [raced[0], raced[0] + 1]
    view = world.app.test_client().post(
        "/api/v1/channel/followup", json={"receipt": receipt}, headers=world.auth()
    )
    bodies = [m["body"] for m in view.get_json()["messages"]]
    assert bodies == [reply, text]


def test_a_holder_reactivated_after_the_notes_key_was_made_can_be_given_it(
    world: World, admin_id: int
) -> None:
    """The notes key goes to the case's active holders; one who was deactivated then keeps a
    grant row without it. Reactivated, they must be able to receive it from a colleague (the
    only one who can make their grant); they could otherwise never read or write a note."""
    username = new_handler(world, "compliance", "reactivated")
    case_id = submit(world)["case_id"]
    ctx = wiring.services(world.app).context
    with world.app.app_context():
        session = db.session()
        returning = session.scalars(select(Handler.id).where(Handler.username == username)).one()
        accounts.set_active(session, ctx.keys, admin_id, returning, False)
    console = sign_in(world, "comp.one")
    # The console makes the notes key for the holders the directory lists (active ones).
    active = {h["handler_id"] for h in console.bundle(case_id)["holders"]} & set(
        console.directory()
    )
    assert returning not in active
    grants = console.notes_key_grants(case_id, new_key(), active)
    assert console.post(f"cases/{case_id}/notes-key", {"grants": grants}).status_code == 201
    assert console.note(case_id, world.ledger.marker("note before return")).status_code == 201
    _, keys = console.keys(case_id)
    with world.app.app_context():
        accounts.set_active(db.session(), ctx.keys, admin_id, returning, True)
    back = sign_in(world, username)
    data = back.bundle(case_id)
    assert data["has_notes_key"] and data["notes_grant"] is None
    holder = next(h for h in data["holders"] if h["handler_id"] == returning)
    assert holder["released"] and not holder["has_notes_key"]
    # The colleague gives the returning holder the notes key (their case-key grant stays).
    before = grant_rows(world, case_id)[returning].sealed_keys
    r = console.share(case_id, console.directory()[returning])
    assert r.status_code == 201, r.data
    assert grant_rows(world, case_id)[returning].sealed_keys == before
    _, theirs = back.keys(case_id)
    assert theirs.notes_key == keys.notes_key
    assert back.note(case_id, world.ledger.marker("note after return")).status_code == 201
    # A holder who has both keys already cannot be granted again.
    assert console.share(case_id, console.directory()[returning]).status_code == 409


def test_one_case_or_message_that_does_not_open_leaves_the_offline_export_readable(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A reporter's browser makes the grants and seals its messages and file descriptions: a
    malicious one can make any of them not open. The ombudsperson's offline export must still
    open every other case, and the rest of that case, with a placeholder for what does not."""
    mine = submit(world, external_only=True)
    spoilt = submit(world, external_only=True)
    follow = world.ledger.marker("follow-up before export")
    r = world.app.test_client().post(
        "/api/v1/channel/followup/messages",
        json={"receipt": mine["receipt"], "body": follow},
        headers=world.auth(),
    )
    assert r.status_code == 201, r.data
    out = tmp_path / "ombuds.json"
    password = HANDLERS["ombuds.one"][1]
    result = world.app.test_cli_runner().invoke(
        args=["cases", "export", "--username", "ombuds.one", "--password-stdin", "--out", str(out)],
        input=password + "\n",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    items = {item["case_id"]: item for item in document["cases"]}
    # What a malicious reporter's browser could have sent in the first place.
    items[mine["case_id"]]["messages"].append(
        {
            "author": "reporter",
            "author_id": "reporter",
            "seq": len(items[mine["case_id"]]["messages"]),
            "sent_on": "2026-01-01",
            "sealed_body": base64.b64encode(secrets.token_bytes(100)).decode(),
        }
    )
    items[mine["case_id"]]["files"].append(
        {
            "attachment_id": "0" * 32,
            "sealed_meta": base64.b64encode(secrets.token_bytes(attachments.META_BYTES)).decode(),
        }
    )
    items[spoilt["case_id"]]["grant"] = base64.b64encode(secrets.token_bytes(GRANT_BYTES)).decode()
    out.write_text(json.dumps(document))

    opened = {c.case_id: c for c in offline_open.open_cases(document, password)}
    assert mine["body"] in json.dumps(opened[mine["case_id"]].report, ensure_ascii=False)
    assert [m.body for m in opened[mine["case_id"]].messages] == [
        follow,
        offline_open.UNREADABLE,
    ]
    assert opened[mine["case_id"]].files == ["file"]
    assert not opened[spoilt["case_id"]].readable
    # The command line prints every case.
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    assert offline_open.main([str(out), "--password-stdin"]) == 0
    printed = capsys.readouterr().out
    assert mine["body"] in printed and follow in printed
    assert spoilt["case_id"] in printed and offline_open.UNOPENED in printed
