"""Slot validation for the report, status and reply forms, and the per-message language."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import categories
from actions.i18n import detect_language, language_of, say
from actions.receipts import is_valid_receipt

log = logging.getLogger(__name__)
MAX_CHARS = 4000
YES = {"yes", "y", "yeah", "yep", "ok", "okay", "sure", "はい", "うん", "ええ", "お願いします",
       "大丈夫です", "いいです", "はい、お願いします"}
NO = {"no", "n", "nope", "いいえ", "いや", "結構です", "いいえ、けっこうです", "違います"}
# Inside a form every message is an answer; only these exact words cancel. (A classifier
# deciding that a sentence of the report "means cancel" would silently discard it.)
CANCEL = {"cancel", "stop", "abort", "quit", "restart", "start over", "キャンセル", "中止",
          "やめる", "やめます", "取り消し", "やり直し", "最初からやり直す"}
UNKNOWN = {"don't know", "dont know", "not sure", "unknown", "skip", "-", "不明", "わからない",
           "わかりません", "分からない", "分かりません", "なし", "スキップ", "答えたくない"}


def _norm(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def yes_no(text: Any) -> Optional[bool]:
    cleaned = _norm(text).lower().rstrip(".!。！")
    if cleaned in YES:
        return True
    if cleaned in NO:
        return False
    return None


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message: keeps the reply language in step with the user."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: Dict[Text, Any]) -> Dict[Text, Any]:
        message = tracker.latest_message or {}
        found = detect_language(message.get("text") or "", message.get("metadata") or {})
        if found and found != tracker.get_slot("language"):
            return {"language": found}
        if tracker.get_slot("language") is None:
            return {"language": "en"}
        return {}


def is_cancel(tracker: Tracker) -> bool:
    text = _norm((tracker.latest_message or {}).get("text")).lower().rstrip(".!。！")
    return text in CANCEL


class CancelMixin:
    """Form validators that drop everything when the user types a cancel word."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if is_cancel(tracker):
            dispatcher.utter_message(response="utter_report_discarded")
            return [AllSlotsReset(), SlotSet("language", tracker.get_slot("language")),
                    SlotSet("requested_slot", None), ActiveLoop(None)]
        return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]


class ValidateReportForm(CancelMixin, FormValidationAction):
    def name(self) -> Text:
        return "validate_report_form"

    def validate_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: Dict[Text, Any]) -> Dict[Text, Any]:
        slug = categories.match(_norm(value))
        if slug is None:
            dispatcher.utter_message(text=say(tracker, "bad_category"))
            return {"category": None}
        return {"category": slug}

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
        return {"what_happened": text}

    def _optional(self, name: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> Dict[Text, Any]:
        text = _norm(value)
        if len(text) > MAX_CHARS:
            dispatcher.utter_message(text=say(tracker, "too_long"))
            return {name: None}
        if text.lower().rstrip(".。") in UNKNOWN:
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
        answer = yes_no(value)
        if answer is None:
            dispatcher.utter_message(text=say(tracker, "yes_no"))
            return {"external_only": None}
        return {"external_only": "yes" if answer else "no"}

    def validate_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict[Text, Any]) -> Dict[Text, Any]:
        answer = yes_no(value)
        if answer is None:
            dispatcher.utter_message(text=say(tracker, "yes_no"))
            return {"consent": None}
        return {"consent": "yes" if answer else "no"}


class ValidateStatusForm(CancelMixin, FormValidationAction):
    def name(self) -> Text:
        return "validate_status_form"

    def validate_receipt(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict[Text, Any]) -> Dict[Text, Any]:
        if not is_valid_receipt(_norm(value)):
            dispatcher.utter_message(text=say(tracker, "bad_receipt"))
            return {"receipt": None}
        return {"receipt": _norm(value)}


class ValidateReplyForm(CancelMixin, FormValidationAction):
    def name(self) -> Text:
        return "validate_reply_form"

    def validate_reply_text(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        text = _norm(value)
        if not text:
            return {"reply_text": None}
        if len(text) > MAX_CHARS:
            dispatcher.utter_message(text=say(tracker, "too_long"))
            return {"reply_text": None}
        return {"reply_text": text}
