"""JSON API. The channel endpoints serve the chat and SMS adapters, behind a bearer token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from flask_limiter import Limiter

from hotline import db, wiring
from hotline.app_services import service_context
from hotline.http_errors import EdgeError
from hotline.limits import global_budget
from hotline.models import Channel
from hotline.services import followup, intake, routing
from hotline.services.errors import InvalidInput
from hotline.views.json_input import bool_field, id_list_field, json_object, string_field
from hotline.views.receipt_guard import guarded
from hotline.vocabulary import REPORT_FIELDS, REQUIRED_FIELDS

F = TypeVar("F", bound=Callable[..., Any])

_REPORT_REQUIRED = ("category", "body", "channel", "language")
# The channel API's "body" is the report's first field; the others keep their names.
_OPTIONAL_FIELDS = tuple(name for name in REPORT_FIELDS if name not in REQUIRED_FIELDS)
_REPORT_OPTIONAL = (
    *_OPTIONAL_FIELDS,
    "external_only",
    "excluded_handlers",
    "idempotency_key",
    "involves_executive",
)


class ChannelAuthError(EdgeError):
    code = "unauthorized"
    status = 401


class ChannelApiDisabled(EdgeError):
    code = "channel_api_disabled"
    status = 503


def channel_token_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        expected = wiring.settings().channel_token
        if not expected:
            raise ChannelApiDisabled("the channel API is off: HOTLINE_CHANNEL_TOKEN is not set")
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            raise ChannelAuthError("a valid channel token is required")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def make_api_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    receipt_limits = [
        limiter.limit(lambda: wiring.settings().receipt_rate_limit),
        global_budget(
            limiter, lambda: wiring.settings().receipt_global_rate_limit, "receipt-global"
        ),
    ]
    report_limits = [
        limiter.limit(lambda: wiring.settings().report_rate_limit),
        global_budget(limiter, lambda: wiring.settings().report_global_rate_limit, "report-global"),
    ]

    def with_limits(limits: list[Any], view: F) -> F:
        for limit in reversed(limits):
            view = limit(view)
        return view

    @bp.get("/categories")
    @limiter.limit("120 per minute")
    def categories() -> Response:
        return jsonify(
            categories=[
                {"slug": c.slug, "labels": {"en": c.label_en, "ja": c.label_ja}}
                for c in routing.categories(db.session())
            ]
        )

    @channel_token_required
    def channel_report() -> tuple[Response, int]:
        payload = json_object(_REPORT_REQUIRED, _REPORT_OPTIONAL)
        channel_name = string_field(payload, "channel", 8)
        if channel_name not in {c.value for c in Channel}:
            raise InvalidInput("channel must be web, chat or sms", field="channel")
        idem = payload.get("idempotency_key", request.headers.get("Idempotency-Key"))
        fields = {"what_happened": payload["body"]}
        fields.update({k: payload[k] for k in _OPTIONAL_FIELDS if k in payload})
        result = intake.submit(
            db.session(),
            service_context(),
            intake.IntakeRequest(
                category=string_field(payload, "category", 40),
                channel=Channel(channel_name),
                language=string_field(payload, "language", 8),
                fields=fields,
                external_only=bool_field(payload, "external_only"),
                excluded_handler_ids=id_list_field(payload, "excluded_handlers"),
                idempotency_key=idem,
                involves_executive=bool_field(payload, "involves_executive"),
            ),
        )
        body = {
            "case_id": result.case_id,
            "receipt": result.receipt,
            "acknowledge_by": result.acknowledge_by.isoformat(),
        }
        return jsonify(body), 200 if result.replayed else 201

    @channel_token_required
    def channel_followup() -> Response:
        payload = json_object(("receipt",))
        receipt = string_field(payload, "receipt", 64)
        case = guarded(lambda: followup.open_case(db.session(), service_context(), receipt))
        fields = case.report.get("fields")
        return jsonify(
            case_id=case.case_id,
            category=case.category,
            # The reporter's own report, so a channel can show both sides of the case.
            report=fields if isinstance(fields, dict) else {},
            status=case.status,
            outcome=case.outcome,
            acknowledge_by=case.acknowledge_by.isoformat(),
            feedback_by=case.feedback_by.isoformat(),
            messages=[
                {
                    "author": m.author,
                    "body": m.body if m.readable else None,
                    "readable": m.readable,
                    "date": m.sent_on.isoformat(),
                }
                for m in case.messages
            ],
        )

    @channel_token_required
    def channel_followup_message() -> tuple[Response, int]:
        payload = json_object(("receipt", "body"))
        receipt = string_field(payload, "receipt", 64)
        case_id = guarded(
            lambda: followup.add_message(db.session(), service_context(), receipt, payload["body"])
        )
        return jsonify(case_id=case_id, stored=True), 201

    bp.add_url_rule(
        "/channel/reports", view_func=with_limits(report_limits, channel_report), methods=["POST"]
    )
    bp.add_url_rule(
        "/channel/followup",
        view_func=with_limits(receipt_limits, channel_followup),
        methods=["POST"],
    )
    bp.add_url_rule(
        "/channel/followup/messages",
        view_func=with_limits(receipt_limits, channel_followup_message),
        methods=["POST"],
    )
    return bp
