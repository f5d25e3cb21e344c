"""Actions that file the report, check status, reply, and forget the conversation.

Every action catches every exception and logs only its type: Rasa would otherwise log the
tracker (the whole conversation) with the traceback.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import categories
from actions.hotline_api import ApiError, call
from actions.i18n import STATUS, language_of, say
from actions.receipts import digits_of

log = logging.getLogger(__name__)
REPORT_SLOTS = ("category", "what_happened", "when", "where", "who", "how_known",
                "external_only", "consent")


def _forget_all(tracker: Tracker) -> List[EventType]:
    language = tracker.get_slot("language")
    return [AllSlotsReset(), SlotSet("language", language), ActiveLoop(None)]


def _channel(tracker: Tracker) -> str:
    """The channel the conversation came in by (Flask's /sms view says so in metadata)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return "sms" if metadata.get("channel") == "sms" else "chat"


def _session_header(tracker: Tracker) -> str:
    # The sender id is already a keyed pseudonym chosen by Flask; pass it for rate limiting.
    return str(tracker.sender_id)[:128]


class ConfirmReport(Action):
    def name(self) -> Text:
        return "action_confirm_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            if not tracker.get_slot("category") or not tracker.get_slot("what_happened"):
                return _forget_all(tracker)  # the form was cancelled: nothing to confirm
            if tracker.get_slot("consent") != "yes":
                dispatcher.utter_message(text=say(tracker, "no_consent"))
                return _forget_all(tracker)
            language = language_of(tracker)
            unknown = say(tracker, "unknown")

            def shown(slot: str) -> str:
                value = tracker.get_slot(slot) or "-"
                return unknown if value == "-" else str(value)

            route = "route_external" if tracker.get_slot("external_only") == "yes" else \
                "route_internal"
            lines = [
                say(tracker, "summary_title"),
                f"{say(tracker, 'field_category')}: "
                f"{categories.label(str(tracker.get_slot('category')), language)}",
                f"{say(tracker, 'field_what_happened')}: {shown('what_happened')}",
                f"{say(tracker, 'field_when')}: {shown('when')}",
                f"{say(tracker, 'field_where')}: {shown('where')}",
                f"{say(tracker, 'field_who')}: {shown('who')}",
                f"{say(tracker, 'field_how_known')}: {shown('how_known')}",
                f"{say(tracker, 'field_route')}: {say(tracker, route)}",
            ]
            dispatcher.utter_message(text="\n".join(lines))
            dispatcher.utter_message(response="utter_ask_confirm")
            # One key for this report: a retried submission can never make a second case.
            return [SlotSet("idempotency_key", secrets.token_hex(24))]
        except Exception as error:  # noqa: BLE001 - never let Rasa log the conversation
            log.error("action_confirm_report failed: %s", type(error).__name__)
            dispatcher.utter_message(text=say(tracker, "submit_failed"))
            return _forget_all(tracker)


class SubmitReport(Action):
    def name(self) -> Text:
        return "action_submit_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            payload: Dict[str, Any] = {
                "category": tracker.get_slot("category"),
                "body": tracker.get_slot("what_happened"),
                "channel": _channel(tracker),
                "language": language_of(tracker),
                "external_only": tracker.get_slot("external_only") == "yes",
                "idempotency_key": tracker.get_slot("idempotency_key") or secrets.token_hex(24),
            }
            for slot in ("when", "where", "who", "how_known"):
                value = tracker.get_slot(slot)
                if value and value != "-":
                    payload[slot] = value
            result = call("/api/v1/channel/reports", payload, _session_header(tracker))
            dispatcher.utter_message(text=say(tracker, "receipt", receipt=result["receipt"],
                                              ack=result["acknowledge_by"]))
            dispatcher.utter_message(json_message={"receipt": result["receipt"]})
        except Exception as error:  # noqa: BLE001
            log.error("action_submit_report failed: %s", type(error).__name__)
            dispatcher.utter_message(text=say(tracker, "submit_failed"))
        return _forget_all(tracker)


class CheckStatus(Action):
    def name(self) -> Text:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not tracker.get_slot("receipt"):
            return _forget_all(tracker)  # cancelled
        try:
            receipt = digits_of(str(tracker.get_slot("receipt") or ""))
            result = call("/api/v1/channel/followup", {"receipt": receipt},
                          _session_header(tracker), retry=False)
            language = language_of(tracker)
            dispatcher.utter_message(text=say(
                tracker, "status", case=result["case_id"],
                status=STATUS.get(result["status"], {}).get(language, result["status"]),
                ack=result["acknowledge_by"], feedback=result["feedback_by"]))
            replies = [m for m in result["messages"] if m["author"] == "handler"][-3:]
            if not replies:
                dispatcher.utter_message(text=say(tracker, "no_replies"))
            for message in replies:
                dispatcher.utter_message(text=say(tracker, "handler_said", date=message["date"],
                                                  body=message["body"]))
            dispatcher.utter_message(response="utter_ask_reply")
            return []
        except ApiError as error:
            key = {"receipt_not_found": "not_found", "too_many_attempts": "throttled",
                   "rate_limited": "throttled", "invalid_receipt": "bad_receipt"}.get(
                error.code, "reply_failed")
            dispatcher.utter_message(text=say(tracker, key))
        except Exception as error:  # noqa: BLE001
            log.error("action_check_status failed: %s", type(error).__name__)
            dispatcher.utter_message(text=say(tracker, "reply_failed"))
        return _forget_all(tracker)


class SendReply(Action):
    def name(self) -> Text:
        return "action_send_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not tracker.get_slot("reply_text") or not tracker.get_slot("receipt"):
            return _forget_all(tracker)  # cancelled
        try:
            call("/api/v1/channel/followup/messages",
                 {"receipt": digits_of(str(tracker.get_slot("receipt") or "")),
                  "body": tracker.get_slot("reply_text")},
                 _session_header(tracker), retry=False)
            dispatcher.utter_message(text=say(tracker, "reply_sent"))
        except Exception as error:  # noqa: BLE001
            log.error("action_send_reply failed: %s", type(error).__name__)
            dispatcher.utter_message(text=say(tracker, "reply_failed"))
        return _forget_all(tracker)


class Discard(Action):
    def name(self) -> Text:
        return "action_discard"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_report_discarded")
        return [*_forget_all(tracker), SlotSet("requested_slot", None)]


class ForgetConversation(Action):
    """A marker: the tracker store drops the whole conversation when it sees this action."""

    def name(self) -> Text:
        return "action_forget_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return _forget_all(tracker)


class HandleFallback(Action):
    """Not understood (NLU) or no next step (core): ask again, then hand off to the web form.

    The message is reverted, as Rasa's default fallback does, so it does not steer the
    conversation; the counter is set after the revert so it survives it.
    """

    def name(self) -> Text:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count >= 2:
            dispatcher.utter_message(response="utter_handoff")
            return [UserUtteranceReverted(), SlotSet("fallback_count", 0)]
        dispatcher.utter_message(response="utter_please_rephrase")
        return [UserUtteranceReverted(), SlotSet("fallback_count", count)]
