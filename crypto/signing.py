"""Hybrid signatures: Ed25519 and ML-DSA-65 together; a signature counts only if both verify.

The organisation's root key signs the handler key directory (crypto/key_directory.py).
Both halves sign the same framed message, frame(label) | frame(message), so a signature
made for one purpose cannot be replayed for another. Breaking Ed25519 alone (a future
quantum computer) or ML-DSA alone forges nothing.

Layout: public key = Ed25519 public (32) | ML-DSA-65 public (1952);
signature = Ed25519 signature (64) | ML-DSA-65 signature (3309);
private key = Ed25519 seed (32) | ML-DSA-65 seed (xi, 32).

The root private key lives in a passphrase-protected file (Argon2id + XChaCha20-Poly1305)
meant for an offline machine; its public half reaches the app through configuration.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.signing
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PrivateKey, MLDSA65PublicKey

from crypto.errors import CryptoError, DecryptionError
from crypto.primitives import (
    SALT_BYTES,
    Argon2Params,
    argon2id,
    framed,
    normalise_password,
    open_sealed,
    plain_hash,
    random_bytes,
    seal,
)

ED25519_SEED_BYTES = 32
ED25519_PUBLIC_BYTES = 32
ED25519_SIGNATURE_BYTES = 64
MLDSA_SEED_BYTES = 32
MLDSA_PUBLIC_BYTES = 1952
MLDSA_SIGNATURE_BYTES = 3309
PUBLIC_BYTES = ED25519_PUBLIC_BYTES + MLDSA_PUBLIC_BYTES
SIGNATURE_BYTES = ED25519_SIGNATURE_BYTES + MLDSA_SIGNATURE_BYTES
PRIVATE_BYTES = ED25519_SEED_BYTES + MLDSA_SEED_BYTES

FINGERPRINT_LABEL = "hotline:fingerprint:v1"
ROOT_FILE_FORMAT = "hotline-root-key-v1"
ROOT_PUBLIC_FORMAT = "hotline-root-public-v1"
_ROOT_FILE_PURPOSE = "hotline:root-key:passphrase:v1"
_BASE32 = re.compile(r"[^A-Z2-7]")


class SignatureError(CryptoError):
    """A hybrid signature did not verify (either half, or both)."""


@dataclass(frozen=True)
class SigningPublicKey:
    ed25519: bytes
    mldsa: bytes

    def __post_init__(self) -> None:
        if len(self.ed25519) != ED25519_PUBLIC_BYTES or len(self.mldsa) != MLDSA_PUBLIC_BYTES:
            raise CryptoError("signing public key has the wrong size")

    def to_bytes(self) -> bytes:
        return self.ed25519 + self.mldsa

    @classmethod
    def from_bytes(cls, raw: bytes) -> SigningPublicKey:
        if len(raw) != PUBLIC_BYTES:
            raise CryptoError("signing public key has the wrong size")
        return cls(raw[:ED25519_PUBLIC_BYTES], raw[ED25519_PUBLIC_BYTES:])

    def fingerprint(self) -> str:
        return fingerprint(self.ed25519, self.mldsa)


@dataclass(frozen=True)
class SigningPrivateKey:
    ed25519_seed: bytes
    mldsa_seed: bytes

    def __post_init__(self) -> None:
        if len(self.ed25519_seed) != ED25519_SEED_BYTES or len(self.mldsa_seed) != MLDSA_SEED_BYTES:
            raise CryptoError("signing seeds have the wrong size")

    def public(self) -> SigningPublicKey:
        ed = nacl.signing.SigningKey(self.ed25519_seed).verify_key.encode()
        ml = MLDSA65PrivateKey.from_seed_bytes(self.mldsa_seed).public_key().public_bytes_raw()
        return SigningPublicKey(bytes(ed), ml)

    def to_bytes(self) -> bytes:
        return self.ed25519_seed + self.mldsa_seed

    @classmethod
    def from_bytes(cls, raw: bytes) -> SigningPrivateKey:
        if len(raw) != PRIVATE_BYTES:
            raise CryptoError("signing private key has the wrong size")
        return cls(raw[:ED25519_SEED_BYTES], raw[ED25519_SEED_BYTES:])


def generate() -> SigningPrivateKey:
    return SigningPrivateKey(random_bytes(ED25519_SEED_BYTES), random_bytes(MLDSA_SEED_BYTES))


def sign(private: SigningPrivateKey, label: str, message: bytes) -> bytes:
    """Both halves over frame(label) | frame(message). ML-DSA signing is hedged (randomised)."""
    signed = framed(label, message)
    ed = nacl.signing.SigningKey(private.ed25519_seed).sign(signed).signature
    ml = MLDSA65PrivateKey.from_seed_bytes(private.mldsa_seed).sign(signed)
    return bytes(ed) + ml


def verify(public: SigningPublicKey, label: str, message: bytes, signature: bytes) -> None:
    """Raise SignatureError unless both the Ed25519 and the ML-DSA-65 halves verify."""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError("signature has the wrong size")
    signed = framed(label, message)
    ed_sig, ml_sig = signature[:ED25519_SIGNATURE_BYTES], signature[ED25519_SIGNATURE_BYTES:]
    ed_ok = _ed25519_ok(public.ed25519, signed, ed_sig)
    ml_ok = _mldsa_ok(public.mldsa, signed, ml_sig)
    if not (ed_ok and ml_ok):
        raise SignatureError("signature does not verify")


def is_valid(public: SigningPublicKey, label: str, message: bytes, signature: bytes) -> bool:
    try:
        verify(public, label, message, signature)
    except SignatureError:
        return False
    return True


def _ed25519_ok(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(public).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True


def _mldsa_ok(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        MLDSA65PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(*public_parts: bytes) -> str:
    """A human-comparable fingerprint: base32 of 20 bytes of BLAKE2b, 8 groups of 4."""
    text = base64.b32encode(plain_hash(FINGERPRINT_LABEL, *public_parts, size=20)).decode()
    return " ".join(text[i : i + 4] for i in range(0, 32, 4))


def short_fingerprint(full: str) -> str:
    """The first four groups (80 bits): enough for a person to compare at a glance."""
    return " ".join(full.split(" ")[:4])


def normalise_fingerprint(text: str) -> str:
    return _BASE32.sub("", text.upper())


# --- files ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise CryptoError(f"{what} is missing")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise CryptoError(f"{what} is not base64") from exc


def root_file(private: SigningPrivateKey, passphrase: str, params: Argon2Params) -> str:
    """The root key file's text: the seeds sealed under Argon2id(passphrase)."""
    salt = random_bytes(SALT_BYTES)
    key = argon2id(normalise_password(passphrase), salt, params)
    public = private.public()
    data = {
        "format": ROOT_FILE_FORMAT,
        "fingerprint": public.fingerprint(),
        "public": _b64(public.to_bytes()),
        "kdf": {"salt": _b64(salt), "ops": params.ops, "mem_bytes": params.mem_bytes},
        "sealed": _b64(seal(key, private.to_bytes(), _ROOT_FILE_PURPOSE)),
    }
    return json.dumps(data, indent=2) + "\n"


