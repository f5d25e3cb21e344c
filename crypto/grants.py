"""Hybrid grants: a case's keys wrapped to one handler with X25519 and ML-KEM-768 together.

The wrapping key is keyed BLAKE2b whose key is both shared secrets (ML-KEM's first) and
whose message binds the ephemeral X25519 public key, the ML-KEM ciphertext and both
recipient public keys under a fixed label: the X-Wing combiner's shape. Breaking X25519
alone (a future quantum computer) or ML-KEM alone opens nothing.

Layout: ephemeral X25519 public key (32) | ML-KEM-768 ciphertext (1088) | sealed keys.
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
from crypto.primitives import KEY_BYTES, keyed_hash, open_sealed, random_bytes, seal

MLKEM_CIPHERTEXT_BYTES = 1088
_LABEL = "hotline:grant:x25519+mlkem768:v1"
_PURPOSE = "hotline:grant:case-keys:v1"
_HEADER = X25519_BYTES + MLKEM_CIPHERTEXT_BYTES


@dataclass(frozen=True)
class CaseKeys:
    """The case key (report, messages, file keys) and the handlers-only notes key."""

    case_key: bytes
    notes_key: bytes

    @classmethod
    def generate(cls) -> CaseKeys:
        return cls(case_key=random_bytes(KEY_BYTES), notes_key=random_bytes(KEY_BYTES))

    def pack(self) -> bytes:
        return self.case_key + self.notes_key

    @classmethod
    def unpack(cls, packed: bytes) -> CaseKeys:
        if len(packed) != 2 * KEY_BYTES:
            raise CryptoError("case keys have the wrong size")
        return cls(case_key=packed[:KEY_BYTES], notes_key=packed[KEY_BYTES:])


def check_public_keys(public: HandlerPublicKeys) -> None:
    if len(public.x25519) != X25519_BYTES or len(public.mlkem) != MLKEM_PUBLIC_BYTES:
        raise CryptoError("handler public keys have the wrong size")


def _wrap_key(
    mlkem_secret: bytes, x25519_secret: bytes, ephemeral: bytes, ct: bytes, to: HandlerPublicKeys
) -> bytes:
    return keyed_hash(mlkem_secret + x25519_secret, _LABEL, ephemeral, ct, to.x25519, to.mlkem)


def make_grant(keys: CaseKeys, to: HandlerPublicKeys) -> bytes:
    check_public_keys(to)
    ephemeral_secret = random_bytes(X25519_BYTES)
    ephemeral_public = sodium.crypto_scalarmult_base(ephemeral_secret)
    try:
        x25519_secret = sodium.crypto_scalarmult(ephemeral_secret, to.x25519)
    except Exception as exc:  # libsodium refuses low-order points
        raise CryptoError("handler X25519 key is not usable") from exc
    mlkem_secret, ct = MLKEM768PublicKey.from_public_bytes(to.mlkem).encapsulate()
    key = _wrap_key(mlkem_secret, x25519_secret, ephemeral_public, ct, to)
    return ephemeral_public + ct + seal(key, keys.pack(), _PURPOSE)


def open_grant(grant: bytes, private: HandlerPrivateKeys) -> CaseKeys:
    if len(grant) <= _HEADER:
        raise DecryptionError("grant too short")
    ephemeral_public = grant[:X25519_BYTES]
    ct = grant[X25519_BYTES:_HEADER]
    try:
        x25519_secret = sodium.crypto_scalarmult(private.x25519, ephemeral_public)
        mlkem_secret = MLKEM768PrivateKey.from_seed_bytes(private.mlkem_seed).decapsulate(ct)
    except Exception as exc:
        raise DecryptionError("grant did not open") from exc
    key = _wrap_key(mlkem_secret, x25519_secret, ephemeral_public, ct, private.public())
    return CaseKeys.unpack(open_sealed(key, grant[_HEADER:], _PURPOSE))
