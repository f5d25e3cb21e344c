"""The chat widget's endpoint: same origin, rate limited, forwards to Rasa on loopback.

The widget holds a random conversation token in page memory; Rasa sees only a keyed hash
of it, so nothing links a Rasa conversation to a browser. Texts pass through memory only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Blueprint, Response, jsonify, request, session, url_for
from flask_babel import gettext
from flask_limiter import Limiter

from hotline import wiring
from hotline.limits import day_hash, global_budget
from hotline.services.errors import InvalidInput
from hotline.services.validation import clean_text
from hotline.views.json_input import json_object, string_field
from integrations.rasa import BotUnavailable, RasaGateway

MAX_CHAT_CHARS = 2000


def _sender_id(token: str) -> str:
    key = wiring.services().context.keyring.pseudonym_key
    return hmac.new(key, b"chat:" + token.encode("ascii"), hashlib.sha256).hexdigest()[:40]


def _conversation_key() -> str:
    # Rate-limit per conversation (hashed), as the SMS line does per pseudonym.
    payload = request.get_json(silent=True) if request.is_json else None
    token = str(payload.get("conversation", ""))[:64] if isinstance(payload, dict) else ""
    return "chat:" + day_hash("conversation:" + token)


def make_chat_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("chat", __name__, url_prefix="/chat")
    per_client = limiter.limit(lambda: wiring.settings().chat_rate_limit)
    per_conversation = limiter.limit(
        lambda: wiring.settings().chat_rate_limit, key_func=_conversation_key
    )
    overall = global_budget(
        limiter, lambda: wiring.settings().chat_global_rate_limit, "chat-global"
    )

    @bp.post("/start")
    @overall
    @per_client
    def start() -> Response:
        return jsonify(conversation=secrets.token_urlsafe(24))

    @bp.post("/message")
    @overall
    @per_conversation
    def message() -> Response:
        payload = json_object(("conversation", "text"))
        token = string_field(payload, "conversation", 64)
        if not token.replace("-", "").replace("_", "").isalnum():
            raise InvalidInput("bad conversation token", field="conversation")
        text = clean_text(payload["text"], "text", MAX_CHAT_CHARS)
        gateway: RasaGateway = wiring.services().rasa
        language = session.get("lang") if session.get("lang") in ("en", "ja") else None
        try:
            reply = gateway.send(_sender_id(token), text, language)
        except BotUnavailable:
            return jsonify(
                available=False,
                messages=[
                    {
                        "text": gettext(
                            "The chat assistant is not available right now. Nothing you typed was "
                            "stored. Please use the web form instead."
                        )
                    }
                ],
                link=url_for("reporter.report_form"),
            )
        return jsonify(
            available=True, messages=[{"text": t} for t in reply.texts], receipt=reply.receipt
        )

    return bp
