"""Public case ids: random, not sequential, easy to read aloud (Crockford base32)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_case_id() -> str:
    return "HL-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
