"""Checking an earlier report with its receipt: the case's status, what the reporter sent
and every message on both sides (the latest few), fetched from the hotline's channel API."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import categories
from actions.hotline_api import ApiError, call
from actions.i18n import STATUS, language_of, say
from actions.receipts import digits_of, is_valid_receipt

log = logging.getLogger(__name__)
SHOWN_MESSAGES = 6
SHOWN_CHARS = 600
__all__ = ["is_valid_receipt", "show_case", "session_header"]


def session_header(tracker: Tracker) -> str:
    # The sender id is already a keyed pseudonym chosen by Flask; pass it for rate limiting.
    return str(tracker.sender_id)[:128]


def _short(text: Any) -> str:
    value = str(text or "")
    return value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"


def show_case(dispatcher: CollectingDispatcher, tracker: Tracker, receipt: str) -> str:
    """"shown" (the case is on screen), "retry" (ask for the receipt again) or "stop"."""
    try:
        result = call("/api/v1/channel/followup", {"receipt": digits_of(receipt)},
                      session_header(tracker), retry=False)
    except ApiError as error:
        if error.code in ("receipt_not_found", "invalid_receipt"):
            dispatcher.utter_message(text=say(tracker, "not_found"))
            return "retry"
        key = "throttled" if error.code in ("too_many_attempts", "rate_limited") else \
            "reply_failed"
        dispatcher.utter_message(text=say(tracker, key))
        return "stop"
    except Exception as error:  # noqa: BLE001 - never let Rasa log the conversation
        log.error("status check failed: %s", type(error).__name__)
        dispatcher.utter_message(text=say(tracker, "reply_failed"))
        return "stop"
    language = language_of(tracker)
    dispatcher.utter_message(text=say(
        tracker, "status", case=result["case_id"],
        status=STATUS.get(result["status"], {}).get(language, result["status"]),
        ack=result["acknowledge_by"], feedback=result["feedback_by"]))
    report: Dict[str, Any] = result.get("report") or {}
    if report.get("what_happened"):
        dispatcher.utter_message(text=say(
            tracker, "you_reported", body=_short(report["what_happened"]),
            category=categories.label(str(result.get("category") or ""), language)))
    messages: List[Dict[str, Any]] = list(result.get("messages") or [])
    if not any(m.get("author") == "handler" for m in messages):
        dispatcher.utter_message(text=say(tracker, "no_replies"))
    for message in messages[-SHOWN_MESSAGES:]:
        key = "handler_said" if message.get("author") == "handler" else "you_said"
        dispatcher.utter_message(text=say(tracker, key, date=message.get("date"),
                                          body=_short(message.get("body"))))
    return "shown"
