"""The handler console's page and its sign-in steps: login proof and TOTP code, enrolment,
recovery with the recovery key, password change and sign-out.

The server only ever sees login proofs, TOTP codes, ciphertext and public keys. Private
keys, case keys and plaintext exist only in the handler's browser tab, in memory: a reload
means signing in again (the console's strings are in `handler/_console_strings.html`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, render_template
from flask import session as cookie_session
from flask_babel import get_locale
from flask_babel import gettext as _babel_gettext
from flask_limiter import Limiter

from hotline import db, vocabulary, wiring
from hotline.app_services import service_context
from hotline.kv import ExpiringStore
from hotline.limits import client_key
from hotline.services import console, handler_auth, routing, signin_budget
from hotline.services.errors import InvalidInput
from hotline.services.throttle import ReceiptThrottle
from hotline.views import handler_json, handler_session
from hotline.views.json_input import b64, b64_field, json_object, string_field

T = TypeVar("T")

# A TOTP code field is short; anything longer is refused before any work.
_CODE_MAX = 16
_RECOVERY_PROOF_BYTES = 32
_WRAPPED_PRIVATE_MAX = 400


def _(text: str, **values: str) -> str:
    return str(_babel_gettext(text, **values))


def _login_throttle() -> ReceiptThrottle:
    throttle: ReceiptThrottle = wiring.services().login_throttle
    return throttle


def _store() -> ExpiringStore:
    store: ExpiringStore = wiring.services().kv
    return store


def _throttled(username: str, attempt: Callable[[], T]) -> T:
    """Refuse while a growing delay runs; wrong passwords, codes or recovery keys count,
    for the account from anywhere and for the account from this client."""
    budget = signin_budget.budget(_login_throttle(), service_context().keyring.pepper)
    return budget.attempt(username, client_key(), attempt)


def _username(payload: dict[str, Any]) -> str:
    return string_field(payload, "username", 64).strip().lower()


def _code(payload: dict[str, Any], required: bool = True) -> str:
    value = payload.get("code", "")
    if not isinstance(value, str) or len(value) > _CODE_MAX or (required and not value):
        raise InvalidInput("code must be the 6-digit code from your authenticator", field="code")
    return value


def _keeping_language(change: Callable[[], None]) -> None:
    """Signing in or out clears the session; the chosen page language survives it."""
    lang = cookie_session.get("lang")
    change()
    if lang is not None:
        cookie_session["lang"] = lang


def _signed_in(keys: handler_auth.KeyMaterial) -> Response:
    _keeping_language(
        lambda: handler_session.sign_in(keys.handler_id, keys.is_admin, keys.session_epoch)
    )
    return jsonify(handler_json.key_material(keys, service_context().keyring.password_params))


def _page_context() -> dict[str, Any]:
    session = db.session()
    japanese = str(get_locale() or "en").startswith("ja")
    categories = {
        c.slug: c.label_ja if japanese else c.label_en for c in routing.categories(session)
    }
    words = vocabulary.browser(_)
    return {
        "categories": categories,
        "desks": console.desk_names(session, japanese),
        "channels": words["channel"],
        "statuses": {s: words["status"][s] for s in words["status_order"]},
        "outcomes": {o: words["outcome"][o] for o in words["outcome_order"]},
    }


def make_handler_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("handler", __name__)
    page_limit = limiter.limit(lambda: wiring.settings().page_rate_limit)
    # One budget per client across every sign-in step (parameters, login, enrolment,
    # recovery, password change), on top of the growing delays per account and per
    # account and client (services/signin_budget.py).
    login_limit = limiter.shared_limit(lambda: wiring.settings().login_rate_limit, scope="login")

    @bp.get("/console")
    @page_limit
    @handler_session.login_required
    def console_page() -> str:
        return render_template("handler/console.html", **_page_context())

    @bp.get("/console/login")
    @page_limit
    def login_page() -> str:
        return render_template("handler/console.html", **_page_context())

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
        # No secret here: the server issued it at the start and kept it.
        payload = json_object(("username", "auth", "code"))
        username = _username(payload)
        auth = b64_field(payload, "auth", exact=32)
        code = _code(payload)
        keys = _throttled(
            username,
            lambda: handler_auth.finish_enrolment(
                db.session(), service_context(), _store(), username, auth, code
            ),
        )
        return _signed_in(keys)

    @bp.post("/handler/api/logout")
    def logout() -> Response:
        json_object(())
        handler_id = handler_session.current_handler_id()
        if handler_id is not None:
            handler_auth.sign_out(db.session(), handler_id)
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
        return jsonify(
            recovery_wrapped_private=b64(wrapped),
            argon2=handler_json.argon2(service_context().keyring.password_params),
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

    return bp
