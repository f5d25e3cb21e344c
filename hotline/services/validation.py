"""Checks shared by every channel, so each adapter gets the same rules and messages."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from hotline.services.errors import InvalidInput
from hotline.vocabulary import REPORT_FIELDS, REQUIRED_FIELDS

LANGUAGES = ("en", "ja")


def clean_text(value: object, field: str, max_chars: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from a JSON "\ud800" escape
        raise InvalidInput(f"{field} is not valid text", field=field) from exc
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise InvalidInput(f"{field} contains control characters", field=field)
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", field=field, reason="required")
    if len(text) > max_chars:
        raise InvalidInput(
            f"{field} is longer than {max_chars} characters", field=field, reason="too_long"
        )
    return text


def report_fields(fields: Mapping[str, object], max_chars: int) -> dict[str, str]:
    unknown = sorted(set(fields) - set(REPORT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field: {unknown[0]}", field=unknown[0])
    cleaned: dict[str, str] = {}
    for name in REPORT_FIELDS:
        required = name in REQUIRED_FIELDS
        if name not in fields:
            if required:
                raise InvalidInput(f"{name} is required", field=name, reason="required")
            continue
        text = clean_text(fields[name], name, max_chars, required=required)
        if text:
            cleaned[name] = text
    return cleaned


def language(value: object) -> str:
    if value not in LANGUAGES:
        raise InvalidInput("language must be 'en' or 'ja'", field="language")
    return str(value)
