"""Strict JSON parsing at the API edge: exact field sets, types and sizes, typed errors."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import request

from hotline.services.errors import InvalidInput, ServiceError


class UnsupportedMediaType(ServiceError):
    code = "unsupported_media_type"
    status = 415


class MalformedJson(ServiceError):
    code = "malformed_json"


def json_object(required: Collection[str], optional: Collection[str] = ()) -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send JSON with Content-Type: application/json")
    payload = request.get_json(silent=True)
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


def id_list_field(payload: dict[str, Any], name: str, max_items: int = 50) -> tuple[int, ...]:
    value = payload.get(name, [])
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidInput(f"{name} must be a list of handler ids", field=name)
    return tuple(value)
