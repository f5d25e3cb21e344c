"""The handler console: one page (all decryption happens in its JavaScript) and its JSON API.

The server only ever sees login proofs, TOTP codes, ciphertext and public keys. Private
keys, case keys and plaintext exist only in the handler's browser tab, in memory: a reload
means signing in again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask import session as cookie_session
from flask_babel import get_locale
from flask_babel import gettext as _babel_gettext
from flask_limiter import Limiter
from sqlalchemy import select

from hotline import db, vocabulary
from hotline.blobs.store import BlobStore
from hotline.kv import ExpiringStore
from hotline.limits import client_key, configured
from hotline.models import Attachment, Desk, Handler
from hotline.services import (
    attachments,
    audit,
    console,
    dates,
    handler_auth,
    routing,
    workflow,
)
from hotline.services.errors import InvalidCredentials, InvalidInput, NotFound
from hotline.services.sealed_intake import GRANT_BYTES
from hotline.services.throttle import ReceiptThrottle, Throttled
from hotline.views import handler_session
from hotline.views.api import service_context
from hotline.views.json_input import b64, b64_field, id_field, json_object, string_field

T = TypeVar("T")

# A TOTP code field is short; anything longer is refused before any work.
_CODE_MAX = 16
_RECOVERY_PROOF_BYTES = 32
_WRAPPED_PRIVATE_MAX = 400


def _(text: str, **values: str) -> str:
    return str(_babel_gettext(text, **values))


class LoginThrottled(Throttled):
    """Too many failed sign-ins for this username from this client."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.message = f"too many failed sign-ins; wait {retry_after} seconds and try again"


def _login_throttle() -> ReceiptThrottle:
    throttle: ReceiptThrottle = current_app.extensions["hotline.login_throttle"]
    return throttle


def _store() -> ExpiringStore:
    store: ExpiringStore = current_app.extensions["hotline.kv"]
    return store


def _blobs() -> BlobStore:
    store: BlobStore = current_app.extensions["hotline.blobs"]
    return store


