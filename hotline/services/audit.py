"""Append to and verify the hash-chained audit log.

Entries are appended inside the caller's transaction, so an action and its audit entry
commit together or not at all. The head row is updated with a compare-and-set on its
previous hash: two concurrent appends cannot both succeed from the same head, so the
chain never forks; the loser's transaction fails and is retried by the caller's unit
of work.

The chain is keyed (BLAKE2b) with a key derived from the pepper, which lives outside the
database: someone who can write the database but does not have the pepper cannot compute
a valid chain, so a rewritten history fails `flask audit verify`. Whoever has the pepper
too could rebuild a chain; against that, `flask audit head` prints the head (count and
hash) to keep somewhere the database's writers cannot reach, and `verify --head` checks
that the chain still holds it. The key reaches `append` through the session (see
`session_info`), so every unit of work appends under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto.pepper import Pepper
from crypto.primitives import keyed_hash
from hotline.models import AuditEvent, AuditHead
from hotline.services import dates

GENESIS = bytes(32)
_SESSION_KEY = "hotline.audit_key"
# Chains written before the key came from the pepper used this public constant; only
# `rekey` still knows it, to move such a chain under the pepper once.
LEGACY_KEY = b"hotline:audit:chain:key:v1:0000"


class AuditChainConflict(RuntimeError):
    """Another transaction appended first; the caller should retry its unit of work."""


class AuditKeyMissing(RuntimeError):
    """A session made without the audit key tried to append: refuse rather than chain
    under a key anybody knows."""


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


@dataclass(frozen=True)
class Head:
    """The newest entry's position and hash: `count:hex`, kept outside the database."""

    count: int
    hash: bytes

    def line(self) -> str:
        return f"{self.count}:{self.hash.hex()}"

    @classmethod
    def parse(cls, text: str) -> Head:
        count, _, digest = text.strip().partition(":")
        try:
            head = cls(int(count), bytes.fromhex(digest))
        except ValueError as exc:
            raise ValueError("a saved head looks like 42:<64 hex digits>") from exc
        if head.count < 0 or len(head.hash) != 32:
            raise ValueError("a saved head looks like 42:<64 hex digits>")
        return head


def chain_key(pepper: Pepper) -> bytes:
    return pepper.tag("audit-chain", b"key")


def session_info(pepper: Pepper) -> dict[str, bytes]:
    """What every session of the app carries so that `append` can key the chain."""
    return {_SESSION_KEY: chain_key(pepper)}


def _key_of(session: Session) -> bytes:
    key = session.info.get(_SESSION_KEY)
    if not isinstance(key, bytes):
        raise AuditKeyMissing("this database session has no audit key")
    return key


def entry_hash(
    key: bytes,
    prev: bytes,
    day: date,
    actor_id: int | None,
    action: str,
    case_id: str | None,
    detail: str,
) -> bytes:
    body = json.dumps(
        [day.isoformat(), actor_id, action, case_id, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return keyed_hash(key, "hotline:audit:entry:v1", prev, body)


def append(
    session: Session,
    actor_id: int | None,
    action: str,
    case_id: str | None = None,
    detail: str = "",
) -> None:
    """Add one entry in the current transaction (the caller commits)."""
    key = _key_of(session)
    head = session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, hash=GENESIS, count=0)
        session.add(head)
        session.flush()
    prev = head.hash
    day = dates.today()
    new_hash = entry_hash(key, prev, day, actor_id, action, case_id, detail[:200])
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


def _events(session: Session) -> Iterator[AuditEvent]:
    return iter(session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000))


def verify(session: Session, saved: Head | None = None, key: bytes | None = None) -> Verification:
    """Walk the chain in order; report the first entry whose link or hash does not hold,
    and, given a saved head, whether the chain still holds it at its position."""
    key = key if key is not None else _key_of(session)
    prev = GENESIS
    checked = 0
    for event in _events(session):
        if event.prev_hash != prev:
            return Verification(False, checked, event.id, "link to the previous entry broken")
        expected = entry_hash(
            key, prev, event.day, event.actor_id, event.action, event.case_id, event.detail
        )
        if event.hash != expected:
            return Verification(False, checked, event.id, "entry altered")
        prev = event.hash
        checked += 1
        if saved is not None and checked == saved.count and event.hash != saved.hash:
            return Verification(
                False, checked, event.id, "the chain does not hold the saved head: rewritten"
            )
    head = session.get(AuditHead, 1)
    if checked and (head is None or head.hash != prev or head.count != checked):
        return Verification(False, checked, None, "entries missing at the end of the chain")
    if saved is not None and checked < saved.count:
        return Verification(
            False, checked, None, f"the saved head counts {saved.count} entries, the chain fewer"
        )
    return Verification(True, checked, None)


def current_head(session: Session) -> Head:
    head = session.get(AuditHead, 1)
    return Head(0, GENESIS) if head is None else Head(head.count, head.hash)


def written_under_legacy_key(session: Session) -> bool:
    """True if the chain verifies under the old public key (written before this version)."""
    return current_head(session).count > 0 and verify(session, key=LEGACY_KEY).ok


def rekey(session: Session) -> int:
    """Move a chain written under the old public key under the pepper-derived key, once.

    Refuses (ValueError) unless the chain verifies under the old key. Returns the count."""
    if not written_under_legacy_key(session):
        raise ValueError("the audit chain is not an intact chain under the old public key")
    key = _key_of(session)
    prev = GENESIS
    count = 0
    for event in list(_events(session)):
        event.prev_hash = prev
        event.hash = entry_hash(
            key, prev, event.day, event.actor_id, event.action, event.case_id, event.detail
        )
        prev = event.hash
        count += 1
        session.flush()
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev, count=count))
    session.commit()
    return count


def trail(session: Session, case_id: str) -> list[AuditEntry]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
    )
    return [AuditEntry(e.id, e.day, e.actor_id, e.action, e.case_id, e.detail) for e in rows]
