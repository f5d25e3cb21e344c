"""Sequence numbers of a case's messages and notes, which their sealed bodies are bound to.

Whoever seals a message or note must know its number first: the reporter's browser and the
console read the next number from the case they have just loaded (`next_message_seq`,
`next_note_seq` in what the server sends), the server-sealed channels read it here. The
server accepts a sealed body only for exactly the next number; a stale number (someone else
wrote first) is refused with `StaleSequence` (409), and the unique (case_id, seq) constraint
settles two writers that race past the check at once. The browser then reloads and seals
again; the server-sealed paths retry by themselves.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.models import Message, Note
from hotline.services.errors import InvalidInput, StaleSequence

_STALE = "someone else wrote on this case meanwhile; reload the case and send it again"
MAX_SEQ = 2**31 - 1


def next_message_seq(session: Session, case_id: str) -> int:
    top = session.scalar(select(func.max(Message.seq)).where(Message.case_id == case_id))
    return 0 if top is None else int(top) + 1


def next_note_seq(session: Session, case_id: str) -> int:
    top = session.scalar(select(func.max(Note.seq)).where(Note.case_id == case_id))
    return 0 if top is None else int(top) + 1


def parse(value: object, field: str = "seq") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise InvalidInput(f"{field} must be a whole number", field=field)
    return value


def require_next(given: int, expected: int) -> None:
    if given != expected:
        raise StaleSequence(_STALE, field="seq")


def insert(session: Session, row: Message | Note) -> None:
    """Add a new message or note and write it at once, so a racing writer that took its number
    shows here (StaleSequence) and not in a later query's autoflush."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise StaleSequence(_STALE, field="seq") from exc


def commit(session: Session) -> None:
    """Commit a new message or note; a racing writer that took the number makes it stale."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise StaleSequence(_STALE, field="seq") from exc
