"""The server's secrets and cost parameters, handed to services as one plain object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.pepper import Pepper
from crypto.primitives import Argon2Params
from hotline.config import secret_bytes


@dataclass(frozen=True)
class Keyring:
    pepper: Pepper
    receipt_salt: bytes
    receipt_params: Argon2Params
    password_params: Argon2Params
    pseudonym_key: bytes

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Keyring:
        return cls(
            pepper=Pepper(secret_bytes(config["PEPPER"], "PEPPER", 32)),
            receipt_salt=secret_bytes(config["RECEIPT_SALT"], "RECEIPT_SALT", 16)[:16],
            receipt_params=Argon2Params(
                ops=int(config["ARGON2_RECEIPT_OPS"]), mem_bytes=int(config["ARGON2_RECEIPT_MEM"])
            ),
            password_params=Argon2Params(
                ops=int(config["ARGON2_PASSWORD_OPS"]),
                mem_bytes=int(config["ARGON2_PASSWORD_MEM"]),
            ),
            pseudonym_key=secret_bytes(config["PSEUDONYM_KEY"], "PSEUDONYM_KEY", 32),
        )
