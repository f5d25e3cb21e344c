"""The server pepper: a secret kept outside the database.

Every stored value that could test a guessed receipt or password (lookup tags, login
verifiers, reporter-wrapped case keys, handler-wrapped private keys) passes through
here before it is written. A database dump without the pepper allows no offline guess.
"""

from __future__ import annotations

from crypto.primitives import KEY_BYTES, keyed_hash, open_sealed, seal


class Pepper:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < KEY_BYTES:
            raise ValueError("the pepper must be at least 32 bytes")
        self._tag_key = keyed_hash(secret[:64], "hotline:pepper:tag:v1")
        self._wrap_key = keyed_hash(secret[:64], "hotline:pepper:wrap:v1")

    def tag(self, kind: str, value: bytes) -> bytes:
        """A keyed one-way tag (lookup tags, login verifiers); `kind` separates uses."""
        return keyed_hash(self._tag_key, f"hotline:pepper:tag:{kind}", value)

    def wrap(self, kind: str, value: bytes) -> bytes:
        return seal(self._wrap_key, value, f"hotline:pepper:wrap:{kind}")

    def unwrap(self, kind: str, wrapped: bytes) -> bytes:
        return open_sealed(self._wrap_key, wrapped, f"hotline:pepper:wrap:{kind}")
