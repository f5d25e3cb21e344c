"""The reporter's way back, shared by both follow-up halves.

`followup` (the receipt reaches the server: no-JavaScript page, chat, SMS) derives the
lookup tag with Argon2id and opens the case key itself; `sealed_followup` (the browser
derives the tag and keeps the keys) hands over the tag and ciphertext. Both find the case,
store a message and files, and read an attachment through this module.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.blobs.store import BlobStore
from hotline.models import Attachment, Author, Case, Message
from hotline.services import attachments, dates, sequence
from hotline.services.case_view import CaseView, case_fields, message_author
from hotline.services.context import ServiceContext
from hotline.services.errors import RECEIPT_NOT_FOUND, InvalidInput, NotFound, ReceiptNotFound

log = logging.getLogger("hotline.followup")
LOOKUP_TAG_BYTES = 32


@dataclass(frozen=True)
class SealedMessage:
    author: str
    author_id: str  # what the body is bound to: "reporter" or "handler:<id>"
    seq: int
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
class SealedCase(CaseView):
    """The case as the reporter's browser gets it: ciphertext, the pepper layer removed."""

    sealed_report: bytes
    reporter_wrapped_key: bytes
    messages: list[SealedMessage]
    attachments: list[SealedAttachment]
    next_message_seq: int


def find(session: Session, ctx: ServiceContext, lookup_tag: bytes) -> Case:
    """The case whose receipt gave this lookup tag (before the pepper), or ReceiptNotFound."""
    if len(lookup_tag) != LOOKUP_TAG_BYTES:
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


def reporter_wrapped_key(ctx: ServiceContext, case: Case) -> bytes:
    """The case key as the receipt's wrap key sealed it, the pepper layer removed."""
    return ctx.keyring.pepper.unwrap("reporter-key", case.reporter_wrapped_key)


def sealed_view(ctx: ServiceContext, case: Case) -> SealedCase:
    return SealedCase(
        **case_fields(case),
        sealed_report=case.sealed_report,
        reporter_wrapped_key=reporter_wrapped_key(ctx, case),
        messages=[
            SealedMessage(
                m.author.value,
                message_author(m.author, m.handler_id),
                m.seq,
                m.sealed_body,
                m.sent_on,
            )
            for m in case.messages
        ],
        attachments=[
            SealedAttachment(
                a.id, a.author.value, a.sealed_file_key, a.sealed_meta, a.stored_bytes, a.added_on
            )
            for a in case.attachments
        ],
        next_message_seq=max((m.seq for m in case.messages), default=-1) + 1,
    )


def append(
    session: Session,
    case: Case,
    sealed_body: bytes | None,
    seq: int,
    files: Sequence[attachments.SealedFile],
    blobs: BlobStore | None,
    sealed_by: str,
) -> str:
    """Store the reporter's sealed message (if any), sealed for place `seq`, and files in one
    transaction; StaleSequence when `seq` is not (or no longer) the case's next number."""
    today = dates.today()
    if sealed_body is not None:
        sequence.require_next(seq, sequence.next_message_seq(session, case.id))
        sequence.insert(
            session,
            Message(
                case_id=case.id,
                author=Author.REPORTER,
                seq=seq,
                sealed_body=sealed_body,
                sent_on=today,
            ),
        )
    attachments.store(session, blobs, case.id, files, Author.REPORTER, today)
    sequence.commit(session)
    log.debug(
        "case.reporter_message",
        extra={"kind": sealed_by, "count": len(files)},
    )
    return case.id


def attachment(case: Case, attachment_id: str) -> Attachment:
    for item in case.attachments:
        if item.id == attachment_id:
            return item
    raise NotFound("no such file on this case", field="attachment")
