"""Strict JSON parsing at the API edge: exact field sets, types and sizes, typed errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from typing import Any

from flask import request

from hotline.http_errors import EdgeError
from hotline.services.errors import InvalidInput, ServiceError


class UnsupportedMediaType(EdgeError):
    code = "unsupported_media_type"
    status = 415


class MalformedJson(ServiceError):
    code = "malformed_json"


def json_object(
    required: Collection[str], optional: Collection[str] = (), form_field: str | None = None
) -> dict[str, Any]:
    """The request's JSON object; with form_field, multipart requests carry it in that part."""
    if form_field and request.mimetype == "multipart/form-data":
        try:
            payload = json.loads(request.form.get(form_field, ""))
        except ValueError:
            payload = None
    elif request.mimetype != "application/json":
        raise UnsupportedMediaType("send JSON with Content-Type: application/json")
    else:
        payload = request.get_json(silent=True)
    return check_object(payload, required, optional)


def check_object(
    payload: object, required: Collection[str], optional: Collection[str] = ()
) -> dict[str, Any]:
    if payload is None:
        raise MalformedJson("the request body is not valid JSON")
    if not isinstance(payload, dict):
        raise MalformedJson("the request body must be a JSON object")
    unknown = sorted(set(payload) - set(required) - set(optional))
    if unknown:
        raise InvalidInput(f"unknown field: {unknown[0]}", field=unknown[0])
    for name in required:
        if name not in payload:
            raise InvalidInput(f"{name} is required", field=name)
    return payload


def string_field(payload: dict[str, Any], name: str, max_chars: int = 200) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > max_chars:
        raise InvalidInput(f"{name} must be a non-empty string", field=name)
    return value


def bool_field(payload: dict[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


# Row ids are PostgreSQL `integer`s: a larger number is no id (and would fail in the database).
MAX_ROW_ID = 2**31 - 1


def id_field(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ROW_ID:
        raise InvalidInput(f"{name} must be a handler id", field=name)
    return value


def id_list_field(payload: dict[str, Any], name: str, max_items: int = 50) -> tuple[int, ...]:
    value = payload.get(name, [])
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ROW_ID for v in value
        )
    ):
        raise InvalidInput(f"{name} must be a list of handler ids", field=name)
    return tuple(value)


#: The longest id of each kind a URL may carry (the columns' widths): a case id is
#: "HL-" and 10 characters, an attachment id 32 hex digits.
CASE_ID_MAX = 16
ATTACHMENT_ID_MAX = 32


def path_id(value: str, name: str, max_chars: int) -> str:
    """An id taken from the URL: refused when longer than any id can be, never cut short
    (a cut id could name another row)."""
    if not value or len(value) > max_chars:
        raise InvalidInput(f"{name} is not a valid id: at most {max_chars} characters", field=name)
    return value


def b64_field(
    payload: dict[str, Any], name: str, exact: int | None = None, maximum: int = 512 * 1024
) -> bytes:
    value = payload.get(name)
    if not isinstance(value, str) or len(value) > maximum * 4 // 3 + 4:
        raise InvalidInput(f"{name} must be base64 text", field=name)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"{name} must be base64 text", field=name) from exc
    if (exact is not None and len(raw) != exact) or len(raw) > maximum:
        raise InvalidInput(f"{name} has the wrong size", field=name)
    return raw


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
