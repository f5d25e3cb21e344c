"""Twilio's webhook: signed requests only; the number becomes a pseudonym at once.

The view parses the form, checks the signature against the configured public URL, rate
limits per pseudonym, calls the SMS line service and answers with TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter import Limiter

from hotline import db
from hotline.limits import configured, day_hash, global_budget
from hotline.services import sms, sms_records, twilio_cleanup
from hotline.views.receipt_guard import guarded
from integrations.twilio.deletion import TwilioCleaner
from integrations.twilio.replies import twiml
from integrations.twilio.signature import SignatureChecker

log = logging.getLogger("hotline.sms")
PATH = "/sms/inbound"
MAX_BODY = 1600


def _pseudonym_key() -> str:
    number = request.form.get("From", "")
    key = current_app.extensions["hotline.services"].keyring.pseudonym_key
    return "sms:" + day_hash(sms.pseudonym_of(key, number))


def _twiml(texts: list[str], status: int = 200) -> Response:
    return Response(twiml(texts), status=status, mimetype="text/xml")


def make_sms_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("sms", __name__, url_prefix="/sms")
    per_texter = limiter.limit(lambda: configured("SMS_RATE_LIMIT"), key_func=_pseudonym_key)
    overall = global_budget(limiter, "REPORT_GLOBAL_RATE_LIMIT", "sms-global")

    @bp.post("/inbound")
    @overall
    @per_texter
    def inbound() -> Response:
        token = str(current_app.config.get("TWILIO_AUTH_TOKEN") or "")
        if not token:
            return Response("SMS line is off", status=503, mimetype="text/plain")
        checker = SignatureChecker(token, str(current_app.config["PUBLIC_URL"]))
        form = {k: v for k, v in request.form.items()}
        if not checker.valid(PATH, form, request.headers.get("X-Twilio-Signature")):
            log.warning("sms.bad_signature")
            return Response("forbidden", status=403, mimetype="text/plain")
        sid, number, body = form.get("MessageSid", ""), form.get("From", ""), form.get("Body", "")
        if not (sid.isalnum() and 10 <= len(sid) <= 64) or not number:
            return Response("bad request", status=400, mimetype="text/plain")
        line: sms.SmsLine = current_app.extensions["hotline.sms"]
        cleaner: TwilioCleaner | None = current_app.extensions.get("hotline.twilio_cleaner")
        replies = line.handle(
            db.session(),
            sms.InboundSms(sid, number, body[:MAX_BODY]),
            queue_deletion=cleaner is not None,
        )
        if cleaner is not None:
            twilio_cleanup.in_background(
                db.database().sessions,
                current_app.extensions["hotline.services"],
                cleaner,
                number,
                float(current_app.config.get("TWILIO_CLEANUP_DELAY_SECONDS", 5)),
                int(current_app.config["TWILIO_DELETE_ATTEMPTS"]),
            )
        log.info("sms.handled", extra={"count": len(replies)})
        return _twiml(replies)

    return bp


def configure(app: Flask) -> None:
    """Build the SMS line for this app; log once whether it is on and whether bodies can be
    deleted at Twilio."""
    config = app.config
    store = app.extensions["hotline.kv"]
    app.extensions["hotline.sms"] = sms.SmsLine(
        ctx=app.extensions["hotline.services"],
        store=store,
        gateway=app.extensions["hotline.rasa"],
        drafts=sms.DraftStore(
            store,
            app.extensions["hotline.services"].keyring.pepper,
            int(config["SMS_DRAFT_TTL_SECONDS"]),
        ),
        followup_url=str(config["PUBLIC_URL"]).rstrip("/") + "/followup",
        session_ttl=int(config["SMS_SESSION_TTL_SECONDS"]),
        records=sms_records.policy_from_config(config),
        guard=guarded,
    )
    if not config["TWILIO_AUTH_TOKEN"]:
        log.info("sms.line_off", extra={"reason": "HOTLINE_TWILIO_AUTH_TOKEN is not set"})
        return
    if config["TWILIO_ACCOUNT_SID"]:
        app.extensions["hotline.twilio_cleaner"] = TwilioCleaner(
            str(config["TWILIO_ACCOUNT_SID"]), str(config["TWILIO_AUTH_TOKEN"])
        )
    else:
        log.warning(
            "sms.bodies_stay_at_twilio",
            extra={
                "reason": "HOTLINE_TWILIO_ACCOUNT_SID is not set, so message "
                "bodies cannot be deleted at Twilio"
            },
        )
