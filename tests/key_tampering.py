"""What a database writer can do to the key directory, for the substitution tests."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto import handler_keys, key_directory
from hotline.models import Handler, KeyEntry


def _column(which: str) -> str:
    assert which in ("x25519", "mlkem")
    return "x25519_public" if which == "x25519" else "mlkem_public"


def swap_key(session: Session, handler_id: int, which: str, rechain: bool) -> bytes:
    """Put an attacker's public key in place of the handler's; return the old one. With
    `rechain`, rewrite the handler's newest entry too and every hash after it (the
    signatures cannot be redone without the root). Commits."""
    attacker = handler_keys.generate_private().public()
    new = attacker.x25519 if which == "x25519" else attacker.mlkem
    return set_key(session, handler_id, which, new, rechain)


def set_key(session: Session, handler_id: int, which: str, value: bytes, rechain: bool) -> bytes:
    column = _column(which)
    old: bytes | None = session.scalar(
        select(getattr(Handler, column)).where(Handler.id == handler_id)
    )
    assert old is not None
    session.execute(update(Handler).where(Handler.id == handler_id).values({column: value}))
    if rechain:
        rows = list(session.scalars(select(KeyEntry).order_by(KeyEntry.sequence)))
        target = max(r.sequence for r in rows if r.handler_id == handler_id)
        previous = key_directory.GENESIS_HASH
        for row in rows:
            if row.sequence == target:
                setattr(row, column, value)
            row.previous_hash = previous
            body = key_directory.EntryBody(
                row.sequence, row.handler_id, row.desk, row.status, row.x25519_public,
                row.mlkem_public, row.valid_from, row.previous_hash,
            )  # fmt: skip
            row.entry_hash = key_directory.Entry(body, row.signature).hash()
            previous = row.entry_hash
    session.commit()
    return old
