"""An export for a handler who works offline (the external ombudsperson), holding only what
that handler needs to open their own cases.

The export holds, for each case released to the handler: its metadata (day-granular), the
handler's grant, and the sealed report, messages and file descriptions, all ciphertext; and
the handler's private key bundle as wrapped under their password (the server's pepper layer
removed). It holds no server secret: not the pepper, not SECRET_KEY, not the channel token,
and nothing of any other handler or case. `hotline.offline_open` opens it with the
handler's password alone, on a machine with no database and no instance folder.

Whoever has the file can try passwords offline, each guess costing the password Argon2id
run: keep the file as the password is kept.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.models import Attachment, Case, CaseGrant, Handler
from hotline.services import audit, handler_access
from hotline.services.case_view import message_author
from hotline.services.context import ServiceContext

FORMAT = "hotline-offline-export/2"


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


@dataclass(frozen=True)
class Export:
    document: dict[str, Any]
    case_ids: list[str]


def export_for(session: Session, ctx: ServiceContext, username: str, password: str) -> Export:
    """Check the handler's password, then gather their released cases as ciphertext."""
    who = handler_access.unlock(session, ctx, username, password)
    handler = session.get(Handler, who.handler_id)
    if handler is None:  # removed since unlock found it
        raise LookupError("the handler account was removed meanwhile")
    wrapped = ctx.keyring.pepper.unwrap("handler-private", handler.wrapped_private)
    grants = session.scalars(
        select(CaseGrant)
        .where(CaseGrant.handler_id == who.handler_id, CaseGrant.released.is_(True))
        .order_by(CaseGrant.case_id)
    )
    cases: list[dict[str, Any]] = []
    for grant in grants:
        case = session.scalar(
            select(Case).where(Case.id == grant.case_id).options(selectinload(Case.messages))
        )
        if case is None:
            continue
        files = session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.added_on, Attachment.id)
        )
        cases.append(
            {
                "case_id": case.id,
                "category": case.category,
                "channel": case.channel.value,
                "status": case.status.value,
                "received_on": case.received_on.isoformat(),
                "acknowledge_by": case.acknowledge_by.isoformat(),
                "feedback_by": case.feedback_by.isoformat(),
                "grant": b64(grant.sealed_keys),
                "sealed_report": b64(case.sealed_report),
                "messages": [
                    {
                        "author": m.author.value,
                        "author_id": message_author(m.author, m.handler_id),
                        "seq": m.seq,
                        "sent_on": m.sent_on.isoformat(),
                        "sealed_body": b64(m.sealed_body),
                    }
                    for m in sorted(case.messages, key=lambda m: m.seq)
                ],
                "files": [
                    {"attachment_id": f.id, "sealed_meta": b64(f.sealed_meta)} for f in files
                ],
            }
        )
        audit.append(session, who.handler_id, "export", case.id)
    session.commit()
    document = {
        "format": FORMAT,
        "handler": {
            "handler_id": handler.id,
            "username": handler.username,
            "kdf_salt": b64(handler.kdf_salt),
            "kdf_ops": handler.kdf_ops,
            "kdf_mem": handler.kdf_mem,
            "wrapped_private": b64(wrapped),
        },
        "cases": cases,
    }
    return Export(document, [c["case_id"] for c in cases])
