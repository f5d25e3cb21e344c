"""Twilio's webhook: signed requests only; the number becomes a pseudonym at once.

The view parses the form, checks the signature against the configured public URL, rate
limits per pseudonym, calls the SMS line service and answers with TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from flask_limiter import Limiter

from hotline import db, wiring
from hotline.config import Settings
from hotline.kv import ExpiringStore
from hotline.limits import day_hash, global_budget
from hotline.services import sms, sms_records, twilio_cleanup
from hotline.services.context import ServiceContext
from hotline.views.receipt_guard import guarded
from integrations.rasa import RasaGateway
from integrations.twilio.deletion import TwilioCleaner
from integrations.twilio.replies import twiml
from integrations.twilio.signature import SignatureChecker

log = logging.getLogger("hotline.sms")
PATH = "/sms/inbound"
MAX_BODY = 1600


def _pseudonym_key() -> str:
    number = request.form.get("From", "")
    key = wiring.services().context.keyring.pseudonym_key
    return "sms:" + day_hash(sms.pseudonym_of(key, number))


def _twiml(texts: list[str], status: int = 200) -> Response:
    return Response(twiml(texts), status=status, mimetype="text/xml")


def make_sms_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("sms", __name__, url_prefix="/sms")
    per_texter = limiter.limit(lambda: wiring.settings().sms_rate_limit, key_func=_pseudonym_key)
    overall = global_budget(
        limiter, lambda: wiring.settings().report_global_rate_limit, "sms-global"
    )

    @bp.post("/inbound")
    @overall
    @per_texter
    def inbound() -> Response:
        token = wiring.settings().twilio_auth_token
        if not token:
            return Response("SMS line is off", status=503, mimetype="text/plain")
        checker = SignatureChecker(token, wiring.settings().public_url)
        form = {k: v for k, v in request.form.items()}
        if not checker.valid(PATH, form, request.headers.get("X-Twilio-Signature")):
            log.warning("sms.bad_signature")
            return Response("forbidden", status=403, mimetype="text/plain")
        sid, number, body = form.get("MessageSid", ""), form.get("From", ""), form.get("Body", "")
        if not (sid.isalnum() and 10 <= len(sid) <= 64) or not number:
            return Response("bad request", status=400, mimetype="text/plain")
        line: sms.SmsLine = wiring.services().sms
        cleaner: TwilioCleaner | None = wiring.services().twilio_cleaner
        replies = line.handle(
            db.session(),
            sms.InboundSms(sid, number, body[:MAX_BODY]),
            queue_deletion=cleaner is not None,
        )
        if cleaner is not None:
            twilio_cleanup.in_background(
                db.database().sessions,
                wiring.services().context,
                cleaner,
                number,
                wiring.settings().twilio_cleanup_delay_seconds,
                wiring.settings().twilio_delete_attempts,
            )
        log.info("sms.handled", extra={"count": len(replies)})
        return _twiml(replies)

    return bp


def make_sms_line(
    settings: Settings, ctx: ServiceContext, store: ExpiringStore, gateway: RasaGateway
) -> tuple[sms.SmsLine, TwilioCleaner | None]:
    """The SMS line and, when the account SID is set, the client that deletes bodies at
    Twilio; logs once whether the line is on and whether bodies can be deleted."""
    line = sms.SmsLine(
        ctx=ctx,
        store=store,
        gateway=gateway,
        drafts=sms.DraftStore(store, ctx.keyring.pepper, settings.sms_draft_ttl_seconds),
        followup_url=settings.public_url.rstrip("/") + "/followup",
        session_ttl=settings.sms_session_ttl_seconds,
        records=sms_records.policy_from_settings(settings),
        guard=guarded,
    )
    if not settings.twilio_auth_token:
        log.info("sms.line_off", extra={"reason": "HOTLINE_TWILIO_AUTH_TOKEN is not set"})
        return line, None
    if settings.twilio_account_sid:
        return line, TwilioCleaner(settings.twilio_account_sid, settings.twilio_auth_token)
    log.warning(
        "sms.bodies_stay_at_twilio",
        extra={
            "reason": "HOTLINE_TWILIO_ACCOUNT_SID is not set, so message "
            "bodies cannot be deleted at Twilio"
        },
    )
    return line, None
