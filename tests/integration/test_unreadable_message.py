"""One message that does not open costs only that message, never the whole case (issue 11 #23).

Also: an id too large for the database on the console's grant endpoint is a clear 400.
"""

from __future__ import annotations

import re
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline import db
from hotline.models import Case, Message
from tests.conftest import World
from tests.support import body
from tests.support.console import session_epoch

pytestmark = pytest.mark.postgres


def channel_case(world: World) -> tuple[str, str]:
    """A channel report with two reporter messages; the first one's ciphertext is then broken."""
    client = world.app.test_client()
    report = {"category": "other", "body": "unreadable test", "channel": "web", "language": "en"}
    r = client.post("/api/v1/channel/reports", headers=world.auth(), json=report)
    assert r.status_code == 201
    receipt = str(body(r)["receipt"])
    for text in ("first message", "second message"):
        sent = client.post(
            "/api/v1/channel/followup/messages",
            headers=world.auth(),
            json={"receipt": receipt, "body": text},
        )
        assert sent.status_code in (200, 201), sent.json
    with world.app.app_context():
        session = db.session()
        opened = client.post(
            "/api/v1/channel/followup", headers=world.auth(), json={"receipt": receipt}
        )
        case_id = str(body(opened)["case_id"])
        case = session.scalars(select(Case).where(Case.id == case_id)).one()
        first = session.scalars(
            select(Message).where(Message.case_id == case.id).order_by(Message.id)
        ).first()
        assert first is not None
        broken = bytearray(first.sealed_body)
        broken[-1] ^= 0x01  # flip one bit of the tag: this message no longer opens
        first.sealed_body = bytes(broken)
        session.commit()
    return receipt, case_id


def test_channel_followup_shows_a_placeholder(world: World) -> None:
    receipt, _ = channel_case(world)
    r = world.app.test_client().post(
        "/api/v1/channel/followup", headers=world.auth(), json={"receipt": receipt}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    messages = body(r)["messages"]
    assert [m["readable"] for m in messages] == [False, True]
    assert messages[0]["body"] is None and messages[1]["body"] == "second message"


def test_no_js_followup_page_shows_a_placeholder(world: World) -> None:
    receipt, _ = channel_case(world)
    client = world.app.test_client()
    page = client.get("/followup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    r = client.post("/followup", data={"csrf_token": token.group(1), "receipt": receipt})
    text = r.get_data(as_text=True)
    assert r.status_code == 200, text
    assert "This message could not be decrypted." in text
    assert "second message" in text and "Traceback" not in text


def signed_in(world: World, username: str) -> FlaskClient:
    client = world.app.test_client()
    now = int(time.time())
    with client.session_transaction() as s:
        handler_id = world.handler_ids[username]
        epoch = session_epoch(world, handler_id)
        s.update(handler_id=handler_id, is_admin=False, auth_at=now, seen_at=now, epoch=epoch)
    return client


@pytest.mark.parametrize("handler_id", [10**29, -1, 0, 2**31])
def test_grant_to_an_impossible_handler_id_is_400(world: World, handler_id: int) -> None:
    _, case_id = channel_case(world)
    client = signed_in(world, "comp.one")
    r = client.post(
        f"/handler/api/cases/{case_id}/grants",
        json={"handler_id": handler_id, "sealed_keys": "AAAA"},
    )
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.json is not None and r.json["error"] == "invalid_input"
    assert r.json["field"] == "handler_id" if "field" in r.json else True
