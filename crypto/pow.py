"""A small proof of work on web submissions, bound to the submission it pays for.

The browser first hashes the submission's sealed fields under the challenge
(`submission_digest`), then finds an 8-byte big-endian counter such that keyed
BLAKE2b(challenge, label, digest, counter) starts with `bits` zero bits. The challenge is 32
random bytes issued by the server, single use. The server checks the proof (sent in a header)
before it reads the body, and after parsing the body checks that its digest is the one solved
for, so a proof solved for one submission pays for no other.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from crypto.primitives import keyed_hash

LABEL = "hotline:pow:v2"
SUBMISSION_LABEL = "hotline:pow:submission:v1"
NONCE_BYTES = 8
DIGEST_BYTES = 32


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        count += 8 - byte.bit_length()
        break
    return count


def submission_digest(challenge: bytes, fields: Iterable[bytes]) -> bytes:
    """What the proof is bound to: the submission's sealed fields, in the order sent."""
    return keyed_hash(challenge, SUBMISSION_LABEL, *fields)


def check(challenge: bytes, digest: bytes, nonce: bytes, bits: int) -> bool:
    if len(challenge) != 32 or len(digest) != DIGEST_BYTES or len(nonce) != NONCE_BYTES:
        return False
    return leading_zero_bits(keyed_hash(challenge, LABEL, digest, nonce)) >= bits


def solve(challenge: bytes, digest: bytes, bits: int, limit: int = 1 << 32) -> bytes:
    """Reference solver (tests, bench clients); browsers run the JavaScript twin."""
    for counter in range(limit):
        nonce = counter.to_bytes(NONCE_BYTES, "big")
        if check(challenge, digest, nonce, bits):
            return nonce
    raise ValueError("no solution within the limit")


HEADER = "X-Hotline-Pow"


def wire_fields(payload: Mapping[str, Any]) -> list[bytes]:
    """The fields of a browser-sealed report (its JSON form, already validated) the proof is
    bound to, in order: category, language, sealed report, lookup tag, reporter's wrapped key,
    each grant, each attachment's sealed key and description. web/js/reporter/report.js
    builds the same list."""
    fields = [
        str(payload["category"]).encode("utf-8"),
        str(payload["language"]).encode("utf-8"),
        *(base64.b64decode(payload[k]) for k in ("sealed_report", "lookup_tag")),
        base64.b64decode(payload["reporter_wrapped_key"]),
    ]
    fields += [base64.b64decode(g["sealed_keys"]) for g in payload["grants"]]
    for f in payload.get("attachments", []):
        fields += [base64.b64decode(f["sealed_file_key"]), base64.b64decode(f["sealed_meta"])]
    return fields


def header_value(challenge: bytes, digest: bytes, nonce: bytes) -> str:
    """The header a submission carries its proof in: `challenge.digest.nonce`, base64 each."""
    return ".".join(base64.b64encode(x).decode("ascii") for x in (challenge, digest, nonce))


def solve_header(challenge: bytes, payload: Mapping[str, Any], bits: int) -> str:
    """Bind, solve and format in one step (bench clients and tests)."""
    digest = submission_digest(challenge, wire_fields(payload))
    return header_value(challenge, digest, solve(challenge, digest, bits))
