"""The signed handler key directory: an append-only, hash-chained list of root-signed entries.

Entry n says: from day `valid_from`, handler `handler_id` of desk `desk` has these public
keys (status "active"), or has none any more (status "revoked"). It names the hash of
entry n-1 (32 zero bytes for entry 1) and carries the root's hybrid signature over

    frame(ENTRY_LABEL) | frame(sequence) | frame(handler id) | frame(desk) | frame(status)
    | frame(X25519 public) | frame(ML-KEM public) | frame(valid_from) | frame(previous hash)

(crypto/signing.py frames that once more under SIGN_LABEL). The entry's hash is BLAKE2b
over frame(HASH_LABEL) | frame(that message) | frame(signature), so the head (last
sequence and hash) commits to every entry and signature before it. A verifier recomputes
the chain from entry 1, checks every signature against the root public key it got from
configuration, and compares the head with one it saved earlier: a shorter chain is a
rollback, a different hash at the saved sequence a fork.

This module is pure: no database, no clock (callers pass today's date).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from crypto import signing
from crypto.errors import CryptoError
from crypto.handler_keys import MLKEM_PUBLIC_BYTES, X25519_BYTES, HandlerPublicKeys
from crypto.primitives import framed, plain_hash

ENTRY_LABEL = "hotline:key-directory:entry:v1"
SIGN_LABEL = "hotline:key-directory:sign:v1"
HASH_LABEL = "hotline:key-directory:hash:v1"
HASH_BYTES = 32
GENESIS_HASH = bytes(HASH_BYTES)
ACTIVE = "active"
REVOKED = "revoked"
STATUSES = (ACTIVE, REVOKED)
MAX_DESK_CHARS = 40


class DirectoryError(CryptoError):
    """The directory does not verify: a bad signature, a broken chain, a rollback or a fork."""


class KeyNotSigned(CryptoError):
    """A handler's keys have no valid signed entry (never signed, revoked, or substituted)."""


@dataclass(frozen=True)
class Head:
    sequence: int
    hash: bytes

    def text(self) -> str:
        return f"{self.sequence}:{self.hash.hex()}"

    @classmethod
    def parse(cls, text: str) -> Head:
        seq, _, digest = text.strip().partition(":")
        try:
            parsed = cls(int(seq), bytes.fromhex(digest))
        except ValueError as exc:
            raise CryptoError("a head is written SEQUENCE:HASH (64 hex digits)") from exc
        if parsed.sequence < 0 or len(parsed.hash) != HASH_BYTES:
            raise CryptoError("a head is written SEQUENCE:HASH (64 hex digits)")
        return parsed


GENESIS = Head(0, GENESIS_HASH)


@dataclass(frozen=True)
class EntryBody:
    """What the root signs."""

    sequence: int
    handler_id: int
    desk: str
    status: str
    x25519: bytes
    mlkem: bytes
    valid_from: date
    previous_hash: bytes

    def __post_init__(self) -> None:
        if self.sequence < 1 or self.handler_id < 1:
            raise CryptoError("entry sequence and handler id start at 1")
        if self.status not in STATUSES:
            raise CryptoError("entry status must be active or revoked")
        if len(self.x25519) != X25519_BYTES or len(self.mlkem) != MLKEM_PUBLIC_BYTES:
            raise CryptoError("entry public keys have the wrong size")
        if len(self.previous_hash) != HASH_BYTES:
            raise CryptoError("entry previous hash has the wrong size")
        if not self.desk or len(self.desk) > MAX_DESK_CHARS or not self.desk.isascii():
            raise CryptoError("entry desk must be 1-40 ASCII characters")

    def message(self) -> bytes:
        return framed(
            ENTRY_LABEL,
            self.sequence.to_bytes(8, "big"),
            self.handler_id.to_bytes(8, "big"),
            self.desk.encode("ascii"),
            self.status.encode("ascii"),
            self.x25519,
            self.mlkem,
            self.valid_from.isoformat().encode("ascii"),
            self.previous_hash,
        )

    @property
    def public(self) -> HandlerPublicKeys:
        return HandlerPublicKeys(self.x25519, self.mlkem)


