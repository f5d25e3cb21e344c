"""Encrypting case content under the case key (or the notes key), padded to buckets.

Each kind of content has its own purpose label bound as associated data, so a message
cannot be passed off as the report, nor a reporter's copy of the key as a note.
"""

from __future__ import annotations

import json
from typing import Any

from crypto.errors import DecryptionError
from crypto.padding import pad, unpad
from crypto.primitives import open_sealed, seal

REPORT = "hotline:report:v1"
MESSAGE = "hotline:message:v1"
NOTE = "hotline:note:v1"
REPORTER_KEY = "hotline:reporter-case-key:v1"
FILE_KEY = "hotline:file-key:v1"
ATTACHMENT_META = "hotline:attachment-meta:v1"


def seal_document(key: bytes, document: dict[str, Any], purpose: str) -> bytes:
    raw = json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    )
    return seal(key, pad(raw.encode("utf-8")), purpose)


def open_document(key: bytes, sealed: bytes, purpose: str) -> dict[str, Any]:
    raw = unpad(open_sealed(key, sealed, purpose))
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecryptionError("decrypted content is not a document") from exc
    if not isinstance(document, dict):
        raise DecryptionError("decrypted content is not a document")
    return document


def seal_text(key: bytes, text: str, purpose: str) -> bytes:
    return seal(key, pad(text.encode("utf-8")), purpose)


def open_text(key: bytes, sealed: bytes, purpose: str) -> str:
    try:
        return unpad(open_sealed(key, sealed, purpose)).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecryptionError("decrypted content is not text") from exc


def wrap_case_key_for_reporter(case_key: bytes, wrap_key: bytes) -> bytes:
    return seal(wrap_key, case_key, REPORTER_KEY)


def unwrap_case_key_for_reporter(wrapped: bytes, wrap_key: bytes) -> bytes:
    return open_sealed(wrap_key, wrapped, REPORTER_KEY)
