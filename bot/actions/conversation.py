"""Actions that start, read back, file or drop a report, and answer outside the forms.

Every action catches every exception and logs only its type: Rasa would otherwise log the
tracker (the whole conversation) with the traceback.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import categories, words
from actions.common import FAQ_INTENTS, faq_in, forget_events, intent_of
from actions.followups import session_header
from actions.hotline_api import call
from actions.i18n import channel_of, language_of, say
from actions.receipts import digits_of

log = logging.getLogger(__name__)
REPORT_SLOTS = ("category", "what_happened", "when", "where", "who", "how_known",
                "external_only", "confirm")
STATUS_CONFIDENCE = 0.6
REPORT_CONFIDENCE = 0.4
SMALL_TALK_CONFIDENCE = 0.5
FAQ_STATEMENT_CONFIDENCE = 0.85


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _fallback(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    count = int(tracker.get_slot("fallback_count") or 0) + 1
    if count >= 2:
        dispatcher.utter_message(text=say(tracker, "handoff"))
        return [UserUtteranceReverted(), SlotSet("fallback_count", 0)]
    dispatcher.utter_message(text=say(tracker, "rephrase"))
    return [UserUtteranceReverted(), SlotSet("fallback_count", count)]


def start_report(dispatcher: CollectingDispatcher, tracker: Tracker,
                 story: bool) -> List[EventType]:
    """Open the report form; a message with substance becomes "what happened" at once."""
    text = words.norm_spaces(_text(tracker))
    events: List[EventType] = [SlotSet("fallback_count", 0)]
    guess = categories.guess(text)
    if guess:
        events.append(SlotSet("category_guess", guess))
    if story:
        dispatcher.utter_message(text=say(tracker, "noted_story", text=text))
        events.append(SlotSet("what_happened", text))
    return [*events, FollowupAction("report_form")]


def start_status(tracker: Tracker) -> List[EventType]:
    receipt = words.receipt_in(_text(tracker))
    events: List[EventType] = [SlotSet("fallback_count", 0)]
    if receipt:
        events.append(SlotSet("receipt", receipt))
    return [*events, FollowupAction("status_form")]


class Route(Action):
    """Every message outside a form. Exact words and clear signals first, the classifier's
    intent only above a confidence floor; what is left is asked again."""

    def name(self) -> Text:
        return "action_route"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            return self._route(dispatcher, tracker)
        except Exception as error:  # noqa: BLE001 - never let Rasa log the conversation
            log.error("action_route failed: %s", type(error).__name__)
            return _fallback(dispatcher, tracker)

    def _route(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        text = _text(tracker)
        intent, confidence = intent_of(tracker)
        question = words.is_question(text)
        hinted = categories.guess(text) is not None
        substance = words.has_substance(text, hinted) and not question
        if words.receipt_in(text):
            return start_status(tracker)
        if words.is_cancel(text):
            dispatcher.utter_message(text=say(tracker, "nothing_to_cancel"))
            return [*forget_events(tracker), FollowupAction("action_forget_conversation")]
        faq = faq_in(tracker)
        if faq or (intent in FAQ_INTENTS and confidence >= FAQ_STATEMENT_CONFIDENCE):
            dispatcher.utter_message(text=say(tracker, faq or intent))
            return [SlotSet("fallback_count", 0)]
        if intent == "status" and (confidence >= STATUS_CONFIDENCE or (
                confidence >= REPORT_CONFIDENCE and words.looks_like_status(text))):
            return start_status(tracker)
        if substance:
            return start_report(dispatcher, tracker, story=True)
        if intent == "report" and confidence >= REPORT_CONFIDENCE:
            return start_report(dispatcher, tracker, story=False)
        if confidence >= SMALL_TALK_CONFIDENCE and intent in ("greet", "thanks", "goodbye"):
            key = {"greet": "greet", "thanks": "welcome", "goodbye": "goodbye"}[intent]
            dispatcher.utter_message(text=say(tracker, key))
            if intent == "goodbye":
                return [*forget_events(tracker), FollowupAction("action_forget_conversation")]
            return [SlotSet("fallback_count", 0)]
        return _fallback(dispatcher, tracker)


class AskCategory(Action):
    def name(self) -> Text:
        return "action_ask_category"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        menu = categories.menu(language)
        guess = tracker.get_slot("category_guess")
        if guess:
            dispatcher.utter_message(text=say(tracker, "guess_category", menu=menu,
                                              label=categories.label(guess, language)))
        else:
            dispatcher.utter_message(text=say(tracker, "ask_category", menu=menu))
        return []


def summary(tracker: Tracker) -> str:
    language = language_of(tracker)
    unknown = say(tracker, "unknown")

    def shown(slot: str) -> str:
        value = tracker.get_slot(slot) or "-"
        return unknown if value == "-" else str(value)

    route = "route_external" if tracker.get_slot("external_only") == "yes" else \
        "route_internal"
    return "\n".join([
        say(tracker, "summary_title"),
        f"{say(tracker, 'field_category')}: "
        f"{categories.label(str(tracker.get_slot('category')), language)}",
        f"{say(tracker, 'field_what_happened')}: {shown('what_happened')}",
        f"{say(tracker, 'field_when')}: {shown('when')}",
        f"{say(tracker, 'field_where')}: {shown('where')}",
        f"{say(tracker, 'field_who')}: {shown('who')}",
        f"{say(tracker, 'field_how_known')}: {shown('how_known')}",
        f"{say(tracker, 'field_external_only')}: {say(tracker, route)}",
    ])


class AskConfirm(Action):
    """The read-back and the final question; after an unclear answer, only the question."""

    def name(self) -> Text:
        return "action_ask_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        note = tracker.get_slot("confirm_note")
        if note == "which":
            dispatcher.utter_message(text=say(tracker, "which_field"))
        elif note == "unclear":
            dispatcher.utter_message(text=say(tracker, "confirm_unclear"))
        else:
            dispatcher.utter_message(text=summary(tracker))
            dispatcher.utter_message(text=say(tracker, "ask_confirm"))
        events: List[EventType] = [SlotSet("confirm_note", None)]
        if not tracker.get_slot("idempotency_key"):
            # One key for this report: a retried submission can never make a second case.
            events.append(SlotSet("idempotency_key", secrets.token_hex(24)))
        return events


class SubmitReport(Action):
    def name(self) -> Text:
        return "action_submit_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        # The form also ends when it is cancelled: only an explicit yes files anything.
        if tracker.get_slot("confirm") != "yes" or not tracker.get_slot("what_happened") \
                or not tracker.get_slot("category"):
            return forget_events(tracker)
        try:
            payload: Dict[str, Any] = {
                "category": tracker.get_slot("category"),
                "body": tracker.get_slot("what_happened"),
                "channel": channel_of(tracker),
                "language": language_of(tracker),
                "external_only": tracker.get_slot("external_only") == "yes",
                "idempotency_key": tracker.get_slot("idempotency_key") or secrets.token_hex(24),
            }
            for slot in ("when", "where", "who", "how_known"):
                value = tracker.get_slot(slot)
                if value and value != "-":
                    payload[slot] = value
            result = call("/api/v1/channel/reports", payload, session_header(tracker))
            dispatcher.utter_message(text=say(tracker, "receipt", receipt=result["receipt"],
                                              ack=result["acknowledge_by"]))
            dispatcher.utter_message(json_message={"receipt": result["receipt"]})
        except Exception as error:  # noqa: BLE001
            log.error("action_submit_report failed: %s", type(error).__name__)
            dispatcher.utter_message(text=say(tracker, "submit_failed"))
        return forget_events(tracker)


class SendReply(Action):
    def name(self) -> Text:
        return "action_send_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        want = tracker.get_slot("want_reply")
        if want == "no":
            dispatcher.utter_message(text=say(tracker, "no_reply_wanted"))
        text = tracker.get_slot("reply_text")
        if want != "yes" or not text or text == "-" or not tracker.get_slot("receipt"):
            return forget_events(tracker)  # declined, stopped or cancelled
        try:
            call("/api/v1/channel/followup/messages",
                 {"receipt": digits_of(str(tracker.get_slot("receipt") or "")), "body": text},
                 session_header(tracker), retry=False)
            dispatcher.utter_message(text=say(tracker, "reply_sent"))
        except Exception as error:  # noqa: BLE001
            log.error("action_send_reply failed: %s", type(error).__name__)
            dispatcher.utter_message(text=say(tracker, "reply_failed"))
        return forget_events(tracker)


class ForgetConversation(Action):
    """A marker: the tracker store drops the whole conversation when it sees this action."""

    def name(self) -> Text:
        return "action_forget_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return forget_events(tracker)


class HandleFallback(Action):
    """No next step (core fallback): ask again, then point to the other ways in."""

    def name(self) -> Text:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return _fallback(dispatcher, tracker)
