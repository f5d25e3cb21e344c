"""The chat channel live: Flask /chat → Rasa → actions → channel API, in English and Japanese.

Then: the routed handler reads the report, Rasa holds nothing of the conversation, and no
plaintext is in the database or any log (Flask, Rasa, actions).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from hotline import db
from hotline.models import Case
from hotline.services import handler_access
from integrations.rasa import RasaGateway
from tests.botprocs import RunningBot, running_bot
from tests.e2e.conftest import E2E_HANDLERS, LiveServer
from tests.support import find_plaintext, receipt_forms

WRITTEN: list[str] = []


@pytest.fixture(scope="module")
def bot(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with running_bot(
        live_server.url,
        live_server.app.config["CHANNEL_TOKEN"],
        tmp_path_factory.mktemp("bot-logs"),
    ) as running:
        previous = live_server.app.extensions["hotline.rasa"]
        live_server.app.extensions["hotline.rasa"] = RasaGateway(running.url, 30)
        yield running
        live_server.app.extensions["hotline.rasa"] = previous


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


class Chat:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.token = str(post(f"{server.url}/chat/start", {})["conversation"])
        self.receipt: str | None = None

    def say(self, text: str) -> str:
        reply = post(f"{self.server.url}/chat/message", {"conversation": self.token, "text": text})
        assert reply["available"] is True
        if reply.get("receipt"):
            self.receipt = str(reply["receipt"])
        return "\n".join(str(m["text"]) for m in reply["messages"])  # type: ignore[index]

    def sender_id(self) -> str:
        key = self.server.app.extensions["hotline.services"].keyring.pseudonym_key
        return hmac.new(key, b"chat:" + self.token.encode(), hashlib.sha256).hexdigest()[:40]


def marker(label: str) -> str:
    text = f"{label} {secrets.token_hex(5)}"
    WRITTEN.append(text)
    return text


def newest_case(server: LiveServer, before: set[str]) -> Case:
    cases = [c for c in db.session().scalars(select(Case)) if c.id not in before]
    assert len(cases) == 1
    return cases[0]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_report_by_chat(live_server: LiveServer, bot: RunningBot, language: str) -> None:
    with live_server.app.app_context():
        before = set(db.session().scalars(select(Case.id)))
    chat = Chat(live_server)
    if language == "en":
        what = marker("The warehouse lead sells company stock on the side")
        assert "hotline" in chat.say("hello")
        assert "Answer with a number" in chat.say("I want to report something")
        answers = [
            "1",
            what,
            "since last summer",
            marker("Kobe warehouse"),
            "don't know",
            "I saw the invoices",
            "no",
            "yes",
        ]
        confirm_word = "yes"
    else:
        what = marker("倉庫の責任者が会社の在庫を横流ししています")
        assert "内部通報窓口" in chat.say("こんにちは")
        assert "番号で答えて" in chat.say("通報したい")
        answers = [
            "1",
            what,
            "昨年の夏から",
            marker("神戸倉庫"),
            "不明",
            "請求書を見ました",
            "いいえ",
            "はい",
        ]
        confirm_word = "はい"
    for answer in answers:
        last = chat.say(answer)
    assert what in last  # read back before sending
    done = chat.say(confirm_word)
    assert chat.receipt and re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", chat.receipt), done
    WRITTEN.extend(receipt_forms(chat.receipt))

    # Rasa forgot the conversation as soon as the report was filed.
    events = bot.tracker_events(chat.sender_id())
    assert not [e for e in events if e.get("event") == "user"], events

    with live_server.app.app_context():
        case = newest_case(live_server, before)
        assert case.channel.value == "chat" and case.language == language
        who = handler_access.unlock(
            db.session(),
            live_server.app.extensions["hotline.services"],
            "comp.one",
            E2E_HANDLERS["comp.one"][1],
        )
        report = handler_access.open_case(db.session(), who, case.id).report
        assert report["fields"]["what_happened"] == what


def test_status_and_reply_by_chat(live_server: LiveServer, bot: RunningBot) -> None:
    chat = Chat(live_server)
    chat.say("I want to report something")
    for answer in [
        "2",
        marker("A supplier pays the buyer for every order"),
        "-",
        "-",
        "-",
        "-",
        "no",
        "yes",
    ]:
        chat.say(answer)
    chat.say("yes")
    receipt = chat.receipt
    assert receipt
    WRITTEN.extend(receipt_forms(receipt))
    follow = Chat(live_server)
    assert "16-digit" in follow.say("check my report")
    assert "check digit" in follow.say("1234 5678 9012 3456")
    status = follow.say(receipt.replace(" ", "-"))
    assert "received" in status and "reply" in status
    assert "Type your answer" in follow.say("yes")
    assert "was sent" in follow.say(marker("The next payment is due on Friday"))


def test_bot_down_gives_the_fallback(live_server: LiveServer) -> None:
    previous = live_server.app.extensions["hotline.rasa"]
    live_server.app.extensions["hotline.rasa"] = RasaGateway("http://127.0.0.1:9", 2)
    try:
        token = post(f"{live_server.url}/chat/start", {})["conversation"]
        reply = post(
            f"{live_server.url}/chat/message", {"conversation": token, "text": marker("down test")}
        )
        assert reply["available"] is False
        assert "web form" in str(reply["messages"])
        assert reply["link"] == "/report"
    finally:
        live_server.app.extensions["hotline.rasa"] = previous


def test_widget_completes_a_report(
    browser: Browser, live_server: LiveServer, bot: RunningBot, artifacts: Path
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    page.click("#chat-toggle")
    log = page.locator("#chat-log")
    expect(log).to_contain_text("hotline", timeout=30_000)

    def say(text: str, expected: str) -> None:
        page.fill("#chat-input", text)
        page.keyboard.press("Enter")
        expect(log).to_contain_text(expected, timeout=30_000)

    say("I want to report something", "Answer with a number")
    what = marker("Forklift brakes have failed twice this week")
    say("6", "What happened?")
    say(what, "When did it happen")
    say("this week", "Where did it happen")
    say("loading dock", "Who is involved")
    say("don't know", "How do you know")
    say("I drive one", "external ombudsperson")
    say("no", "encrypted written record")
    say("yes", "Shall I send this report?")
    say("yes", "receipt")
    receipt = page.locator(".chat-receipt").inner_text().strip()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    WRITTEN.extend(receipt_forms(receipt))
    page.screenshot(path=str(artifacts / "chat-widget-en.png"), full_page=False)
    page.close()


def test_zz_no_plaintext_anywhere(live_server: LiveServer, bot: RunningBot) -> None:
    haystacks = {**live_server.stored(), "bot logs": bot.log_bytes()}
    assert len(WRITTEN) >= 8
    assert find_plaintext(haystacks, WRITTEN) == []
    assert b"hotline-ephemeral-tracker-store active" in bot.log_bytes()
