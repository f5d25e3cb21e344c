"""The chat channel live: Flask /chat → Rasa → actions → channel API, in English and Japanese.

Then: the routed handler reads the report, Rasa holds nothing of the conversation, and no
plaintext is in the database or any log (Flask, Rasa, actions).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from hotline import db, wiring
from hotline.models import Case
from hotline.services import handler_access
from integrations.rasa import RasaGateway
from tests.support.botprocs import RunningBot, running_bot
from tests.support.config import patch_settings
from tests.support.live_server import E2E_HANDLERS, LiveServer


@pytest.fixture(scope="module")
def bot(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with running_bot(
        live_server.url,
        wiring.settings(live_server.app).channel_token,
        tmp_path_factory.mktemp("bot-logs"),
    ) as running:
        previous = wiring.services(live_server.app).rasa
        wiring.services(live_server.app).rasa = RasaGateway(running.url, 30)
        live_server.other_stores.append(lambda: {"bot logs": running.log_bytes()})
        yield running
        wiring.services(live_server.app).rasa = previous


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
        key = wiring.services(self.server.app).context.keyring.pseudonym_key
        return hmac.new(key, b"chat:" + self.token.encode(), hashlib.sha256).hexdigest()[:40]


def marker(server: LiveServer, label: str) -> str:
    return server.ledger.marker(label, "")


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
        what = marker(live_server, "The warehouse lead sells company stock on the side")
        assert "hotline" in chat.say("hello")
        assert "What happened?" in chat.say("I want to report something")
        answers = [
            what,
            "1",
            "since last summer",
            marker(live_server, "Kobe warehouse"),
            "don't know",
            "I saw the invoices",
            "no",
        ]
        confirm_word = "yes"
    else:
        what = marker(live_server, "倉庫の責任者が会社の在庫を横流ししています")
        assert "内部通報窓口" in chat.say("こんにちは")
        assert "何がありましたか" in chat.say("通報したい")
        answers = [
            what,
            "1",
            "昨年の夏から",
            marker(live_server, "神戸倉庫"),
            "不明",
            "請求書を見ました",
            "いいえ",
        ]
        confirm_word = "はい"
    for answer in answers:
        last = chat.say(answer)
    assert what in last  # read back before sending
    done = chat.say(confirm_word)
    assert chat.receipt and re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", chat.receipt), done
    live_server.ledger.receipt(chat.receipt)

    # Rasa forgot the conversation as soon as the report was filed.
    events = bot.tracker_events(chat.sender_id())
    assert not [e for e in events if e.get("event") == "user"], events

    with live_server.app.app_context():
        case = newest_case(live_server, before)
        assert case.channel.value == "chat" and case.language == language
        report = open_report(live_server, case.id)
        assert report["fields"]["what_happened"] == what


def open_report(server: LiveServer, case_id: str) -> dict[str, object]:
    with server.app.app_context():
        who = handler_access.unlock(
            db.session(),
            wiring.services(server.app).context,
            "comp.one",
            E2E_HANDLERS["comp.one"][1],
        )
        return dict(handler_access.open_case(db.session(), who, case_id).report)


def case_ids(server: LiveServer) -> set[str]:
    with server.app.app_context():
        return set(db.session().scalars(select(Case.id)))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_story_first_opening_files_the_story(
    live_server: LiveServer, bot: RunningBot, language: str
) -> None:
    """The first message that tells what happened starts the report and is "what happened";
    the category is suggested from it and confirmed; only the rest is asked."""
    before = case_ids(live_server)
    chat = Chat(live_server)
    if language == "en":
        story = marker(live_server, "My boss takes bribes from a supplier")
        first = chat.say(story)
        assert story in first and "Bribery or corruption. Is that right?" in first
        steps = ["yes", "last spring", "-", "-", "-", "no"]
        final = "yes"
    else:
        story = marker(live_server, "部長が取引先から賄賂を受け取っています")
        first = chat.say(story)
        assert story in first and "贈収賄・汚職" in first
        steps = ["はい", "去年の春", "不明", "不明", "不明", "いいえ"]
        final = "はい"
    for step in steps:
        last = chat.say(step)
    assert story in last
    chat.say(final)
    assert chat.receipt
    live_server.ledger.receipt(chat.receipt)
    (case_id,) = case_ids(live_server) - before
    report = open_report(live_server, case_id)
    assert report["category"] == "bribery_corruption"
    assert report["fields"]["what_happened"] == story  # type: ignore[index]


@pytest.mark.parametrize(
    ("language", "correction", "new_when"),
    [
        ("en", "wait, the date is wrong, it was April", "April"),
        ("ja", "日付を直したい", "4月"),
    ],
)
def test_correction_at_read_back_changes_only_that_field(
    live_server: LiveServer, bot: RunningBot, language: str, correction: str, new_when: str
) -> None:
    before = case_ids(live_server)
    chat = Chat(live_server)
    if language == "en":
        story = marker(live_server, "The site manager told us to skip the harness checks")
        answers = [
            story,
            "6",
            "March",
            marker(live_server, "Osaka site"),
            "the site manager",
            "briefing",
            "no",
        ]
        final, asked = "yes", "When did it happen?"
    else:
        story = marker(live_server, "現場監督が安全帯の点検を省略するよう指示しました")
        answers = [
            story,
            "6",
            "3月",
            marker(live_server, "大阪の現場"),
            "現場監督",
            "朝礼で聞きました",
            "いいえ",
        ]
        final, asked = "はい", "いつのことですか"
    for answer in answers:
        first_read_back = chat.say(answer)
    assert "March" in first_read_back or "3月" in first_read_back
    assert asked in chat.say(correction)
    second_read_back = chat.say(new_when)
    assert new_when in second_read_back and answers[3] in second_read_back
    chat.say(final)
    assert chat.receipt
    live_server.ledger.receipt(chat.receipt)
    (case_id,) = case_ids(live_server) - before
    fields = open_report(live_server, case_id)["fields"]
    assert fields == {  # only "when" changed
        "what_happened": story,
        "when": new_when,
        "where": answers[3],
        "who": answers[4],
        "how_known": answers[5],
    }


NOT_YES = {
    "en": [
        "harassment",
        "hmm",
        "maybe",
        "I guess",
        "not sure",
        "wait",
        "hold on",
        "what?",
        "is it safe?",
        "I don't know",
        "perhaps later",
        "ok",
        "sure thing I suppose",
        "3",
        "yes but",
        "yess maybe",
        "why do you need this",
        "lol",
        "?",
        "...",
        "let me think",
        "can you repeat",
        "fraud",
        "okay?",
        "ye",
        "probably",
        "I'm scared",
        "hmm, kind of",
        "is my name on it",
        "the report",
    ],
    "ja": [
        "パワハラ",
        "うーん",
        "たぶん",
        "どうしよう",
        "ちょっと待って",
        "考え中",
        "え？",
        "本当に大丈夫？",
        "わからない",
        "あとで",
        "まあ",
        "1",
        "送信…するのかな",
        "怖いです",
        "迷ってます",
        "どういう意味？",
        "もう一度",
        "不正",
        "はいはい？",
        "そうかも",
        "検討します",
        "うん…でも",
        "微妙",
        "なんで？",
        "名前は出ますか",
        "ええと",
        "？",
        "少し考えたい",
        "はて",
        "保留",
    ],
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_only_an_explicit_yes_sends(
    live_server: LiveServer, bot: RunningBot, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At "Shall I send this report?" 30 different answers that are not yes never file."""
    answers = NOT_YES[language]
    assert len(set(answers)) == 30
    # 38 messages in one conversation: more than a person sends in a minute.
    patch_settings(monkeypatch, live_server.app, CHAT_RATE_LIMIT="1000 per minute")
    before = case_ids(live_server)
    chat = Chat(live_server)
    story = marker(
        live_server,
        "The buyer takes kickbacks" if language == "en" else "購買担当が見返りを受け取っています",
    )
    steps = [story, "2", "-", "-", "-", "-", "no" if language == "en" else "いいえ"]
    for step in steps:
        chat.say(step)
    for answer in answers:
        reply = chat.say(answer)
        assert chat.receipt is None, (answer, reply)
        # Asked again (with the choices), or asked which part to change.
        assert any(w in reply for w in ("yes", "change", "はい", "変更")), (answer, reply)
    assert case_ids(live_server) == before
    chat.say("yes" if language == "en" else "はい")
    assert chat.receipt  # still at the final question: an explicit yes sends
    live_server.ledger.receipt(chat.receipt)


