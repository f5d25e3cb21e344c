"""Every error becomes a clear message: JSON for the API, a short page for people.

No stack trace, no echo of the input, ever.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from hotline import vocabulary
from hotline.services.errors import (
    Conflict,
    ImagesBusy,
    InvalidCredentials,
    KeysNotVerified,
    NoRecipients,
    NoSuchCase,
    NotFound,
    NotGranted,
    ReceiptNotFound,
    ServiceError,
    TooLarge,
    UnreadableFile,
)
from hotline.services.handler_auth import EnrolmentRequired
from hotline.services.throttle import Throttled

log = logging.getLogger("hotline.errors")

_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "You are not allowed to do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request is too large.",
    415: "Send JSON with Content-Type: application/json.",
    429: vocabulary.ERROR_MESSAGES["rate_limited"],
    500: "Something went wrong on our side. Nothing you sent was stored in readable form.",
    503: "The service is not available right now. Please try again later.",
}
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ status }} · Hotline</title></head>
<body><main><h1>{{ status }}</h1><p>{{ message }}</p><p><a href="/">Back to the start</a></p>
</main></body></html>"""


class EdgeError(ServiceError):
    """A refusal decided at the web edge itself (sign-in, media type, channel token): it
    carries its HTTP status. Errors from services carry none; `_STATUS` maps them."""

    status = 400


# Domain errors by class (the nearest listed ancestor wins); anything else is a 400.
_STATUS: dict[type[ServiceError], int] = {
    InvalidCredentials: 401,
    NotGranted: 403,
    NoSuchCase: 404,  # listed before its base: the nearest listed ancestor wins
    EnrolmentRequired: 403,
    NotFound: 404,
    ReceiptNotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Throttled: 429,
    NoRecipients: 503,
    ImagesBusy: 503,
    KeysNotVerified: 503,
    UnreadableFile: 500,  # our stored copy is damaged: not the person's doing
}


def status_of(error: ServiceError) -> int:
    if isinstance(error, EdgeError):
        return error.status
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/handler/api/", "/admin/api/"))


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    if wants_json():
        payload: dict[str, object] = {"error": code, "message": message}
        if field:
            payload["field"] = field
        response = jsonify(payload)
    else:
        response = Response(
            render_template_string(_PAGE, status=status, message=message), mimetype="text/html"
        )
    response.status_code = status
    return response


def service_error_response(error: ServiceError) -> Response:
    response = error_response(status_of(error), error.code, error.message, error.field)
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> Response:
        return service_error_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        message = _MESSAGES.get(status, error.name or "Error")
        if status == 429:
            log.info("rate_limited", extra={"endpoint": request.endpoint or ""})
            code = "rate_limited"
        response = error_response(status, code, message)
        if status == 429 and error.get_response().headers.get("Retry-After"):
            response.headers["Retry-After"] = error.get_response().headers["Retry-After"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.error("unhandled", exc_info=error, extra={"endpoint": request.endpoint or ""})
        return error_response(500, "internal_error", _MESSAGES[500])
