"""The reporter's way back when the browser holds the keys: ciphertext in, ciphertext out.

The browser derives the lookup tag from the receipt and sends only that; the server adds the
pepper, finds the case and returns its ciphertext with the pepper layer removed from the
reporter's wrapped key, which only the receipt's wrap key can open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crypto.primitives import NONCE_BYTES, TAG_BYTES
from hotline.blobs import BlobStore
from hotline.models import Attachment, Author, Case, Message
from hotline.services import attachments, dates
from hotline.services.context import ServiceContext
from hotline.services.errors import RECEIPT_NOT_FOUND, InvalidInput, NotFound, ReceiptNotFound

log = logging.getLogger("hotline.followup")
MAX_SEALED_MESSAGE_BYTES = 256 * 1024


@dataclass(frozen=True)
class SealedMessage:
    author: str
    sealed_body: bytes
    sent_on: date


@dataclass(frozen=True)
class SealedAttachment:
    attachment_id: str
    author: str
    sealed_file_key: bytes
    sealed_meta: bytes
    stored_bytes: int
    added_on: date


@dataclass(frozen=True)
class SealedCase:
    case_id: str
    category: str
    status: str
    outcome: str | None
    received_on: date
    acknowledge_by: date
    feedback_by: date
    sealed_report: bytes
    reporter_wrapped_key: bytes
    messages: list[SealedMessage]
    attachments: list[SealedAttachment]


def find_case(session: Session, ctx: ServiceContext, lookup_tag: bytes) -> Case:
    if len(lookup_tag) != 32:
        raise InvalidInput("lookup tag must be 32 bytes", field="lookup_tag")
    tag = ctx.keyring.pepper.tag("receipt-lookup", lookup_tag)
    case = session.scalar(
        select(Case)
        .where(Case.lookup_tag == tag)
        .options(selectinload(Case.messages), selectinload(Case.attachments))
    )
    if case is None:
        raise ReceiptNotFound(RECEIPT_NOT_FOUND, field="receipt")
    return case


def open_case(session: Session, ctx: ServiceContext, lookup_tag: bytes) -> SealedCase:
    case = find_case(session, ctx, lookup_tag)
    log.info("case.reporter_opened", extra={"case_id": case.id, "kind": "sealed"})
    return SealedCase(
        case_id=case.id,
        category=case.category,
        status=case.status.value,
        outcome=case.outcome,
        received_on=case.received_on,
        acknowledge_by=case.acknowledge_by,
        feedback_by=case.feedback_by,
        sealed_report=case.sealed_report,
        reporter_wrapped_key=ctx.keyring.pepper.unwrap("reporter-key", case.reporter_wrapped_key),
        messages=[SealedMessage(m.author.value, m.sealed_body, m.sent_on) for m in case.messages],
        attachments=[
            SealedAttachment(
                a.id, a.author.value, a.sealed_file_key, a.sealed_meta, a.stored_bytes, a.added_on
            )
            for a in case.attachments
        ],
    )


def add_message(
    session: Session,
    ctx: ServiceContext,
    lookup_tag: bytes,
    sealed_body: bytes,
    files: Sequence[attachments.BrowserSealedFile] = (),
    blobs: BlobStore | None = None,
) -> str:
    if not NONCE_BYTES + TAG_BYTES < len(sealed_body) <= MAX_SEALED_MESSAGE_BYTES:
        raise InvalidInput("sealed message has the wrong size", field="sealed_body")
    case = find_case(session, ctx, lookup_tag)
    today = dates.today()
    session.add(
        Message(case_id=case.id, author=Author.REPORTER, sealed_body=sealed_body, sent_on=today)
    )
    if files:
        if blobs is None:
            raise ValueError("attachments need a blob store")
        attachments.add_browser_sealed(session, blobs, case.id, files, Author.REPORTER, today)
    session.commit()
    log.info(
        "case.reporter_message", extra={"case_id": case.id, "kind": "sealed", "count": len(files)}
    )
    return case.id


def attachment(
    session: Session, ctx: ServiceContext, lookup_tag: bytes, attachment_id: str
) -> Attachment:
    case = find_case(session, ctx, lookup_tag)
    for item in case.attachments:
        if item.id == attachment_id:
            return item
    raise NotFound("no such file on this case", field="attachment")
