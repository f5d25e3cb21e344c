"""The server's secrets and cost parameters, handed to services as one plain object."""

from __future__ import annotations

from dataclasses import dataclass

from crypto.pepper import Pepper
from crypto.primitives import Argon2Params
from hotline.config import Settings


@dataclass(frozen=True)
class Keyring:
    pepper: Pepper
    receipt_salt: bytes
    receipt_params: Argon2Params
    password_params: Argon2Params
    pseudonym_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        return cls(
            pepper=Pepper(settings.secret("PEPPER")),
            receipt_salt=settings.secret("RECEIPT_SALT")[:16],
            receipt_params=Argon2Params(
                ops=settings.argon2_receipt_ops, mem_bytes=settings.argon2_receipt_mem
            ),
            password_params=Argon2Params(
                ops=settings.argon2_password_ops, mem_bytes=settings.argon2_password_mem
            ),
            pseudonym_key=settings.secret("PSEUDONYM_KEY"),
        )
