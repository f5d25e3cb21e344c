"""The few primitives every other crypto module builds on.

Every function here has a twin in `web/js/crypto/primitives.js` (bundled into
web/static/build/); the vectors in `tests/vectors/` keep them identical.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import nacl.bindings as sodium
import nacl.pwhash.argon2id as argon2id_mod

from crypto.errors import DecryptionError

KEY_BYTES = 32
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
SALT_BYTES = argon2id_mod.SALTBYTES  # 16


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost. Production defaults live in hotline config; tests pass cheap ones."""

    ops: int
    mem_bytes: int

    def __post_init__(self) -> None:
        if self.ops < argon2id_mod.OPSLIMIT_MIN:
            raise ValueError("Argon2id ops below libsodium's minimum")
        if self.mem_bytes < argon2id_mod.MEMLIMIT_MIN:
            raise ValueError("Argon2id memory below libsodium's minimum")


def random_bytes(size: int = KEY_BYTES) -> bytes:
    return secrets.token_bytes(size)


_argon2_gate: Callable[[], AbstractContextManager[object]] = nullcontext
# (secret, salt, params, size) -> the key, or None to run it here; set at start
Argon2Delegate = Callable[[bytes, bytes, Argon2Params, int], bytes | None]
_argon2_delegate: Argon2Delegate | None = None


def gate_argon2id(gate: Callable[[], AbstractContextManager[object]]) -> None:
    """Run every Argon2id of this process inside `gate()` (a bounded slot); set at start."""
    global _argon2_gate
    _argon2_gate = gate


def delegate_argon2id(delegate: Argon2Delegate | None) -> None:
    """Hand every Argon2id of this process to `delegate` first (the host's pool,
    crypto/argon2_pool.py); when it answers None the run happens here, inside the gate."""
    global _argon2_delegate
    _argon2_delegate = delegate


def argon2id(secret: bytes, salt: bytes, params: Argon2Params, size: int = KEY_BYTES) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError("Argon2id salt must be 16 bytes")
    # PyNaCl calls libsodium through cffi, which releases the GIL: concurrent requests
    # run their Argon2id in parallel, never behind one lock.
    # The process's gate (hotline/argon2_gate.py) bounds how many run, holding memory, at once.
    if _argon2_delegate is not None:
        delegated = _argon2_delegate(secret, salt, params, size)
        if delegated is not None:
            return delegated
    with _argon2_gate():
        result: bytes = argon2id_mod.kdf(
            size, secret, salt, opslimit=params.ops, memlimit=params.mem_bytes
        )
    return result


def normalise_password(password: str) -> bytes:
    return unicodedata.normalize("NFC", password).encode("utf-8")


def keyed_hash(key: bytes, label: str, *parts: bytes, size: int = KEY_BYTES) -> bytes:
    """Keyed BLAKE2b over a context label and length-framed parts (no concatenation ambiguity)."""
    if not 16 <= len(key) <= 64:
        raise ValueError("BLAKE2b key must be 16 to 64 bytes")
    digest: bytes = sodium.crypto_generichash_blake2b_salt_personal(
        framed(label, *parts), digest_size=size, key=key
    )
    return digest


def plain_hash(label: str, *parts: bytes, size: int = KEY_BYTES) -> bytes:
    """Unkeyed BLAKE2b over the same framing as keyed_hash: for public values (fingerprints,
    chain hashes) where no secret is involved."""
    digest: bytes = sodium.crypto_generichash_blake2b_salt_personal(
        framed(label, *parts), digest_size=size
    )
    return digest


def framed(label: str, *parts: bytes) -> bytes:
    """frame(label as ASCII) | frame(part)..., frame(x) = 4-byte big-endian len(x) | x."""
    out = bytearray(_frame(label.encode("ascii")))
    for part in parts:
        out += _frame(part)
    return bytes(out)


def _frame(part: bytes) -> bytes:
    return len(part).to_bytes(4, "big") + part


def associated_data(purpose: str, *context: bytes) -> bytes:
    """What a seal binds: the purpose alone as ASCII, or, when the value belongs somewhere
    (a case, a recipient, an author, a place in order), framed(purpose, *context)."""
    return framed(purpose, *context) if context else purpose.encode("ascii")


def seal(key: bytes, plaintext: bytes, purpose: str, *context: bytes) -> bytes:
    """XChaCha20-Poly1305 with a random nonce; purpose and context are bound as associated
    data (see `associated_data`)."""
    _check_key(key)
    nonce = random_bytes(NONCE_BYTES)
    body: bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, associated_data(purpose, *context), nonce, key
    )
    return nonce + body


def open_sealed(key: bytes, sealed: bytes, purpose: str, *context: bytes) -> bytes:
    _check_key(key)
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        plaintext: bytes = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            body, associated_data(purpose, *context), nonce, key
        )
    except Exception as exc:  # libsodium raises CryptoError; keep one type for callers
        raise DecryptionError("ciphertext did not open") from exc
    return plaintext


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError("symmetric keys are 32 bytes")
