"""Receipt codes: 16 digits from a CSPRNG, the last a Damm check digit.

The receipt is the reporter's only way back. It is never stored: Argon2id(receipt,
instance salt) gives a master secret, split by keyed BLAKE2b into a lookup tag (finds
the case) and a wrap key (opens the reporter's copy of the case key).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from crypto.errors import InvalidReceipt
from crypto.primitives import Argon2Params, argon2id, keyed_hash

DIGITS = 16
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u3000\u30fc\uff0d]+")

# Damm's totally anti-symmetric quasigroup of order 10: catches every single-digit
# error and every transposition of adjacent digits.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


@dataclass(frozen=True)
class ReceiptSecrets:
    lookup_tag: bytes
    wrap_key: bytes


def damm_digit(digits: str) -> int:
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return interim


def is_valid(digits: str) -> bool:
    return (
        len(digits) == DIGITS
        and digits.isascii()
        and digits.isdigit()
        and (damm_digit(digits) == 0)
    )


def generate() -> str:
    """Return 16 plain digits (15 random, 1 check)."""
    body = f"{secrets.randbelow(10 ** (DIGITS - 1)):0{DIGITS - 1}d}"
    return body + str(damm_digit(body))


def format_receipt(digits: str) -> str:
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def parse(text: str) -> str:
    """Accept spaces, dashes and full-width digits; return 16 plain digits or raise."""
    if not isinstance(text, str) or len(text) > 64:
        raise InvalidReceipt("receipt must be 16 digits")
    cleaned = _SEPARATORS.sub("", text)
    # Full-width digits (common with Japanese input methods) become ASCII digits.
    cleaned = cleaned.translate({0xFF10 + i: 0x30 + i for i in range(10)})
    if len(cleaned) != DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
        raise InvalidReceipt("receipt must be 16 digits")
    if damm_digit(cleaned) != 0:
        raise InvalidReceipt("receipt check digit does not match")
    return cleaned


def derive(digits: str, instance_salt: bytes, params: Argon2Params) -> ReceiptSecrets:
    master = argon2id(digits.encode("ascii"), instance_salt, params)
    return ReceiptSecrets(
        lookup_tag=keyed_hash(master, "hotline:receipt:lookup:v1"),
        wrap_key=keyed_hash(master, "hotline:receipt:wrap:v1"),
    )
