"""The handler console's case API: the case list, one case's sealed bundle, status changes,
replies, notes, the case's notes key, the colleague directory and grants to colleagues.

Everything here needs a signed-in handler. Content arrives and leaves sealed; each action
is checked, audited and committed by its service.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_limiter import Limiter

from hotline import db
from hotline.app_services import service_context
from hotline.services import console, notes_key, sequence, workflow
from hotline.services.errors import InvalidInput
from hotline.services.sealed_intake import GRANT_BYTES
from hotline.views import handler_json
from hotline.views.case_keys_input import notes_key_grants
from hotline.views.handler_session import login_required, signed_in_id
from hotline.views.json_input import (
    CASE_ID_MAX,
    b64_field,
    id_field,
    json_object,
    path_id,
    string_field,
)

_CURSOR_MAX = 64
_FILTER_MAX = 40


def _case_id(value: str) -> str:
    return path_id(value, "case_id", CASE_ID_MAX)


def _filters() -> tuple[console.Filters, str | None, int]:
    args = request.args
    try:
        limit = int(args.get("limit", "50"))
    except ValueError as exc:
        raise InvalidInput("limit must be a number", field="limit") from exc
    cursor = args.get("cursor") or None
    if cursor is not None and len(cursor) > _CURSOR_MAX:
        raise InvalidInput("bad page cursor", field="cursor")
    filters = console.Filters(
        status=args.get("status") or None,
        category=(args.get("category") or None),
        channel=(args.get("channel") or None),
        overdue_only=args.get("overdue", "") in ("1", "true", "on"),
    )
    for name in ("category", "channel"):
        value = getattr(filters, name)
        if value is not None and len(value) > _FILTER_MAX:
            raise InvalidInput(f"{name} is too long", field=name)
    return filters, cursor, limit


def _sealed_entry() -> tuple[bytes, int]:
    """A sealed reply or note and the sequence number it was sealed for."""
    payload = json_object(("sealed_body", "seq"))
    body = b64_field(payload, "sealed_body", maximum=workflow.MAX_SEALED_BYTES)
    return body, sequence.parse(payload["seq"])


def _case_now(case_id: str) -> dict[str, object]:
    """The case after the handler's action, for the console to show at once (the action's
    own audit entry covers it: no second "view")."""
    return handler_json.bundle(console.bundle_after_action(db.session(), signed_in_id(), case_id))


def make_handler_cases_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("handler_cases", __name__, url_prefix="/handler/api")

    @bp.get("/cases")
    @login_required
    def cases() -> Response:
        filters, cursor, limit = _filters()
        page = console.list_cases(db.session(), signed_in_id(), filters, cursor, limit)
        return jsonify(handler_json.case_page(page))

    @bp.get("/cases/<case_id>")
    @login_required
    def case_bundle(case_id: str) -> Response:
        bundle = console.open_bundle(db.session(), signed_in_id(), _case_id(case_id))
        return jsonify(handler_json.bundle(bundle))

    @bp.post("/cases/<case_id>/status")
    @login_required
    def case_status(case_id: str) -> Response:
        case_id = _case_id(case_id)
        payload = json_object(("status",), ("outcome",))
        status = string_field(payload, "status", 20)
        outcome = payload.get("outcome")
        if outcome is not None and (not isinstance(outcome, str) or len(outcome) > 40):
            raise InvalidInput("outcome must be text", field="outcome")
        change = workflow.change_status(
            db.session(), service_context(), signed_in_id(), case_id, status, outcome or None
        )
        return jsonify(**handler_json.status_change(change), case=_case_now(case_id))

    @bp.post("/cases/<case_id>/replies")
    @login_required
    def case_reply(case_id: str) -> tuple[Response, int]:
        case_id = _case_id(case_id)
        workflow.add_reply(
            db.session(), service_context(), signed_in_id(), case_id, *_sealed_entry()
        )
        return jsonify(stored=True, case=_case_now(case_id)), 201

    @bp.post("/cases/<case_id>/notes")
    @login_required
    def case_note(case_id: str) -> tuple[Response, int]:
        case_id = _case_id(case_id)
        workflow.add_note(db.session(), signed_in_id(), case_id, *_sealed_entry())
        return jsonify(stored=True, case=_case_now(case_id)), 201

    @bp.post("/cases/<case_id>/notes-key")
    @login_required
    def case_notes_key(case_id: str) -> tuple[Response, int]:
        """The first note's console made the case's notes key: one grant per holder."""
        case_id = _case_id(case_id)
        grants = notes_key_grants(json_object(("grants",))["grants"])
        notes_key.create(db.session(), service_context(), signed_in_id(), case_id, grants)
        return jsonify(stored=True), 201

    @bp.get("/handlers/directory")
    @login_required
    def directory() -> Response:
        return jsonify(handler_json.colleagues(console.colleagues(db.session())))

    @bp.post("/cases/<case_id>/grants")
    @login_required
    def case_grant(case_id: str) -> tuple[Response, int]:
        case_id = _case_id(case_id)
        payload = json_object(("handler_id", "sealed_keys"), ("sealed_notes_key",))
        target = id_field(payload, "handler_id")
        sealed = b64_field(payload, "sealed_keys", exact=GRANT_BYTES)
        notes = (
            b64_field(payload, "sealed_notes_key", exact=GRANT_BYTES)
            if payload.get("sealed_notes_key") is not None
            else None
        )
        workflow.grant(
            db.session(), service_context(), signed_in_id(), case_id, target, sealed, notes
        )
        return jsonify(granted=True, case=_case_now(case_id)), 201

    return bp
