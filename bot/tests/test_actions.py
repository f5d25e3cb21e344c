"""Custom actions against the real hotline app (Tracker.from_dict + CollectingDispatcher)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import categories, conversation, forms
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
          "consent": "yes", "language": "en"}


def receipt_of(messages: List[Dict[str, Any]]) -> str:
    for m in messages:
        if m.get("custom") and "receipt" in m["custom"]:
            return str(m["custom"]["receipt"])
    raise AssertionError(f"no receipt in {messages}")


def test_confirm_reads_back_and_sets_idempotency_key() -> None:
    messages, events = run(conversation.ConfirmReport(), tracker(REPORT))
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "Fraud or accounting irregularities" in text and "Nagoya branch" in text
    assert "(not given)" in text  # "who" was skipped
    assert any(m.get("response") == "utter_ask_confirm" for m in messages)
    keys = [e for e in events if e["event"] == "slot" and e["name"] == "idempotency_key"]
    assert len(keys) == 1 and len(keys[0]["value"]) == 48


def test_confirm_without_consent_discards() -> None:
    messages, events = run(conversation.ConfirmReport(), tracker({**REPORT, "consent": "no"}))
    assert "Nothing is sent" in messages[0]["text"] or "nothing is sent" in messages[0]["text"]
    assert AllSlotsReset() in events


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


def test_status_and_reply(hotline_app: Dict[str, Any]) -> None:
    slots = {**REPORT, "idempotency_key": secrets.token_hex(24)}
    receipt = receipt_of(run(conversation.SubmitReport(), tracker(slots))[0])
    messages, events = run(conversation.CheckStatus(), tracker({"receipt": receipt,
                                                                "language": "en"}))
    text = " ".join(m.get("text") or "" for m in messages)
    assert "received" in text and "no replies" in text
    assert events == []  # the receipt stays in memory for the reply that may follow
    messages, events = run(conversation.SendReply(), tracker(
        {"receipt": receipt, "reply_text": "More details follow", "language": "en"}))
    assert "was sent" in messages[0]["text"]
    assert AllSlotsReset() in events


def test_status_with_unknown_receipt(hotline_app: Dict[str, Any]) -> None:
    digits = "123456789012345"
    from actions.receipts import _DAMM

    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    messages, events = run(conversation.CheckStatus(),
                           tracker({"receipt": digits + str(interim), "language": "en"}))
    assert "No report matches" in messages[0]["text"]
    assert AllSlotsReset() in events


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


def test_category_matching() -> None:
    assert categories.match("1") == "fraud_accounting"
    assert categories.match("３") == "harassment"  # full-width digit
    assert categories.match("パワハラです") == "harassment"
    assert categories.match("bribery") == "bribery_corruption"
    assert categories.match("9") is None and categories.match("hmm") is None


def test_form_validation() -> None:
    validator = forms.ValidateReportForm()
    d = CollectingDispatcher()
    t = tracker({"language": "en"})
    assert validator.validate_category("4", d, t, DOMAIN) == {"category": "discrimination"}
    assert validator.validate_category("what?", d, t, DOMAIN) == {"category": None}
    assert validator.validate_what_happened("short", d, t, DOMAIN) == {"what_happened": None}
    assert validator.validate_when("don't know", d, t, DOMAIN) == {"when": "-"}
    assert validator.validate_external_only("はい", d, t, DOMAIN) == {"external_only": "yes"}
    assert validator.validate_external_only("maybe", d, t, DOMAIN) == {"external_only": None}
    assert validator.validate_consent("no", d, t, DOMAIN) == {"consent": "no"}
    status = forms.ValidateStatusForm()
    assert status.validate_receipt("1234 5678 9012 3456", d, t, DOMAIN) == {"receipt": None}
    assert any("check digit" in (m.get("text") or "") for m in d.messages)


def test_cancel_word_drops_everything_but_a_sentence_does_not() -> None:
    validator = forms.ValidateReportForm()
    _, events = run(validator, tracker({**REPORT, "requested_slot": "when"}, text="キャンセル"))
    assert AllSlotsReset() in events and ActiveLoop(None) in events
    assert forms.is_cancel(tracker({}, text="Cancel."))
    assert not forms.is_cancel(tracker({}, text="I want to stop him from stealing"))


def test_language_follows_the_user() -> None:
    action = forms.ValidateSlotMappings()
    d = CollectingDispatcher()
    got = asyncio.run(action.extract_language(d, tracker({"language": "en"}, text="通報したい"),
                                              DOMAIN))
    assert got == {"language": "ja"}
    got = asyncio.run(action.extract_language(d, tracker({"language": "ja"}, text="hello"),
                                              DOMAIN))
    assert got == {"language": "en"}
    got = asyncio.run(action.extract_language(
        d, tracker({"language": None}, text="1", metadata={"language": "ja"}), DOMAIN))
    assert got == {"language": "ja"}


def test_fallback_counts_then_hands_off() -> None:
    messages, events = run(conversation.HandleFallback(), tracker({"fallback_count": 0}))
    assert messages[0]["response"] == "utter_please_rephrase"
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 1)]
    messages, events = run(conversation.HandleFallback(), tracker({"fallback_count": 1}))
    assert messages[0]["response"] == "utter_handoff"
    assert SlotSet("fallback_count", 0) in events
