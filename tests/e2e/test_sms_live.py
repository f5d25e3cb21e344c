"""The SMS line live: signed requests over HTTP → Flask → Rasa → actions → intake, in English
and Japanese; STATUS and REPLY; the bot stopped; and the number nowhere in any store or log."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hotline import db, wiring
from hotline.cli_sms import send_signed
from hotline.models import Case
from hotline.services import handler_access
from integrations.rasa import RasaGateway
from tests.support.botprocs import RunningBot, free_port, running_bot
from tests.support.config import change_settings
from tests.support.live_server import E2E_HANDLERS, LiveServer
from tests.support.sms import AUTH_TOKEN

NUMBERS = {"en": "+819011112222", "ja": "+818033334444", "down": "+819055556666"}


@pytest.fixture(scope="module")
def sms_line(live_server: LiveServer) -> LiveServer:
    """The live server with its SMS line switched on (signed requests from the simulator)."""
    change_settings(
        live_server.app,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_URL=live_server.url, SMS_RATE_LIMIT="1000 per minute"
    )
    return live_server


@pytest.fixture(scope="module")
def sms_bot(sms_line: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    live_server = sms_line
    with running_bot(
        live_server.url,
        wiring.settings(live_server.app).channel_token,
        tmp_path_factory.mktemp("sms-bot-logs"),
    ) as bot:
        previous = wiring.services(live_server.app).rasa
        gateway = RasaGateway(bot.url, 30)
        wiring.services(live_server.app).rasa = gateway
        wiring.services(live_server.app).sms.gateway = gateway
        live_server.other_stores.append(lambda: {"bot logs": bot.log_bytes()})
        yield bot
        wiring.services(live_server.app).rasa = previous
        wiring.services(live_server.app).sms.gateway = previous


def sms(server: LiveServer, number: str, body: str) -> str:
    server.ledger.phone(number)
    status, replies = send_signed(server.url, AUTH_TOKEN, number, body)
    assert status == 200, replies
    return "\n".join(replies)


def marker(server: LiveServer, label: str) -> str:
    return server.ledger.marker(label, "")


def receipt_in(server: LiveServer, reply: str) -> str:
    match = re.search(r"\d{4} \d{4} \d{4} \d{4}", reply)
    assert match, reply
    return server.ledger.receipt(match.group(0))


def open_as(server: LiveServer, username: str, case_id: str) -> handler_access.HandlerCase:
    with server.app.app_context():
        who = handler_access.unlock(
            db.session(),
            wiring.services(server.app).context,
            username,
            E2E_HANDLERS[username][1],
        )
        return handler_access.open_case(db.session(), who, case_id)


def case_ids(server: LiveServer) -> set[str]:
    with server.app.app_context():
        return set(db.session().scalars(select(Case.id)))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_report_by_sms_through_the_bot(
    live_server: LiveServer, sms_bot: RunningBot, language: str
) -> None:
    number = NUMBERS[language]
    with live_server.app.app_context():
        before = set(db.session().scalars(select(Case.id)))
    if language == "en":
        what = marker(live_server, "The site manager falsifies the overtime records")
        steps = [
            "I want to report something",
            "is this anonymous?",
            what,
            "1",
            "since June",
            "plant 2",
            "don't know",
            "I keep the records",
            "no",
        ]
        final = "yes"
    else:
        what = marker(live_server, "現場責任者が残業記録を改ざんしています")
        steps = [
            "通報したい",
            "これは匿名ですか？",
            what,
            "1",
            "6月から",
            "第2工場",
            "不明",
            "記録を管理しています",
            "いいえ",
        ]
        final = "はい"
    first = sms(live_server, number, steps[0])
    assert (
        "filed only when you receive a receipt" if language == "en" else "受付番号が届いた時点で"
    ) in first
    said = [first]
    for step in steps[1:]:
        said.append(sms(live_server, number, step))
    assert (
        "phone number is never stored" if language == "en" else "電話番号も保存しません"
    ) in said[1]
    assert what in said[-1]  # read back before sending
    said.append(sms(live_server, number, final))
    receipt = receipt_in(live_server, said[-1])
    # Over SMS the bot never speaks of "this chat".
    assert not [s for s in said if "chat" in s.lower() or "チャット" in s], said
    with live_server.app.app_context():
        new = [c for c in db.session().scalars(select(Case)) if c.id not in before]
    assert len(new) == 1 and new[0].channel.value == "sms" and new[0].language == language
    assert open_as(live_server, "comp.one", new[0].id).report["fields"]["what_happened"] == what

    answer = marker(live_server, "Please send the dates")
    with live_server.app.app_context():
        who = handler_access.unlock(
            db.session(),
            wiring.services(live_server.app).context,
            "comp.one",
            E2E_HANDLERS["comp.one"][1],
        )
        handler_access.reply(
            db.session(), wiring.services(live_server.app).context, who, new[0].id, answer
        )
    assert answer in sms(live_server, number, f"STATUS {receipt}")
    reply = marker(live_server, "The 3rd and the 17th")
    sms(live_server, number, f"REPLY {receipt} {reply}")
    assert open_as(live_server, "comp.one", new[0].id).messages[-1].body == reply


@pytest.fixture
def bot_stopped(sms_line: LiveServer) -> Iterator[None]:
    """The bot unreachable (nothing listens where the line looks for it), then as before."""
    line = wiring.services(sms_line.app).sms
    before = line.gateway
    line.gateway = RasaGateway(f"http://127.0.0.1:{free_port()}", 2)
    try:
        yield
    finally:
        line.gateway = before


@pytest.mark.usefixtures("bot_stopped")
def test_bot_stopped_built_in_conversation(live_server: LiveServer) -> None:
    number = NUMBERS["down"]
    before = case_ids(live_server)
    assert "receipt" in sms(live_server, number, "hello")
    what = marker(live_server, "Chemicals are stored next to the canteen")
    sms(live_server, number, what)
    sms(live_server, number, "6")
    receipt_in(live_server, sms(live_server, number, "YES"))
    (case_id,) = case_ids(live_server) - before
    assert open_as(live_server, "comp.one", case_id).report["fields"]["what_happened"] == what
