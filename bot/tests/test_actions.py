"""Custom actions against the real hotline app (Tracker.from_dict + CollectingDispatcher)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import (
    ActiveLoop,
    AllSlotsReset,
    FollowupAction,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher

from actions import categories, conversation, forms, i18n
from actions.receipts import is_valid_receipt

DOMAIN: Dict[str, Any] = {}


def tracker(slots: Dict[str, Any], text: str = "", sender: Optional[str] = None,
            metadata: Optional[Dict[str, Any]] = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender or secrets.token_hex(8),
        "slots": slots,
        "latest_message": {"text": text, "intent": {}, "entities": [],
                           "metadata": metadata or {}},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    })


def run(action: Any, t: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return dispatcher.messages, events


REPORT = {"category": "fraud_accounting", "what_happened": "The regional manager inflates "
          "travel expenses every month", "when": "since April", "where": "Nagoya branch",
          "who": "-", "how_known": "I process the claims", "external_only": "no",
          "confirm": "yes", "language": "en"}


def receipt_of(messages: List[Dict[str, Any]]) -> str:
    for m in messages:
        if m.get("custom") and "receipt" in m["custom"]:
            return str(m["custom"]["receipt"])
    raise AssertionError(f"no receipt in {messages}")


def test_read_back_then_the_question_and_one_idempotency_key() -> None:
    messages, events = run(conversation.AskConfirm(), tracker({**REPORT, "confirm": None}))
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "Fraud or accounting irregularities" in text and "Nagoya branch" in text
    assert "(not given)" in text  # "who" was skipped
    assert 'Answer "yes" to send it, "no" to discard it, or "change"' in text
    keys = [e for e in events if e["event"] == "slot" and e["name"] == "idempotency_key"]
    assert len(keys) == 1 and len(keys[0]["value"]) == 48
    _, again = run(conversation.AskConfirm(), tracker({**REPORT, "idempotency_key": "k" * 48}))
    assert not [e for e in again if e["event"] == "slot" and e["name"] == "idempotency_key"]


def test_over_sms_the_bot_never_says_chat() -> None:
    sms = {"channel": "sms"}
    for slots in ({**REPORT, "confirm": None}, {**REPORT, "language": "ja", "confirm": None}):
        messages, _ = run(conversation.AskConfirm(), tracker(slots, metadata=sms))
        text = " ".join(m.get("text") or "" for m in messages)
        assert "chat" not in text.lower() and "チャット" not in text
    for key in ("greet", "faq_anonymous", "faq_channels", "handoff", "ask_confirm"):
        for language in ("en", "ja"):
            said = i18n.say(tracker({"language": language}, metadata=sms), key)
            assert "chat" not in said.lower() and "チャット" not in said, (key, language)


def test_submit_needs_the_explicit_yes() -> None:
    for confirm in (None, "no", "", "unclear"):
        messages, events = run(conversation.SubmitReport(),
                               tracker({**REPORT, "confirm": confirm}))
        assert messages == [] and AllSlotsReset() in events


def test_submit_files_a_case_and_retry_is_idempotent(hotline_app: Dict[str, Any]) -> None:
    slots = {**REPORT, "idempotency_key": secrets.token_hex(24)}
    messages, events = run(conversation.SubmitReport(), tracker(slots))
    receipt = receipt_of(messages)
    assert is_valid_receipt(receipt)
    assert any("Write it down" in (m.get("text") or "") for m in messages)
    assert AllSlotsReset() in events and ActiveLoop(None) in events
    again, _ = run(conversation.SubmitReport(), tracker(slots))
    assert receipt_of(again) == receipt  # the same idempotency key never makes two cases


def test_submit_in_japanese(hotline_app: Dict[str, Any]) -> None:
    slots = {**REPORT, "language": "ja", "category": "harassment",
             "what_happened": "上司から毎日怒鳴られています", "idempotency_key": secrets.token_hex(24)}
    messages, _ = run(conversation.SubmitReport(), tracker(slots))
    assert is_valid_receipt(receipt_of(messages))
    assert any("受付番号" in (m.get("text") or "") for m in messages)


def test_status_shows_both_sides_and_reply(hotline_app: Dict[str, Any]) -> None:
    slots = {**REPORT, "idempotency_key": secrets.token_hex(24)}
    receipt = receipt_of(run(conversation.SubmitReport(), tracker(slots))[0])
    validator = forms.ValidateStatusForm()
    d = CollectingDispatcher()
    got = validator.validate_receipt(receipt.replace(" ", "-"), d, tracker({"language": "en"}),
                                     DOMAIN)
    assert got == {"receipt": receipt.replace(" ", "-")}
    text = " ".join(m.get("text") or "" for m in d.messages)
    assert "received" in text and "no replies" in text
    assert f"You reported (Fraud or accounting irregularities): {REPORT['what_happened']}" in text
    body = "More details follow " + secrets.token_hex(4)
    messages, events = run(conversation.SendReply(), tracker(
        {"receipt": receipt, "want_reply": "yes", "reply_text": body, "language": "en"}))
    assert "was sent" in messages[0]["text"]
    assert AllSlotsReset() in events
    d = CollectingDispatcher()
    validator.validate_receipt(receipt, d, tracker({"language": "en"}), DOMAIN)
    assert any(m.get("text", "").startswith("You (") and body in m["text"] for m in d.messages)


def test_status_with_unknown_receipt(hotline_app: Dict[str, Any]) -> None:
    digits = "123456789012345"
    from actions.receipts import _DAMM

    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    d = CollectingDispatcher()
    got = forms.ValidateStatusForm().validate_receipt(digits + str(interim), d,
                                                      tracker({"language": "en"}), DOMAIN)
    assert got == {"receipt": None}  # asked again
    assert "No report matches" in d.messages[0]["text"]


def test_api_down_is_a_clear_message_and_logs_no_content(caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from actions import hotline_api

    monkeypatch.setattr(hotline_api, "API_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(hotline_api.time, "sleep", lambda _s: None)
    monkeypatch.setenv("HOTLINE_CHANNEL_TOKEN", "x")
    secret_text = "secret detail that must not be logged 4711"
    with caplog.at_level(logging.DEBUG):
        messages, _ = run(conversation.SubmitReport(),
                          tracker({**REPORT, "what_happened": secret_text,
                                   "idempotency_key": secrets.token_hex(24)}))
    assert "could not be sent" in messages[0]["text"]
    assert secret_text not in caplog.text


def test_form_validation() -> None:
    validator = forms.ValidateReportForm()
    d = CollectingDispatcher()
    t = tracker({"language": "en"})
    assert validator.validate_category("4", d, t, DOMAIN)["category"] == "discrimination"
    assert validator.validate_category("what?", d, t, DOMAIN) == {"category": None}
    guessed = tracker({"language": "en", "category_guess": "harassment"})
    assert validator.validate_category("yes", d, guessed, DOMAIN)["category"] == "harassment"
    assert validator.validate_category("no", d, guessed, DOMAIN) == {
        "category": None, "category_guess": None}
    assert validator.validate_what_happened("short", d, t, DOMAIN) == {"what_happened": None}
    assert validator.validate_what_happened("My boss takes bribes", d, t, DOMAIN) == {
        "what_happened": "My boss takes bribes", "category_guess": "bribery_corruption"}
    assert validator.validate_when("don't know", d, t, DOMAIN) == {"when": "-"}
    assert validator.validate_external_only("はい", d, t, DOMAIN) == {"external_only": "yes"}
    assert validator.validate_external_only("maybe", d, t, DOMAIN) == {"external_only": None}
    status = forms.ValidateStatusForm()
    assert status.validate_receipt("1234 5678 9012 3456", d, t, DOMAIN) == {"receipt": None}
    assert any("check digit" in (m.get("text") or "") for m in d.messages)


NOT_YES = {
    "en": ["harassment", "hmm", "maybe", "I guess", "not sure", "hold on", "what?", "ok",
           "okay", "sure", "yeah", "yep", "I think so", "yes but", "yess", "ye", "3", "fraud",
           "lol", "?", "...", "let me think", "probably", "y e s", "send?", "is it safe",
           "I'm scared", "the report", "fine I guess", "whatever"],
    "ja": ["パワハラ", "うーん", "たぶん", "どうしよう", "ちょっと待って", "考え中", "え？",
           "本当に大丈夫？", "わからない", "あとで", "まあ", "1", "送信…するのかな", "怖いです",
           "迷ってます", "うん", "ええ", "不正", "はいはい？", "そうかも", "検討します",
           "うん…でも", "微妙", "なんで？", "送信？", "ええと", "？", "少し考えたい", "はて",
           "保留"],
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_only_an_explicit_yes_sends(language: str) -> None:
    answers = NOT_YES[language]
    assert len(set(answers)) == 30
    validator = forms.ValidateReportForm()
    for answer in answers:
        d = CollectingDispatcher()
        t = tracker({**REPORT, "language": language, "confirm": None,
                     "requested_slot": "confirm"}, text=answer)
        got = validator.validate_confirm(answer, d, t, DOMAIN)
        assert got.get("confirm") is None, answer
        _, events = run(validator, t)
        assert not [e for e in events if e.get("name") == "confirm" and e.get("value")], answer
    for yes in ("yes", "Yes!", "YES", "yes, send it", "ok, yes send it", "send it please",
                "はい", "はい。", "送信してください", "では送信してください", "はい、お願いします"):
        assert forms.ValidateReportForm().validate_confirm(yes, CollectingDispatcher(), tracker(
            {**REPORT, "confirm": None}), DOMAIN) == {"confirm": "yes"}, yes


@pytest.mark.parametrize(("text", "field"), [
    ("wait, the date is wrong, it was April", "when"), ("change when", "when"),
    ("the place is wrong", "where"), ("日付を直したい", "when"), ("場所が違います", "where"),
    ("change who is involved", "who"), ("種類を直したいです", "category"),
    ("I want to change the description", "what_happened"), ("送り先を変更", "external_only"),
])
def test_correction_clears_only_that_field(text: str, field: str) -> None:
    d = CollectingDispatcher()
    got = forms.ValidateReportForm().validate_confirm(text, d, tracker(
        {**REPORT, "confirm": None}), DOMAIN)
    assert got[field] is None and got["confirm"] is None
    assert set(got) - {"confirm", "confirm_note", "category_guess"} == {field}


def test_no_and_cancel_words_discard_but_sentences_do_not() -> None:
    validator = forms.ValidateReportForm()
    for word in ("no", "No.", "いいえ", "cancel", "キャンセル", "forget it", "やっぱりやめます"):
        messages, events = run(validator, tracker(
            {**REPORT, "confirm": None, "requested_slot": "confirm"}, text=word))
        assert AllSlotsReset() in events and ActiveLoop(None) in events, word
        assert "discarded" in messages[0]["text"] or "破棄" in messages[0]["text"]
    for sentence in ("I want to stop him from stealing", "no, the date is wrong",
                     "not yet", "no wait"):
        _, events = run(validator, tracker(
            {**REPORT, "confirm": None, "requested_slot": "confirm"}, text=sentence))
        assert AllSlotsReset() not in events, sentence


def test_language_follows_the_user() -> None:
    action = forms.ValidateSlotMappings()
    d = CollectingDispatcher()

    def language(slots: Dict[str, Any], text: str, **meta: Any) -> Dict[str, Any]:
        return asyncio.run(action.extract_language(d, tracker(slots, text=text, metadata=meta),
                                                   DOMAIN))

    assert language({"language": "en"}, "通報したい") == {"language": "ja"}
    assert language({"language": "ja"}, "my boss takes bribes") == {"language": "en"}
    assert language({"language": "ja"}, "OK") == {}  # a word of English does not switch
    assert language({"language": None}, "1", language="ja") == {"language": "ja"}


def test_fallback_counts_then_hands_off() -> None:
    messages, events = run(conversation.HandleFallback(), tracker({"fallback_count": 0}))
    assert "did not understand" in messages[0]["text"]
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 1)]
    messages, events = run(conversation.HandleFallback(), tracker({"fallback_count": 1}))
    assert "web form" in messages[0]["text"]
    assert SlotSet("fallback_count", 0) in events


def route(text: str, intent: str, confidence: float, **slots: Any) -> tuple:
    t = Tracker.from_dict({
        "sender_id": secrets.token_hex(8), "slots": {"language": "en", **slots},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "intent_ranking": [{"name": intent, "confidence": confidence}],
                           "entities": [], "metadata": {}},
        "events": [], "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": None})
    return run(conversation.Route(), t)


def test_a_story_opens_the_report_with_what_happened() -> None:
    story = "My boss takes bribes from a supplier"
    for intent, confidence in (("faq_who_reads", 0.55), ("report", 0.4), ("greet", 0.3)):
        messages, events = route(story, intent, confidence)
        assert SlotSet("what_happened", story) in events
        assert SlotSet("category_guess", "bribery_corruption") in events
        assert FollowupAction("report_form") in events
        assert story in messages[0]["text"]  # read back to the person


def test_low_confidence_is_asked_again_not_acted_on() -> None:
    for text, intent in (("hmm", "report"), ("last spring", "status"), ("ok", "goodbye"),
                         ("yes", "faq_anonymous")):
        messages, events = route(text, intent, 0.3)
        assert "did not understand" in messages[0]["text"], text
        assert not [e for e in events if e.get("event") == "followup"], text
    messages, events = route("is it anonymous?", "faq_anonymous", 0.7)
    assert "We do not ask for your name" in messages[0]["text"]
    _, events = route("my receipt is 1234-5678-9012-3452", "greet", 0.2)
    assert FollowupAction("status_form") in events


def test_category_matching_and_guessing() -> None:
    assert categories.match("1") == "fraud_accounting"
    assert categories.match("３") == "harassment"  # full-width digit
    assert categories.match("パワハラです") == "harassment"
    assert categories.match("bribery") == "bribery_corruption"
    assert categories.match("9") is None and categories.match("hmm") is None
    assert categories.guess("the CFO takes kickbacks") == "bribery_corruption"
    assert categories.guess("上司に毎日怒鳴られています") == "harassment"
    assert categories.guess("the weather is nice") is None
