"""Handler key pairs: X25519 and ML-KEM-768 together, private parts wrapped as one bundle.

Argon2id(password, per-handler salt) yields 64 bytes: the first half authenticates to
the server (which keeps only a peppered hash of it), the second half unwraps the private
bundle and never leaves the handler's browser or CLI process.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import nacl.bindings as sodium
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey

from crypto.errors import CryptoError, DecryptionError
from crypto.primitives import (
    KEY_BYTES,
    SALT_BYTES,
    Argon2Params,
    argon2id,
    keyed_hash,
    normalise_password,
    open_sealed,
    random_bytes,
    seal,
)

MLKEM_SEED_BYTES = 64
MLKEM_PUBLIC_BYTES = 1184
X25519_BYTES = 32
_BUNDLE_BYTES = X25519_BYTES + MLKEM_SEED_BYTES
_PASSWORD_PURPOSE = "hotline:handler-private:password:v1"  # noqa: S105 (a label)
_RECOVERY_PURPOSE = "hotline:handler-private:recovery:v1"


@dataclass(frozen=True)
class HandlerPublicKeys:
    x25519: bytes
    mlkem: bytes


@dataclass(frozen=True)
class HandlerPrivateKeys:
    x25519: bytes
    mlkem_seed: bytes

    def public(self) -> HandlerPublicKeys:
        return HandlerPublicKeys(
            x25519=sodium.crypto_scalarmult_base(self.x25519),
            mlkem=mlkem_public_from_seed(self.mlkem_seed),
        )

    def bundle(self) -> bytes:
        return self.x25519 + self.mlkem_seed

    @classmethod
    def from_bundle(cls, bundle: bytes) -> HandlerPrivateKeys:
        if len(bundle) != _BUNDLE_BYTES:
            raise CryptoError("private key bundle has the wrong size")
        return cls(x25519=bundle[:X25519_BYTES], mlkem_seed=bundle[X25519_BYTES:])


@dataclass(frozen=True)
class PasswordSecrets:
    """What Argon2id(password) yields: a login proof and a key-unwrapping key."""

    auth: bytes
    unwrap_key: bytes


@dataclass(frozen=True)
class NewHandlerKeys:
    public: HandlerPublicKeys
    private: HandlerPrivateKeys
    salt: bytes
    auth: bytes
    wrapped_private: bytes
    recovery_wrapped_private: bytes
    recovery_key: str


def mlkem_public_from_seed(seed: bytes) -> bytes:
    return MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()


def generate_private() -> HandlerPrivateKeys:
    return HandlerPrivateKeys(
        x25519=random_bytes(X25519_BYTES), mlkem_seed=random_bytes(MLKEM_SEED_BYTES)
    )


def password_secrets(password: str, salt: bytes, params: Argon2Params) -> PasswordSecrets:
    if len(salt) != SALT_BYTES:
        raise ValueError("handler salt must be 16 bytes")
    out = argon2id(normalise_password(password), salt, params, size=2 * KEY_BYTES)
    return PasswordSecrets(auth=out[:KEY_BYTES], unwrap_key=out[KEY_BYTES:])


def wrap_private(private: HandlerPrivateKeys, unwrap_key: bytes) -> bytes:
    return seal(unwrap_key, private.bundle(), _PASSWORD_PURPOSE)


def unwrap_private(wrapped: bytes, unwrap_key: bytes) -> HandlerPrivateKeys:
    return HandlerPrivateKeys.from_bundle(open_sealed(unwrap_key, wrapped, _PASSWORD_PURPOSE))


def create(password: str, params: Argon2Params) -> NewHandlerKeys:
    """Make a handler's key pairs, wrap them under the password and a new recovery key."""
    private = generate_private()
    salt = random_bytes(SALT_BYTES)
    secrets_ = password_secrets(password, salt, params)
    recovery_raw = random_bytes(KEY_BYTES)
    return NewHandlerKeys(
        public=private.public(),
        private=private,
        salt=salt,
        auth=secrets_.auth,
        wrapped_private=wrap_private(private, secrets_.unwrap_key),
        recovery_wrapped_private=seal(
            _recovery_wrap_key(recovery_raw), private.bundle(), _RECOVERY_PURPOSE
        ),
        recovery_key=format_recovery_key(recovery_raw),
    )


def rewrap_with_password(
    private: HandlerPrivateKeys, password: str, params: Argon2Params
) -> tuple[bytes, PasswordSecrets, bytes]:
    """New salt, secrets and wrapped bundle for a changed password: (salt, secrets, wrapped)."""
    salt = random_bytes(SALT_BYTES)
    secrets_ = password_secrets(password, salt, params)
    return salt, secrets_, wrap_private(private, secrets_.unwrap_key)


def new_recovery(private: HandlerPrivateKeys) -> tuple[str, bytes]:
    """A fresh recovery key for these private keys: (recovery key text, wrapped bundle)."""
    raw = random_bytes(KEY_BYTES)
    return format_recovery_key(raw), seal(
        _recovery_wrap_key(raw), private.bundle(), _RECOVERY_PURPOSE
    )


def unwrap_with_recovery_key(wrapped: bytes, recovery_key: str) -> HandlerPrivateKeys:
    raw = parse_recovery_key(recovery_key)
    return HandlerPrivateKeys.from_bundle(
        open_sealed(_recovery_wrap_key(raw), wrapped, _RECOVERY_PURPOSE)
    )


def recovery_auth(recovery_key: str) -> bytes:
    """A value that proves possession of the recovery key (the server keeps a peppered tag)."""
    return keyed_hash(parse_recovery_key(recovery_key), "hotline:recovery:auth:v1")


def _recovery_wrap_key(raw: bytes) -> bytes:
    # The recovery key is 256 random bits: no password stretching is needed.
    return keyed_hash(raw, "hotline:recovery:wrap:v1")


def format_recovery_key(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:
        raise DecryptionError("recovery key is not valid") from exc
    if len(raw) != KEY_BYTES or base64.b32encode(raw).decode().rstrip("=") != cleaned:
        raise DecryptionError("recovery key is not valid")
    return raw
