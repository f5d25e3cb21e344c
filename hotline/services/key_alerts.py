"""Key changes made visible: a desk's handlers see and are told when a colleague's keys change.

The console lists the desk's directory entries of the last KEY_CHANGE_DAYS days (from the
entries themselves, so every path that appends an entry shows up). A content-free notice
(no name, no key, no case) goes once per entry to the desk's other handlers with an
address: by `flask keys import` at once, and by `flask notify key-changes` (cron) for any
entry appended otherwise (an online root).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import key_directory
from crypto.handler_keys import HandlerPublicKeys
from hotline.models import Desk, Handler, KeyEntry
from hotline.services.notifications import console_link
from integrations.mail import MailSender, OutgoingMail

log = logging.getLogger("hotline.keys")

KEY_CHANGE_DAYS = 30
KEY_CHANGE_SUBJECT = "Hotline: a key change on your desk / 通報窓口: 担当窓口の鍵の変更"


@dataclass(frozen=True)
class KeyChange:
    sequence: int
    handler_id: int
    display_name: str
    status: str
    valid_from: date
    fingerprint: str


def desk_changes_for(session: Session, handler_id: int, today: date) -> list[KeyChange]:
    """`desk_changes` for a handler known by id (none for an id that no longer exists)."""
    handler = session.get(Handler, handler_id)
    return desk_changes(session, handler, today) if handler else []


def desk_changes(session: Session, handler: Handler, today: date) -> list[KeyChange]:
    """Recent entries for the handler's desk about other handlers, newest first."""
    if handler.desk is None:
        return []
    rows = session.execute(
        select(KeyEntry, Handler.display_name)
        .join(Handler, Handler.id == KeyEntry.handler_id)
        .where(
            KeyEntry.desk == handler.desk.slug,
            KeyEntry.handler_id != handler.id,
            KeyEntry.valid_from >= today - timedelta(days=KEY_CHANGE_DAYS),
        )
        .order_by(KeyEntry.sequence.desc())
    )
    return [
        KeyChange(
            e.sequence,
            e.handler_id,
            name,
            e.status,
            e.valid_from,
            key_directory.key_fingerprint(HandlerPublicKeys(e.x25519_public, e.mlkem_public)),
        )
        for e, name in rows
    ]


def notice_text(console_url: str) -> str:
    return "\n".join(
        [
            "The signed encryption keys of a handler on your desk changed (new, replaced or",
            "revoked). If you did not expect this, tell your administrator: check the key",
            "fingerprints shown in the console.",
            "",
            f"Console: {console_url}",
            "",
            "----",
            "担当窓口の担当者の署名付き暗号鍵が変更されました(新規・交換・失効)。",
            "心当たりがない場合は管理者に連絡し、コンソールで鍵の指紋を確認してください。",
            "",
            f"コンソール: {console_url}",
            "",
        ]
    )


def send_pending_notices(session: Session, sender: MailSender, public_url: str) -> int:
    """One notice per un-notified entry to each other active handler of its desk; commits."""
    pending = list(
        session.scalars(
            select(KeyEntry).where(KeyEntry.notified.is_(False)).order_by(KeyEntry.sequence)
        )
    )
    if not pending:
        return 0
    link = console_link(public_url)
    mails: list[OutgoingMail] = []
    for entry in pending:
        colleagues = session.scalars(
            select(Handler)
            .join(Desk, Desk.id == Handler.desk_id)
            .where(
                Desk.slug == entry.desk,
                Handler.id != entry.handler_id,
                Handler.active.is_(True),
                Handler.email != "",
            )
            .order_by(Handler.id)
        )
        mails += [OutgoingMail(h.email, KEY_CHANGE_SUBJECT, notice_text(link)) for h in colleagues]
    sender.send(mails)  # raises MailError: then nothing is marked as notified
    for entry in pending:
        entry.notified = True
    session.commit()
    log.info("keys.notices_sent", extra={"count": len(mails)})
    return len(mails)