@dataclass(frozen=True)
class Entry:
    body: EntryBody
    signature: bytes

    def hash(self) -> bytes:
        return plain_hash(HASH_LABEL, self.body.message(), self.signature)

    def head(self) -> Head:
        return Head(self.body.sequence, self.hash())

    def to_json(self) -> dict[str, Any]:
        b = self.body
        return {
            "sequence": b.sequence,
            "handler_id": b.handler_id,
            "desk": b.desk,
            "status": b.status,
            "x25519": _b64(b.x25519),
            "mlkem": _b64(b.mlkem),
            "valid_from": b.valid_from.isoformat(),
            "previous_hash": b.previous_hash.hex(),
            "signature": _b64(self.signature),
            "hash": self.hash().hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Entry:
        """Parse an entry; a stated `hash` must match the recomputed one."""
        if not isinstance(data, dict):
            raise CryptoError("an entry is a JSON object")
        try:
            body = EntryBody(
                sequence=_int(data["sequence"]),
                handler_id=_int(data["handler_id"]),
                desk=str(data["desk"]),
                status=str(data["status"]),
                x25519=_unb64(data["x25519"]),
                mlkem=_unb64(data["mlkem"]),
                valid_from=date.fromisoformat(str(data["valid_from"])),
                previous_hash=bytes.fromhex(str(data["previous_hash"])),
            )
            entry = cls(body, _unb64(data["signature"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise CryptoError(f"malformed entry: {exc}") from exc
        stated = data.get("hash")
        if stated is not None and stated != entry.hash().hex():
            raise DirectoryError(f"entry {body.sequence}: stated hash does not match its content")
        return entry


def sign_entry(root: signing.SigningPrivateKey, body: EntryBody) -> Entry:
    return Entry(body, signing.sign(root, SIGN_LABEL, body.message()))


def verify_entry_signature(root: signing.SigningPublicKey, entry: Entry) -> None:
    try:
        signing.verify(root, SIGN_LABEL, entry.body.message(), entry.signature)
    except signing.SignatureError as exc:
        raise DirectoryError(
            f"entry {entry.body.sequence}: the root signature does not verify"
        ) from exc


def verify_chain(
    entries: Sequence[Entry],
    root: signing.SigningPublicKey,
    expect_head: Head | None = None,
    known_good: set[bytes] | None = None,
    every_signature: bool = True,
) -> Head:
    """Check every entry from 1 in order; return the head. Raise DirectoryError otherwise.

    `known_good`: hashes of entries whose signatures this caller verified before under the
    same root (the hash covers the signed message and the signature), to skip re-verifying;
    newly verified hashes are added to it.

    `every_signature=False` checks every hash link but only the newest entry's signature:
    the root signed that entry's previous hash, which commits to every entry and signature
    before it, and the root only ever signs onto a chain it verified in full (`flask keys
    sign`). The browser uses this to stay fast on large directories.
    """
    previous = GENESIS
    last = len(entries)
    for index, entry in enumerate(entries, start=1):
        body = entry.body
        if body.sequence != index:
            raise DirectoryError(f"entry {index}: sequence {body.sequence} is out of order")
        if body.previous_hash != previous.hash:
            raise DirectoryError(f"entry {index}: the chain is broken (previous hash differs)")
        digest = entry.hash()
        check = every_signature or index == last
        if check and (known_good is None or digest not in known_good):
            verify_entry_signature(root, entry)
            if known_good is not None:
                known_good.add(digest)
        if expect_head is not None and index == expect_head.sequence and digest != expect_head.hash:
            raise DirectoryError(
                f"fork: entry {index} differs from the head saved earlier ({expect_head.text()})"
            )
        previous = Head(index, digest)
    if expect_head is not None and previous.sequence < expect_head.sequence:
        raise DirectoryError(
            f"rollback: the directory ends at entry {previous.sequence}, "
            f"but a head at entry {expect_head.sequence} was saved earlier"
        )
    return previous


def current_entries(entries: Iterable[Entry], today: date) -> dict[int, Entry]:
    """Each handler's newest entry already valid today (active or revoked)."""
    latest: dict[int, Entry] = {}
    for entry in entries:
        if entry.body.valid_from <= today:
            latest[entry.body.handler_id] = entry
    return latest


def check_keys(
    current: dict[int, Entry], handler_id: int, desk: str, public: HandlerPublicKeys
) -> Entry:
    """The entry vouching for exactly these keys of this handler on this desk, or KeyNotSigned."""
    entry = current.get(handler_id)
    if entry is None:
        raise KeyNotSigned(f"handler {handler_id} has no signed key entry")
    body = entry.body
    if body.status != ACTIVE:
        raise KeyNotSigned(f"handler {handler_id}'s keys were revoked (entry {body.sequence})")
    if body.desk != desk:
        raise KeyNotSigned(f"handler {handler_id} is signed for another desk ({body.desk})")
    if body.x25519 != public.x25519 or body.mlkem != public.mlkem:
        raise KeyNotSigned(
            f"handler {handler_id}'s keys differ from their signed entry {body.sequence}"
        )
    return entry


def key_fingerprint(public: HandlerPublicKeys) -> str:
    """The fingerprint of a handler's two public keys (shown in the console)."""
    return signing.fingerprint(public.x25519, public.mlkem)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text, validate=True)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value
