"""Encrypting case content under the case key (or the notes key), padded to buckets.

Each kind of content has its own purpose label, and everything that belongs to a case is
also bound to where it belongs (associated data, see `crypto.primitives.associated_data`):

- the report, each file key and each file description: the case id;
- each message and each note: the case id, its author (`reporter` or `handler:<id>`) and its
  sequence number on the case (messages and notes count separately, from 0).

So a database writer who moves a row to another case, relabels its author or reorders two
rows makes it fail to open; the reader sees a placeholder, never the moved text.
The case id is chosen before anything is sealed (by the reporter's browser, or by the
server on the server-sealed channels), so both sides know it when they seal.
"""

from __future__ import annotations

import json
import re
from typing import Any

from crypto.errors import CryptoError, DecryptionError
from crypto.padding import pad, unpad
from crypto.primitives import open_sealed, random_bytes, seal

REPORT = "hotline:report:v2"
MESSAGE = "hotline:message:v2"
NOTE = "hotline:note:v2"
REPORTER_KEY = "hotline:reporter-case-key:v1"
FILE_KEY = "hotline:file-key:v2"
ATTACHMENT_META = "hotline:attachment-meta:v2"

REPORTER = "reporter"
CASE_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, read aloud easily
CASE_ID_LENGTH = 13
_CASE_ID = re.compile(r"HL-[0-9A-HJKMNP-TV-Z]{10}")
_AUTHOR = re.compile(r"reporter|handler:[1-9][0-9]{0,17}")


def new_case_id() -> str:
    """A random public case id, `HL-` and 10 Crockford base32 characters (50 bits)."""
    return "HL-" + "".join(CASE_ID_ALPHABET[b & 31] for b in random_bytes(10))


def is_case_id(value: object) -> bool:
    return isinstance(value, str) and _CASE_ID.fullmatch(value) is not None


def handler_author(handler_id: int) -> str:
    return f"handler:{handler_id}"


def case_context(case_id: str) -> tuple[bytes]:
    if not is_case_id(case_id):
        raise CryptoError("not a case id")
    return (case_id.encode("ascii"),)


def entry_context(case_id: str, author: str, seq: int) -> tuple[bytes, bytes, bytes]:
    """A message's or note's place: its case, its author and its sequence number."""
    if not _AUTHOR.fullmatch(author):
        raise CryptoError("author is 'reporter' or 'handler:<id>'")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**31:
        raise CryptoError("sequence number out of range")
    return (*case_context(case_id), author.encode("ascii"), str(seq).encode("ascii"))


def seal_document(key: bytes, document: dict[str, Any], purpose: str, *context: bytes) -> bytes:
    raw = json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    )
    return seal(key, pad(raw.encode("utf-8")), purpose, *context)


def open_document(key: bytes, sealed: bytes, purpose: str, *context: bytes) -> dict[str, Any]:
    raw = unpad(open_sealed(key, sealed, purpose, *context))
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecryptionError("decrypted content is not a document") from exc
    if not isinstance(document, dict):
        raise DecryptionError("decrypted content is not a document")
    return document


def seal_text(key: bytes, text: str, purpose: str, *context: bytes) -> bytes:
    return seal(key, pad(text.encode("utf-8")), purpose, *context)


def open_text(key: bytes, sealed: bytes, purpose: str, *context: bytes) -> str:
    try:
        return unpad(open_sealed(key, sealed, purpose, *context)).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecryptionError("decrypted content is not text") from exc


def seal_report(case_key: bytes, document: dict[str, Any], case_id: str) -> bytes:
    return seal_document(case_key, document, REPORT, *case_context(case_id))


def open_report(case_key: bytes, sealed: bytes, case_id: str) -> dict[str, Any]:
    return open_document(case_key, sealed, REPORT, *case_context(case_id))


def seal_message(case_key: bytes, text: str, case_id: str, author: str, seq: int) -> bytes:
    return seal_text(case_key, text, MESSAGE, *entry_context(case_id, author, seq))


def open_message(case_key: bytes, sealed: bytes, case_id: str, author: str, seq: int) -> str:
    return open_text(case_key, sealed, MESSAGE, *entry_context(case_id, author, seq))


def seal_note(notes_key: bytes, text: str, case_id: str, handler_id: int, seq: int) -> bytes:
    return seal_text(
        notes_key, text, NOTE, *entry_context(case_id, handler_author(handler_id), seq)
    )


def open_note(notes_key: bytes, sealed: bytes, case_id: str, handler_id: int, seq: int) -> str:
    context = entry_context(case_id, handler_author(handler_id), seq)
    return open_text(notes_key, sealed, NOTE, *context)


def seal_attachment_meta(case_key: bytes, meta: dict[str, Any], case_id: str) -> bytes:
    return seal_document(case_key, meta, ATTACHMENT_META, *case_context(case_id))


def open_attachment_meta(case_key: bytes, sealed: bytes, case_id: str) -> dict[str, Any]:
    return open_document(case_key, sealed, ATTACHMENT_META, *case_context(case_id))


def wrap_case_key_for_reporter(case_key: bytes, wrap_key: bytes) -> bytes:
    return seal(wrap_key, case_key, REPORTER_KEY)


def unwrap_case_key_for_reporter(wrapped: bytes, wrap_key: bytes) -> bytes:
    return open_sealed(wrap_key, wrapped, REPORTER_KEY)
