"""Idempotency keys of channel adapters: a retried submission gets the first one's receipt.

The adapter's key is high-entropy and held only in its memory. The database keeps a
pepper-keyed tag of it (to find the case) and the receipt sealed under a key derived from it
and wrapped with the pepper, so only the adapter retrying with the same key can reopen it.
"""

from __future__ import annotations

from crypto.primitives import keyed_hash, open_sealed, seal
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidInput


def tag(ctx: ServiceContext, key: str | None) -> bytes | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 32 <= len(key) <= 128 or not key.isascii():
        raise InvalidInput(
            "idempotency key must be 32 to 128 ASCII characters", field="idempotency_key"
        )
    return ctx.keyring.pepper.tag("idempotency", key.encode("ascii"))


def _box_key(key: str) -> bytes:
    return keyed_hash(
        key.encode("ascii")[:64].ljust(32, b"\0"),
        "hotline:idempotent-receipt:v1",
        key.encode("ascii"),
    )


def seal_receipt(ctx: ServiceContext, key: str, receipt: str) -> bytes:
    inner = seal(_box_key(key), receipt.encode("ascii"), "hotline:idempotent:v1")
    return ctx.keyring.pepper.wrap("idempotent-receipt", inner)


def open_receipt(ctx: ServiceContext, key: str, sealed: bytes) -> str:
    inner = ctx.keyring.pepper.unwrap("idempotent-receipt", sealed)
    return open_sealed(_box_key(key), inner, "hotline:idempotent:v1").decode()
