"""Slot validation for the report and status forms, and the per-message language/channel.

Inside a form every message is an answer. Exceptions, all decided by exact words or a clear
question, never by a classifier's guess alone: a cancel word drops everything; a question the
FAQ covers is answered and the same question asked again; at the read-back, "yes" sends,
"no" discards, a correction re-asks that one field, and anything else asks again.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import categories, followups, words
from actions.common import FIELD_LABEL_KEYS, faq_in, forget_events
from actions.i18n import channel_of, detect_language, language_of, page_language, say

log = logging.getLogger(__name__)
MAX_CHARS = 4000
REPORT_FIELDS = ("what_happened", "category", "when", "where", "who", "how_known",
                 "external_only")


def _norm(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def yes_no(text: Any) -> Optional[bool]:
    return words.yes_no(text)


def is_cancel(tracker: Tracker) -> bool:
    return words.is_cancel((tracker.latest_message or {}).get("text"))


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message: keeps the reply language in step with the user and
    remembers the channel (over SMS the wording differs)."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: Dict[Text, Any]) -> Dict[Text, Any]:
        message = tracker.latest_message or {}
        found = detect_language(message.get("text") or "")
        current = tracker.get_slot("language")
        if found and found != current:
            return {"language": found}
        if current is None:
            return {"language": page_language(message.get("metadata")) or "en"}
        return {}

    async def extract_channel(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: Dict[Text, Any]) -> Dict[Text, Any]:
        channel = channel_of(tracker)
        return {"channel": channel} if channel != tracker.get_slot("channel") else {}


class FormGuard:
    """Cancel words and FAQ questions, before the form's own validation."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if is_cancel(tracker):
            dispatcher.utter_message(text=say(tracker, "discarded"))
            return forget_events(tracker)
        requested = tracker.get_slot("requested_slot")
        faq = faq_in(tracker)
        if faq and requested:
            dispatcher.utter_message(text=say(tracker, faq))
            dispatcher.utter_message(text=say(tracker, "faq_back"))
            return [SlotSet(requested, None)]
        return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]


class ValidateReportForm(FormGuard, FormValidationAction):
    def name(self) -> Text:
        return "validate_report_form"

    def validate_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: Dict[Text, Any]) -> Dict[Text, Any]:
        slug = categories.match(_norm(value))
        guess = tracker.get_slot("category_guess")
        if slug is None and guess:
            answer = words.yes_no(value)
            if answer is True:
                slug = guess
            elif answer is False:
                return {"category": None, "category_guess": None}
        if slug is None:
            dispatcher.utter_message(text=say(tracker, "bad_category"))
            return {"category": None}
        return {"category": slug, "category_guess": None}

    def validate_what_happened(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        text = _norm(value)
        minimum = 5 if language_of(tracker) == "ja" else 10
        if len(text) < minimum:
            dispatcher.utter_message(text=say(tracker, "too_short"))
            return {"what_happened": None}
        if len(text) > MAX_CHARS:
            dispatcher.utter_message(text=say(tracker, "too_long"))
            return {"what_happened": None}
        if not tracker.get_slot("category"):
            guess = categories.guess(text) or tracker.get_slot("category_guess")
            return {"what_happened": text, "category_guess": guess}
        return {"what_happened": text}

    def _optional(self, name: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> Dict[Text, Any]:
        text = _norm(value)
        if len(text) > MAX_CHARS:
            dispatcher.utter_message(text=say(tracker, "too_long"))
            return {name: None}
        if words.is_unknown(text):
            return {name: "-"}
        return {name: text or "-"}

    def validate_when(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._optional("when", value, dispatcher, tracker)

    def validate_where(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._optional("where", value, dispatcher, tracker)

    def validate_who(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._optional("who", value, dispatcher, tracker)

    def validate_how_known(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._optional("how_known", value, dispatcher, tracker)

    def validate_external_only(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        answer = words.yes_no(value)
        if answer is None:
            dispatcher.utter_message(text=say(tracker, "yes_no"))
            return {"external_only": None}
        return {"external_only": "yes" if answer else "no"}

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict[Text, Any]) -> Dict[Text, Any]:
        """Only an exact yes sends; an exact no discards (in run); a correction clears one
        field so that the form asks it again and reads everything back once more."""
        if words.is_send(value):
            return {"confirm": "yes"}
        field = words.correction(value)
        if field:
            label = say(tracker, FIELD_LABEL_KEYS[field])
            dispatcher.utter_message(text=say(tracker, "will_change", field=label))
            reset: Dict[Text, Any] = {field: None, "confirm": None, "confirm_note": None}
            if field == "category":
                reset["category_guess"] = None
            return reset
        if field == "":
            return {"confirm": None, "confirm_note": "which"}
        return {"confirm": None, "confirm_note": "unclear"}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text")
        if tracker.get_slot("requested_slot") == "confirm" and words.yes_no(text) is False:
            dispatcher.utter_message(text=say(tracker, "discarded"))
            return forget_events(tracker)
        return await super().run(dispatcher, tracker, domain)


class ValidateStatusForm(FormGuard, FormValidationAction):
    def name(self) -> Text:
        return "validate_status_form"

    def validate_receipt(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict[Text, Any]) -> Dict[Text, Any]:
        """Checks the receipt with the hotline at once and shows the case, both sides."""
        found = words.receipt_in(value)
        if not found or not followups.is_valid_receipt(found):
            dispatcher.utter_message(text=say(tracker, "bad_receipt"))
            return {"receipt": None}
        outcome = followups.show_case(dispatcher, tracker, found)
        if outcome == "shown":
            return {"receipt": found}
        if outcome == "retry":
            return {"receipt": None}
        return {"receipt": found, "want_reply": "stop", "reply_text": "-"}

    def validate_want_reply(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        answer = words.yes_no(value)
        if answer is None:
            dispatcher.utter_message(text=say(tracker, "yes_no"))
            return {"want_reply": None}
        if not answer:
            return {"want_reply": "no", "reply_text": "-"}
        return {"want_reply": "yes"}

    def validate_reply_text(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        text = _norm(value)
        if not text:
            return {"reply_text": None}
        if len(text) > MAX_CHARS:
            dispatcher.utter_message(text=say(tracker, "too_long"))
            return {"reply_text": None}
        return {"reply_text": text}
