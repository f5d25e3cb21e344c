"""Hybrid grants: one of a case's keys wrapped to one handler with X25519 and ML-KEM-768.

The wrapping key is keyed BLAKE2b whose key is both shared secrets (ML-KEM's first) and
whose message binds the ephemeral X25519 public key, the ML-KEM ciphertext and both
recipient public keys under a fixed label: the X-Wing combiner's shape. Breaking X25519
alone (a future quantum computer) or ML-KEM alone opens nothing.

A grant wraps one key, and its associated data names what it is for (`GrantFor`): which
key (the case key, the notes key, or a backup's file key), which case, which recipient.
A grant row moved to another case or another handler, or a notes-key grant passed off as
a case-key grant, does not open.

Layout: ephemeral X25519 public key (32) | ML-KEM-768 ciphertext (1088) | sealed key (72).
"""

from __future__ import annotations

from dataclasses import dataclass

import nacl.bindings as sodium
from cryptography.hazmat.primitives.asymmetric.mlkem import (
    MLKEM768PrivateKey,
    MLKEM768PublicKey,
)

from crypto.errors import CryptoError, DecryptionError
from crypto.handler_keys import (
    MLKEM_PUBLIC_BYTES,
    X25519_BYTES,
    HandlerPrivateKeys,
    HandlerPublicKeys,
)
from crypto.primitives import (
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    keyed_hash,
    open_sealed,
    random_bytes,
    seal,
)
from crypto.sealing import is_case_id

MLKEM_CIPHERTEXT_BYTES = 1088
_LABEL = "hotline:grant:x25519+mlkem768:v1"
PURPOSE = "hotline:grant:v2"
_HEADER = X25519_BYTES + MLKEM_CIPHERTEXT_BYTES
GRANT_BYTES = _HEADER + NONCE_BYTES + TAG_BYTES + KEY_BYTES  # 1192

CASE_KEY = "case-key"
NOTES_KEY = "notes-key"
BACKUP_KEY = "backup-key"
_KINDS = (CASE_KEY, NOTES_KEY, BACKUP_KEY)


@dataclass(frozen=True)
class GrantFor:
    """What a grant is bound to: the kind of key, its case and its recipient's handler id.

    A backup's file key is granted with kind BACKUP_KEY, case id "" and handler id 0."""

    kind: str
    case_id: str
    handler_id: int

    def context(self) -> tuple[bytes, bytes, bytes]:
        if self.kind not in _KINDS:
            raise CryptoError("unknown grant kind")
        if isinstance(self.handler_id, bool) or not 0 <= self.handler_id < 2**63:
            raise CryptoError("handler id out of range")
        # A case's key goes to a handler of that case; a backup's to no case and no one.
        if self.kind == BACKUP_KEY:
            if self.case_id != "" or self.handler_id != 0:
                raise CryptoError("a backup key's grant names no case and no handler")
        elif not is_case_id(self.case_id) or self.handler_id == 0:
            raise CryptoError("a case's grant names a case id and a handler")
        return (
            self.kind.encode("ascii"),
            self.case_id.encode("ascii"),
            str(self.handler_id).encode("ascii"),
        )


def new_key() -> bytes:
    """A random case key or notes key."""
    return random_bytes(KEY_BYTES)


def check_public_keys(public: HandlerPublicKeys) -> None:
    if len(public.x25519) != X25519_BYTES or len(public.mlkem) != MLKEM_PUBLIC_BYTES:
        raise CryptoError("handler public keys have the wrong size")


def _wrap_key(
    mlkem_secret: bytes, x25519_secret: bytes, ephemeral: bytes, ct: bytes, to: HandlerPublicKeys
) -> bytes:
    return keyed_hash(mlkem_secret + x25519_secret, _LABEL, ephemeral, ct, to.x25519, to.mlkem)


def make_grant(key: bytes, to: HandlerPublicKeys, about: GrantFor) -> bytes:
    if len(key) != KEY_BYTES:
        raise CryptoError("a granted key is 32 bytes")
    context = about.context()
    check_public_keys(to)
    ephemeral_secret = random_bytes(X25519_BYTES)
    ephemeral_public = sodium.crypto_scalarmult_base(ephemeral_secret)
    try:
        x25519_secret = sodium.crypto_scalarmult(ephemeral_secret, to.x25519)
    except Exception as exc:  # libsodium refuses low-order points
        raise CryptoError("handler X25519 key is not usable") from exc
    mlkem_secret, ct = MLKEM768PublicKey.from_public_bytes(to.mlkem).encapsulate()
    wrap = _wrap_key(mlkem_secret, x25519_secret, ephemeral_public, ct, to)
    return ephemeral_public + ct + seal(wrap, key, PURPOSE, *context)


def open_grant(grant: bytes, private: HandlerPrivateKeys, about: GrantFor) -> bytes:
    """The granted key; DecryptionError unless the grant is this recipient's, for `about`."""
    context = about.context()
    if len(grant) != GRANT_BYTES:
        raise DecryptionError("grant has the wrong size")
    ephemeral_public = grant[:X25519_BYTES]
    ct = grant[X25519_BYTES:_HEADER]
    try:
        x25519_secret = sodium.crypto_scalarmult(private.x25519, ephemeral_public)
        mlkem_secret = MLKEM768PrivateKey.from_seed_bytes(private.mlkem_seed).decapsulate(ct)
    except Exception as exc:
        raise DecryptionError("grant did not open") from exc
    wrap = _wrap_key(mlkem_secret, x25519_secret, ephemeral_public, ct, private.public())
    return open_sealed(wrap, grant[_HEADER:], PURPOSE, *context)
