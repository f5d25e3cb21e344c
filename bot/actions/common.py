"""Small helpers shared by the actions: forgetting a conversation, spotting an FAQ question."""

from __future__ import annotations

from typing import Any, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet

from actions import words

FIELD_LABEL_KEYS = {
    "what_happened": "field_what_happened", "category": "field_category", "when": "field_when",
    "where": "field_where", "who": "field_who", "how_known": "field_how_known",
    "external_only": "field_external_only",
}
FAQ_INTENTS = ("faq_who_reads", "faq_anonymous", "faq_deadlines", "faq_channels")
FAQ_CONFIDENCE = 0.6


def forget_events(tracker: Tracker) -> List[EventType]:
    """Every slot dropped and any form stopped; the language and channel kept."""
    return [AllSlotsReset(), SlotSet("language", tracker.get_slot("language")),
            SlotSet("channel", tracker.get_slot("channel")), SlotSet("requested_slot", None),
            ActiveLoop(None)]


def intent_of(tracker: Tracker) -> tuple:
    """The top real intent and its confidence (past Rasa's nlu_fallback marker)."""
    message: Any = tracker.latest_message or {}
    ranking = [r for r in (message.get("intent_ranking") or [])
               if r.get("name") != "nlu_fallback"]
    if ranking:
        return str(ranking[0].get("name")), float(ranking[0].get("confidence") or 0.0)
    intent = message.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def faq_in(tracker: Tracker) -> Optional[str]:
    """The FAQ answer key when the message is clearly one of the FAQ questions."""
    name, confidence = intent_of(tracker)
    text = (tracker.latest_message or {}).get("text")
    if name in FAQ_INTENTS and confidence >= FAQ_CONFIDENCE and words.is_question(text):
        return name
    return None
