"""Append to and verify the hash-chained audit log.

Entries are appended inside the caller's transaction, so an action and its audit entry
commit together or not at all. The head row is updated with a compare-and-set on its
previous hash: two concurrent appends cannot both succeed from the same head, so the
chain never forks; the loser's transaction fails and is retried by the caller's unit
of work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto.primitives import keyed_hash
from hotline.models import AuditEvent, AuditHead
from hotline.services import dates

GENESIS = bytes(32)
_CHAIN_KEY = b"hotline:audit:chain:key:v1:0000"  # public, fixed: the chain needs no secret


class AuditChainConflict(RuntimeError):
    """Another transaction appended first; the caller should retry its unit of work."""


@dataclass(frozen=True)
class AuditEntry:
    entry_id: int
    day: date
    actor_id: int | None
    action: str
    case_id: str | None
    detail: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str = ""


def entry_hash(
    prev: bytes, day: date, actor_id: int | None, action: str, case_id: str | None, detail: str
) -> bytes:
    body = json.dumps(
        [day.isoformat(), actor_id, action, case_id, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return keyed_hash(_CHAIN_KEY, "hotline:audit:entry:v1", prev, body)


def append(
    session: Session,
    actor_id: int | None,
    action: str,
    case_id: str | None = None,
    detail: str = "",
) -> None:
    """Add one entry in the current transaction (the caller commits)."""
    head = session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, hash=GENESIS, count=0)
        session.add(head)
        session.flush()
    prev = head.hash
    day = dates.today()
    new_hash = entry_hash(prev, day, actor_id, action, case_id, detail[:200])
    changed = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1, AuditHead.hash == prev)
        .values(hash=new_hash, count=AuditHead.count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        raise AuditChainConflict("audit head moved")
    session.add(
        AuditEvent(
            day=day,
            actor_id=actor_id,
            action=action,
            case_id=case_id,
            detail=detail[:200],
            prev_hash=prev,
            hash=new_hash,
        )
    )
    session.expire(head)


def verify(session: Session) -> Verification:
    """Walk the chain in order; report the first entry whose link or hash does not hold."""
    prev = GENESIS
    checked = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.prev_hash != prev:
            return Verification(False, checked, event.id, "link to the previous entry broken")
        expected = entry_hash(
            prev, event.day, event.actor_id, event.action, event.case_id, event.detail
        )
        if event.hash != expected:
            return Verification(False, checked, event.id, "entry altered")
        prev = event.hash
        checked += 1
    head = session.get(AuditHead, 1)
    if checked and (head is None or head.hash != prev or head.count != checked):
        return Verification(False, checked, None, "entries missing at the end of the chain")
    return Verification(True, checked, None)


def trail(session: Session, case_id: str) -> list[AuditEntry]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
    )
    return [AuditEntry(e.id, e.day, e.actor_id, e.action, e.case_id, e.detail) for e in rows]