def open_root_file(text: str, passphrase: str) -> SigningPrivateKey:
    """Raise DecryptionError on a wrong passphrase, CryptoError on a malformed file."""
    data = _json_object(text, ROOT_FILE_FORMAT)
    kdf = data.get("kdf")
    if not isinstance(kdf, dict):
        raise CryptoError("root key file has no kdf parameters")
    try:
        params = Argon2Params(ops=int(kdf["ops"]), mem_bytes=int(kdf["mem_bytes"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CryptoError("root key file has bad kdf parameters") from exc
    salt = _unb64(kdf.get("salt"), "kdf salt")
    if len(salt) != SALT_BYTES:
        raise CryptoError("root key file has a bad salt")
    key = argon2id(normalise_password(passphrase), salt, params)
    try:
        raw = open_sealed(key, _unb64(data.get("sealed"), "sealed key"), _ROOT_FILE_PURPOSE)
    except DecryptionError as exc:
        raise DecryptionError("wrong passphrase for the root key file") from exc
    private = SigningPrivateKey.from_bytes(raw)
    if private.public().to_bytes() != _unb64(data.get("public"), "public key"):
        raise CryptoError("root key file's public key does not match its private key")
    return private


def public_file(public: SigningPublicKey) -> str:
    """The root public key file: what the app's configuration points to."""
    data = {
        "format": ROOT_PUBLIC_FORMAT,
        "fingerprint": public.fingerprint(),
        "public": _b64(public.to_bytes()),
    }
    return json.dumps(data, indent=2) + "\n"


def read_public(text: str) -> SigningPublicKey:
    """A root public key from a public key file, a root key file, or bare base64."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return SigningPublicKey.from_bytes(_unb64(stripped, "root public key"))
    data = json.loads(stripped)
    if not isinstance(data, dict) or data.get("format") not in (
        ROOT_PUBLIC_FORMAT,
        ROOT_FILE_FORMAT,
    ):
        raise CryptoError("not a root public key file")
    public = SigningPublicKey.from_bytes(_unb64(data.get("public"), "root public key"))
    claimed = data.get("fingerprint")
    if claimed is not None and normalise_fingerprint(str(claimed)) != normalise_fingerprint(
        public.fingerprint()
    ):
        raise CryptoError("root public key file's fingerprint does not match its key")
    return public


def _json_object(text: str, expected_format: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CryptoError("not a JSON file") from exc
    if not isinstance(data, dict) or data.get("format") != expected_format:
        raise CryptoError(f"not a {expected_format} file")
    return data