def _throttle_key(username: str) -> str:
    """Username and client together, as a keyed hash: the store never holds either."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(
        secret, f"{username}\x00{client_key()}".encode("utf-8", "replace"), hashlib.sha256
    ).hexdigest()[:32]
    return f"login:{digest}"


def _throttled(username: str, attempt: Callable[[], T]) -> T:
    """Refuse while a growing delay runs; wrong passwords, codes or recovery keys count."""
    throttle = _login_throttle()
    key = _throttle_key(username)
    try:
        throttle.check(key)
    except Throttled as error:
        raise LoginThrottled(error.retry_after) from None
    try:
        result = attempt()
    except InvalidCredentials:
        throttle.failed(key)
        raise
    throttle.succeeded(key)
    return result


def _username(payload: dict[str, Any]) -> str:
    return string_field(payload, "username", 64).strip().lower()


def _code(payload: dict[str, Any], required: bool = True) -> str:
    value = payload.get("code", "")
    if not isinstance(value, str) or len(value) > _CODE_MAX or (required and not value):
        raise InvalidInput("code must be the 6-digit code from your authenticator", field="code")
    return value


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _key_material(keys: handler_auth.KeyMaterial) -> dict[str, Any]:
    params = service_context().keyring.password_params
    return {
        "handler_id": keys.handler_id,
        "username": keys.username,
        "display_name": keys.display_name,
        "is_admin": keys.is_admin,
        "desk": keys.desk,
        "wrapped_private": b64(keys.wrapped_private),
        "x25519_public": b64(keys.x25519_public),
        "mlkem_public": b64(keys.mlkem_public),
        # The cost a new password wrapping must use (what the server will store).
        "argon2": {"ops": params.ops, "mem_bytes": params.mem_bytes},
    }


def _keeping_language(change: Callable[[], None]) -> None:
    """Signing in or out clears the session; the chosen page language survives it."""
    lang = cookie_session.get("lang")
    change()
    if lang is not None:
        cookie_session["lang"] = lang


def _signed_in(keys: handler_auth.KeyMaterial) -> Response:
    _keeping_language(lambda: handler_session.sign_in(keys.handler_id, keys.is_admin))
    return jsonify(_key_material(keys))


def _me() -> int:
    handler_id = handler_session.current_handler_id()
    if handler_id is None:  # login_required ran first; this is for the type checker
        raise handler_session.NotSignedIn("please sign in")
    return handler_id


def _filters() -> tuple[console.Filters, str | None, int]:
    args = request.args
    try:
        limit = int(args.get("limit", "50"))
    except ValueError as exc:
        raise InvalidInput("limit must be a number", field="limit") from exc
    cursor = args.get("cursor") or None
    if cursor is not None and len(cursor) > 64:
        raise InvalidInput("bad page cursor", field="cursor")
    filters = console.Filters(
        status=args.get("status") or None,
        category=(args.get("category") or None),
        channel=(args.get("channel") or None),
        overdue_only=args.get("overdue", "") in ("1", "true", "on"),
    )
    for name in ("category", "channel"):
        value = getattr(filters, name)
        if value is not None and len(value) > 40:
            raise InvalidInput(f"{name} is too long", field=name)
    return filters, cursor, limit


def _bundle_json(bundle: console.CaseBundle, names: dict[int, str]) -> dict[str, Any]:
    return {
        "case_id": bundle.case_id,
        "category": bundle.category,
        "channel": bundle.channel,
        "language": bundle.language,
        "status": bundle.status,
        "outcome": bundle.outcome,
        "external_only": bundle.external_only,
        "involves_executive": bundle.involves_executive,
        "received_on": bundle.received_on.isoformat(),
        "acknowledge_by": bundle.acknowledge_by.isoformat(),
        "acknowledged_on": _day(bundle.acknowledged_on),
        "feedback_by": bundle.feedback_by.isoformat(),
        "next_deadline": _day(bundle.next_deadline),
        "overdue": bundle.next_deadline is not None and bundle.next_deadline < dates.today(),
        "grant": b64(bundle.grant),
        "sealed_report": b64(bundle.sealed_report),
        "messages": [
            {
                "id": m.item_id,
                "author": m.author,
                "handler_name": m.handler_name,
                "date": m.day.isoformat(),
                "sealed_body": b64(m.sealed),
            }
            for m in bundle.messages
        ],
        "notes": [
            {
                "id": n.item_id,
                "handler_name": n.handler_name,
                "date": n.day.isoformat(),
                "sealed_body": b64(n.sealed),
            }
            for n in bundle.notes
        ],
        "attachments": [
            {
                "id": attachment_id,
                "author": author,
                "date": added_on.isoformat(),
                "sealed_file_key": b64(sealed_file_key),
                "sealed_meta": b64(sealed_meta),
                "stored_bytes": stored_bytes,
            }
            for attachment_id, author, added_on, sealed_file_key, sealed_meta, stored_bytes in (
                bundle.attachments
            )
        ],
        "holders": [
            {"handler_id": handler_id, "display_name": name, "released": released}
            for handler_id, name, _role, released in bundle.holders
        ],
        "trail": [
            {
                "id": e.entry_id,
                "date": e.day.isoformat(),
                "actor": names.get(e.actor_id, "") if e.actor_id is not None else "",
                "action": e.action,
                "detail": e.detail,
            }
            for e in bundle.trail
        ],
    }


def _page_strings() -> dict[str, Any]:
    """Everything the console's JavaScript shows, in the page's language."""
    return {
        "deriving": _("Checking your password (this takes about a second)…"),
        "signing_in": _("Signing in…"),
        "unlocking": _("Unlocking your keys…"),
        "loading": _("Loading…"),
        "decrypting": _("Decrypting in your browser…"),
        "saving": _("Encrypting and saving…"),
        "saved_reply": _("Your reply was encrypted and sent to the reporter."),
        "saved_note": _("Your note was encrypted and saved."),
        "saved_status": _("The status was changed."),
        "saved_grant": _("The case was shared."),
        "saved_password": _(
            "Your password was changed. Sign in with the new password and the next code "
            "from your authenticator app."
        ),
        "signed_out": _("You are signed out."),
        "idle_signed_out": _(
            "You were signed out after %(minutes)s minutes without activity: your keys and "
            "the decrypted cases were cleared from this tab.",
            minutes="{minutes}",
        ),
        "error_generic": _("Something went wrong. Please try again."),
        "error_network": _("The hotline could not be reached. Check your connection."),
        "error_recovery": _("Unknown username or wrong recovery key."),
        "error_code_needed": _("Enter the 6-digit code from your authenticator app."),
        "error_code_format": _("The code has 6 digits."),
        "error_passwords_differ": _("The two new passwords are not the same."),
        "error_password_short": _("The new password must be at least 12 characters."),
        "error_recovery_format": _("That recovery key is not valid. Check it and try again."),
        "error_keys": _("Your keys could not be unlocked. Please sign in again."),
        "error_decrypt": _("This could not be decrypted with your key."),
        "error_excluded": _(
            "The reporter excluded this person from the case. They cannot receive it."
        ),
        "error_outcome": _("Choose an outcome to close the case."),
        "error_empty": _("Please write something first."),
        "error_no_colleague": _("Choose a colleague."),
        "none": _("None"),
        "no_cases": _("No cases match."),
        "no_messages": _("No messages yet."),
        "no_notes": _("No notes yet."),
        "no_files": _("No files."),
        "no_colleagues": _("No other colleague can receive this case."),
        "overdue": _("Overdue"),
        "on_time": _("On time"),
        "closed_no_deadline": _("None (closed)"),
        "reporter": _("Reporter"),
        "handler": _("Handler"),
        "system": _("System"),
        "held": _("held back until escalation"),
        "routing_internal": _("Internal desks"),
        "routing_external": _("External ombudsperson only (chosen by the reporter)"),
        "routing_executive": _("An executive is involved (audit committee included)"),
        "stripped": _("hidden details removed"),
        "metadata_warning": _("may contain identifying metadata"),
        "download": _("Download"),
        "page_of": _("Showing %(shown)s of %(total)s cases", shown="{shown}", total="{total}"),
        "days": _("%(days)s days", days="{days}"),
        "signed_in_as": _("Signed in as %(name)s", name="{name}"),
        "bytes_kb": _("%(kb)s KB", kb="{kb}"),
        "actions": {
            "view": _("Viewed"),
            "export": _("Exported"),
            "status": _("Status changed"),
            "reply": _("Replied to the reporter"),
            "note": _("Wrote a note"),
            "grant": _("Shared the case"),
            "file": _("Downloaded a file"),
            "escalated": _("Escalated"),
            "login": _("Signed in"),
        },
    }


def _page_context() -> dict[str, Any]:
    session = db.session()
    japanese = str(get_locale() or "en").startswith("ja")
    categories = {
        c.slug: c.label_ja if japanese else c.label_en for c in routing.categories(session)
    }
    desks = {
        d.slug: d.name_ja if japanese else d.name_en
        for d in session.scalars(select(Desk).order_by(Desk.id))
    }
    strings = _page_strings()
    strings["categories"] = categories
    strings["desks"] = desks
    words = vocabulary.browser(_)
    return {
        "categories": categories,
        "channels": words["channel"],
        "statuses": {s: words["status"][s] for s in words["status_order"]},
        "outcomes": {o: words["outcome"][o] for o in words["outcome_order"]},
        "strings": strings,
    }


def make_handler_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("handler", __name__)
    page_limit = limiter.limit(lambda: configured("PAGE_RATE_LIMIT"))
    # One budget per client across every sign-in step (parameters, login, enrolment,
    # recovery, password change), on top of the growing delay per username and client.
    login_limit = limiter.shared_limit(lambda: configured("LOGIN_RATE_LIMIT"), scope="login")

    # -- pages ---------------------------------------------------------------------------

    @bp.get("/console")
    @page_limit
    @handler_session.login_required
    def console_page() -> str:
        return render_template("handler/console.html", **_page_context())

    @bp.get("/console/login")
    @page_limit
    def login_page() -> str:
        return render_template("handler/console.html", **_page_context())

    # -- signing in ----------------------------------------------------------------------

    @bp.post("/handler/api/login/parameters")
    @login_limit
    def login_parameters() -> Response:
        payload = json_object(("username",))
        params = handler_auth.login_parameters(db.session(), service_context(), _username(payload))
        return jsonify(salt=b64(params.salt), ops=params.ops, mem_bytes=params.mem_bytes)

    @bp.post("/handler/api/login")
    @login_limit
    def login() -> Response:
        payload = json_object(("username", "auth"), ("code",))
        username = _username(payload)
        auth = b64_field(payload, "auth", exact=32)
        code = _code(payload, required=False)
        keys = _throttled(
            username,
            lambda: handler_auth.sign_in(
                db.session(), service_context(), _store(), username, auth, code or None
            ),
        )
        return _signed_in(keys)

    @bp.post("/handler/api/login/enrol/start")
    @login_limit
    def enrol_start() -> Response:
        payload = json_object(("username", "auth"))
        username = _username(payload)
        auth = b64_field(payload, "auth", exact=32)
        enrolment = _throttled(
            username,
            lambda: handler_auth.start_enrolment(db.session(), service_context(), username, auth),
        )
        return jsonify(secret=enrolment.secret, qr_svg=enrolment.qr_svg)

    @bp.post("/handler/api/login/enrol/finish")
    @login_limit
    def enrol_finish() -> Response:
        payload = json_object(("username", "auth", "secret", "code"))
        username = _username(payload)
        auth = b64_field(payload, "auth", exact=32)
        secret = string_field(payload, "secret", 64)
        code = _code(payload)
        keys = _throttled(
            username,
            lambda: handler_auth.finish_enrolment(
                db.session(), service_context(), _store(), username, auth, secret, code
            ),
        )
        return _signed_in(keys)

    @bp.post("/handler/api/logout")
    def logout() -> Response:
        json_object(())
        handler_id = handler_session.current_handler_id()
        if handler_id is not None:
            session = db.session()
            audit.append(session, handler_id, "logout")
            session.commit()
        _keeping_language(handler_session.sign_out)
        return jsonify(signed_out=True)

    @bp.post("/handler/api/recovery/material")
    @login_limit
    def recovery_material() -> Response:
        payload = json_object(("username", "recovery_proof"))
        username = _username(payload)
        proof = b64_field(payload, "recovery_proof", exact=_RECOVERY_PROOF_BYTES)
        wrapped = _throttled(
            username,
            lambda: handler_auth.recovery_material(
                db.session(), service_context(), username, proof
            ),
        )
        params = service_context().keyring.password_params
        return jsonify(
            recovery_wrapped_private=b64(wrapped),
            argon2={"ops": params.ops, "mem_bytes": params.mem_bytes},
        )

    @bp.post("/handler/api/password")
    @login_limit
    def password() -> Response:
        payload = json_object(
            ("proof_kind", "username", "proof", "code", "salt", "auth", "wrapped_private")
        )
        username = _username(payload)
        kind = string_field(payload, "proof_kind", 16)
        proof = b64_field(payload, "proof", exact=32)
        code = _code(payload)
        salt = b64_field(payload, "salt", exact=16)
        new_auth = b64_field(payload, "auth", exact=32)
        wrapped = b64_field(payload, "wrapped_private", maximum=_WRAPPED_PRIVATE_MAX)
        _throttled(
            username,
            lambda: handler_auth.set_password(
                db.session(),
                service_context(),
                _store(),
                username,
                kind,
                proof,
                code,
                salt,
                new_auth,
                wrapped,
            ),
        )
        # A changed password ends every session: sign in again with the new one.
        _keeping_language(handler_session.sign_out)
        return jsonify(changed=True)

    # -- signed-in API -------------------------------------------------------------------

    @bp.get("/handler/api/cases")
    @handler_session.login_required
    def cases() -> Response:
        filters, cursor, limit = _filters()
        page = console.list_cases(db.session(), _me(), filters, cursor, limit)
        return jsonify(
            cases=[
                {
                    "case_id": row.case_id,
                    "category": row.category,
                    "channel": row.channel,
                    "status": row.status,
                    "received_on": row.received_on.isoformat(),
                    "next_deadline": _day(row.next_deadline),
                    "days_open": row.days_open,
                    "overdue": row.overdue,
                }
                for row in page.rows
            ],
            next_cursor=page.next_cursor,
            total=page.total,
        )

    @bp.get("/handler/api/cases/<case_id>")
    @handler_session.login_required
    def case_bundle(case_id: str) -> Response:
        session = db.session()
        bundle = console.open_bundle(session, _me(), case_id[:32])
        rows = session.execute(select(Handler.id, Handler.display_name))
        names = {handler_id: name for handler_id, name in rows}
        return jsonify(_bundle_json(bundle, names))

    @bp.post("/handler/api/cases/<case_id>/status")
    @handler_session.login_required
    def case_status(case_id: str) -> Response:
        payload = json_object(("status",), ("outcome",))
        status = string_field(payload, "status", 20)
        outcome = payload.get("outcome")
        if outcome is not None and (not isinstance(outcome, str) or len(outcome) > 40):
            raise InvalidInput("outcome must be text", field="outcome")
        change = workflow.change_status(
            db.session(), service_context(), _me(), case_id[:32], status, outcome or None
        )
        return jsonify(
            case_id=change.case_id,
            status=change.status,
            outcome=change.outcome,
            next_deadline=_day(change.next_deadline),
        )

    @bp.post("/handler/api/cases/<case_id>/replies")
    @handler_session.login_required
    def case_reply(case_id: str) -> tuple[Response, int]:
        payload = json_object(("sealed_body",))
        body = b64_field(payload, "sealed_body", maximum=workflow.MAX_SEALED_BYTES)
        workflow.add_reply(db.session(), _me(), case_id[:32], body)
        return jsonify(stored=True), 201

    @bp.post("/handler/api/cases/<case_id>/notes")
    @handler_session.login_required
    def case_note(case_id: str) -> tuple[Response, int]:
        payload = json_object(("sealed_body",))
        body = b64_field(payload, "sealed_body", maximum=workflow.MAX_SEALED_BYTES)
        workflow.add_note(db.session(), _me(), case_id[:32], body)
        return jsonify(stored=True), 201

    @bp.get("/handler/api/cases/<case_id>/attachments/<attachment_id>")
    @handler_session.login_required
    def case_attachment(case_id: str, attachment_id: str) -> Response:
        session = db.session()
        handler_id = _me()
        case = workflow.require_grant(session, handler_id, case_id[:32])
        item = session.scalar(
            select(Attachment).where(
                Attachment.case_id == case.id, Attachment.id == attachment_id[:64]
            )
        )
        if item is None:
            raise NotFound("no such file on this case", field="attachment")
        audit.append(session, handler_id, "file", case.id, item.id)
        session.commit()
        return Response(
            stream_with_context(attachments.ciphertext_chunks(_blobs(), item)),
            mimetype="application/octet-stream",
            headers={"Content-Disposition": "attachment"},
        )

    @bp.get("/handler/api/handlers/directory")
    @handler_session.login_required
    def directory() -> Response:
        rows = db.session().scalars(
            select(Handler)
            .where(
                Handler.active.is_(True),
                Handler.is_admin.is_(False),
                Handler.desk_id.is_not(None),
            )
            .order_by(Handler.display_name, Handler.id)
        )
        return jsonify(
            handlers=[
                {
                    "id": h.id,
                    "display_name": h.display_name,
                    "role": h.role,
                    "desk": h.desk.slug if h.desk else "",
                    "x25519": b64(h.x25519_public),
                    "mlkem": b64(h.mlkem_public),
                }
                for h in rows
            ]
        )

    @bp.post("/handler/api/cases/<case_id>/grants")
    @handler_session.login_required
    def case_grant(case_id: str) -> tuple[Response, int]:
        payload = json_object(("handler_id", "sealed_keys"))
        target = id_field(payload, "handler_id")
        sealed = b64_field(payload, "sealed_keys", exact=GRANT_BYTES)
        workflow.grant(db.session(), service_context(), _me(), case_id[:32], target, sealed)
        return jsonify(granted=True), 201

    return bp