def test_bot_down_gives_the_fallback(live_server: LiveServer) -> None:
    previous = wiring.services(live_server.app).rasa
    wiring.services(live_server.app).rasa = RasaGateway("http://127.0.0.1:9", 2)
    try:
        token = post(f"{live_server.url}/chat/start", {})["conversation"]
        reply = post(
            f"{live_server.url}/chat/message",
            {"conversation": token, "text": marker(live_server, "down test")},
        )
        assert reply["available"] is False
        assert "web form" in str(reply["messages"])
        assert reply["link"] == "/report"
    finally:
        wiring.services(live_server.app).rasa = previous


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

    what = marker(live_server, "Forklift brakes have failed twice this week")
    say(what, "Health, safety or environment. Is that right?")
    say("yes", "When did it happen")
    say("this week", "Where did it happen")
    say("loading dock", "Who is involved")
    say("don't know", "How do you know")
    say("I drive one", "external ombudsperson")
    say("no", "Shall I send this report?")
    say("yes", "receipt")
    receipt = page.locator(".chat-receipt").inner_text().strip()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    # The receipt is shown once, in its box (not also in the message text).
    assert log.inner_text().count(receipt) == 1
    live_server.ledger.receipt(receipt)
    page.screenshot(path=str(artifacts / "chat-widget-en.png"), full_page=False)
    page.close()


def test_bot_keeps_conversations_in_the_ephemeral_tracker_store(bot: RunningBot) -> None:
    assert b"hotline-ephemeral-tracker-store active" in bot.log_bytes()
