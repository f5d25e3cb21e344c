"""The SMS line through signed Twilio requests (bot down: the built-in conversation), on
SQLite and PostgreSQL; signature refusals, retries, keywords, deletions, and no number
anywhere."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from hotline import db, wiring
from hotline.models import Case, CaseGrant, Message, SmsDelivery
from hotline.services import handler_access
from integrations.rasa import RasaGateway
from integrations.twilio.deletion import TwilioCleaner
from integrations.twilio.replies import split_sms
from tests.support.config import change_settings
from tests.support.sms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    RecordingHttpClient,
    signed_form,
    text,
)
from tests.support.world import HANDLERS, World

pytestmark = pytest.mark.postgres
NUMBER = "+819012345678"


@pytest.fixture
def line(world: World) -> RecordingHttpClient:
    world.ledger.phone(NUMBER)
    app = world.app
    change_settings(
        app,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PUBLIC_URL=PUBLIC_URL,
        SMS_RATE_LIMIT="1000 per minute",
        TWILIO_CLEANUP_DELAY_SECONDS=3600,
    )
    wiring.services(app).rasa = RasaGateway("http://127.0.0.1:9", 1)  # bot down
    recorder = RecordingHttpClient()
    wiring.services(app).twilio_cleaner = TwilioCleaner(
        ACCOUNT_SID, AUTH_TOKEN, http_client=recorder
    )
    return recorder


def counts(world: World) -> tuple[int, ...]:
    with world.app.app_context():
        s = db.session()
        return tuple(
            s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Case, CaseGrant, Message, SmsDelivery)
        )


def report_by_sms(world: World, number: str, what: str) -> str:
    client = world.app.test_client()
    assert "Nothing is filed until you receive a receipt" in text(client, number, "hello")[0]
    assert "category" in text(client, number, what)[0]
    assert "YES or NO" in text(client, number, "1")[0]
    reply = text(client, number, "YES")[0]
    match = re.search(r"\d{4} \d{4} \d{4} \d{4}", reply)
    assert match, reply
    return world.ledger.receipt(match.group(0))


def marker(world: World, label: str) -> str:
    return world.ledger.marker(label, "")


def test_report_status_reply_with_the_bot_down(world: World, line: RecordingHttpClient) -> None:
    what = marker(world, "The night shift skips the safety checks")
    receipt = report_by_sms(world, NUMBER, what)
    with world.app.app_context():
        case = db.session().scalars(select(Case).order_by(Case.received_on)).all()[-1]
        assert case.channel.value == "sms"
        who = handler_access.unlock(
            db.session(),
            wiring.services(world.app).context,
            "comp.one",
            HANDLERS["comp.one"][1],
        )
        assert (
            handler_access.open_case(db.session(), who, case.id).report["fields"]["what_happened"]
            == what
        )
        answer = marker(world, "Thank you, which machine is it?")
        handler_access.reply(
            db.session(), wiring.services(world.app).context, who, case.id, answer
        )
    client = world.app.test_client()
    status = text(client, "090-1234-5678", f"STATUS {receipt}")
    assert "acknowledged" in status[0] and answer in status[1]  # the reply acknowledged it
    reply = marker(world, "Press number four")
    assert "sent" in text(client, NUMBER, f"REPLY {receipt.replace(' ', '-')} {reply}")[0]
    with world.app.app_context():
        opened = handler_access.open_case(db.session(), who, case.id)
        assert opened.messages[-1].body == reply
    assert "not valid" in text(client, NUMBER, "STATUS 1234 5678 9012 3456")[0]


def test_japanese_built_in_conversation(world: World, line: RecordingHttpClient) -> None:
    client = world.app.test_client()
    number = "+818011112222"
    assert "受付番号が届くまで" in text(client, number, "こんにちは")[0]
    what = marker(world, "倉庫で化学薬品が漏れています")
    assert "番号で返信" in text(client, number, what)[0]
    assert "YESかNO" in text(client, number, "6")[0]
    reply = text(client, number, "はい")[0]
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", reply), reply
    world.ledger.receipt(re.search(r"\d{4} \d{4} \d{4} \d{4}", reply)[0])


def test_cancel_discards_the_draft(world: World, line: RecordingHttpClient) -> None:
    client = world.app.test_client()
    number = "+447700900123"
    before = counts(world)[0]
    text(client, number, "hi")
    text(client, number, marker(world, "draft to be cancelled"))
    assert "discarded" in text(client, number, "CANCEL")[0]
    assert counts(world)[0] == before


@pytest.mark.parametrize("case", ["forged", "missing", "other_url"])
def test_bad_signatures_are_refused(world: World, line: RecordingHttpClient, case: str) -> None:
    before = counts(world)
    form, signature = signed_form(NUMBER, "hello")
    headers = {"X-Twilio-Signature": signature}
    if case == "forged":
        headers["X-Twilio-Signature"] = signature[:-4] + "AAAA"
    elif case == "missing":
        headers = {}
    else:
        _, signature = signed_form(
            NUMBER, "hello", form["MessageSid"], url="https://attacker.example/sms/inbound"
        )
        headers["X-Twilio-Signature"] = signature
    response = world.app.test_client().post("/sms/inbound", data=form, headers=headers)
    assert response.status_code == 403
    assert counts(world) == before


def test_retry_of_the_same_message_makes_one_case(world: World, line: RecordingHttpClient) -> None:
    client = world.app.test_client()
    number = "+12025550143"
    text(client, number, "hello")
    text(client, number, marker(world, "A retried message must not file twice"))
    text(client, number, "2")
    before = counts(world)[0]
    sid = "SM" + secrets.token_hex(16)
    first = text(client, number, "YES", sid=sid)
    again = text(client, number, "YES", sid=sid)  # Twilio's retry
    assert first == again and re.search(r"\d{4} \d{4}", first[0])
    world.ledger.receipt(re.search(r"\d{4} \d{4} \d{4} \d{4}", first[0])[0])
    assert counts(world)[0] == before + 1


def test_keywords_help_stop_start(world: World, line: RecordingHttpClient) -> None:
    client = world.app.test_client()
    number = "+33612345678"
    assert "STATUS" in text(client, number, "HELP")[0]
    assert "no more messages" in text(client, number, "STOP")[0]
    assert text(client, number, "hello") == []  # honoured: silence
    assert "resumed" in text(client, number, "START")[0]
    assert text(client, number, "hello") != []


def test_line_off_without_token(world: World, line: RecordingHttpClient) -> None:
    change_settings(world.app, TWILIO_AUTH_TOKEN="")
    form, signature = signed_form(NUMBER, "hello")
    response = world.app.test_client().post(
        "/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 503


def test_bodies_are_deleted_at_twilio(world: World, line: RecordingHttpClient) -> None:
    from hotline.services import twilio_cleanup

    client = world.app.test_client()
    number = world.ledger.phone("+4915112345678")
    sids = []
    for body in ("HELP", "hello"):
        sid = "SM" + secrets.token_hex(16)
        sids.append(sid)
        text(client, number, body, sid=sid)
    with world.app.app_context():
        _, pending = twilio_cleanup.run_queue(
            db.session(),
            wiring.services(world.app).context,
            wiring.services(world.app).twilio_cleaner,
        )
    assert pending == 0 and set(sids) <= set(line.deleted())
    line.outbound = ["SM" + "f" * 32]
    assert (
        twilio_cleanup.delete_outbound(wiring.services(world.app).twilio_cleaner, number) == 1
    )
    assert line.calls[-1][0] == "DELETE"


def test_split_sms() -> None:
    english = "This sentence is fine. " * 60
    parts = split_sms(english)
    assert len(parts) > 1 and all(len(p) <= 612 for p in parts)
    japanese = "担当者からの回答です。" * 60
    parts = split_sms(japanese)
    assert len(parts) > 1 and all(len(p) <= 268 for p in parts)
    assert parts[0].startswith("(1/") and "。" in parts[0]
