"""The reporter's way back: open a case with the receipt, read replies, add messages."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crypto import receipts, sealing
from crypto.errors import DecryptionError, InvalidReceipt
from hotline.blobs import BlobStore, UploadedFile
from hotline.models import Author, Case, Message
from hotline.services import attachments, dates, validation
from hotline.services.context import ServiceContext
from hotline.services.errors import RECEIPT_NOT_FOUND, InvalidReceiptCode, NotFound, ReceiptNotFound

log = logging.getLogger("hotline.followup")


@dataclass(frozen=True)
class MessageView:
    author: str
    body: str
    sent_on: date


@dataclass(frozen=True)
class ReporterCase:
    case_id: str
    category: str
    status: str
    outcome: str | None
    received_on: date
    acknowledge_by: date
    feedback_by: date
    report: dict[str, Any]
    messages: list[MessageView]
    attachments: list[attachments.AttachmentView]


def _unlock(session: Session, ctx: ServiceContext, receipt_text: str) -> tuple[Case, bytes]:
    try:
        digits = receipts.parse(receipt_text)
    except InvalidReceipt as exc:
        raise InvalidReceiptCode(str(exc), field="receipt") from exc
    derived = receipts.derive(digits, ctx.keyring.receipt_salt, ctx.keyring.receipt_params)
    tag = ctx.keyring.pepper.tag("receipt-lookup", derived.lookup_tag)
    case = session.scalar(
        select(Case)
        .where(Case.lookup_tag == tag)
        .options(selectinload(Case.messages), selectinload(Case.attachments))
    )
    if case is None:
        raise ReceiptNotFound(RECEIPT_NOT_FOUND, field="receipt")
    try:
        wrapped = ctx.keyring.pepper.unwrap("reporter-key", case.reporter_wrapped_key)
        case_key = sealing.unwrap_case_key_for_reporter(wrapped, derived.wrap_key)
    except DecryptionError as exc:
        log.error("followup.unwrap_failed", extra={"case_id": case.id})
        raise ReceiptNotFound(RECEIPT_NOT_FOUND, field="receipt") from exc
    return case, case_key


def open_case(session: Session, ctx: ServiceContext, receipt_text: str) -> ReporterCase:
    case, case_key = _unlock(session, ctx, receipt_text)
    report = sealing.open_document(case_key, case.sealed_report, sealing.REPORT)
    messages = [
        MessageView(
            m.author.value, sealing.open_text(case_key, m.sealed_body, sealing.MESSAGE), m.sent_on
        )
        for m in case.messages
    ]
    log.info("case.reporter_opened", extra={"case_id": case.id})
    return ReporterCase(
        case_id=case.id,
        category=case.category,
        status=case.status.value,
        outcome=case.outcome,
        received_on=case.received_on,
        acknowledge_by=case.acknowledge_by,
        feedback_by=case.feedback_by,
        report=report,
        messages=messages,
        attachments=[attachments.describe(case_key, a) for a in case.attachments],
    )


def add_message(
    session: Session,
    ctx: ServiceContext,
    receipt_text: str,
    body: object,
    uploads: tuple[UploadedFile, ...] = (),
    blobs: BlobStore | None = None,
) -> str:
    text = validation.clean_text(body, "body", ctx.max_field_chars, required=not uploads)
    case, case_key = _unlock(session, ctx, receipt_text)
    if uploads:
        if blobs is None:
            raise ValueError("attachments need a blob store")
        attachments.add_server_sealed(
            session, blobs, case.id, case_key, uploads, Author.REPORTER, dates.today()
        )
    if not text:
        session.commit()
        return case.id
    session.add(
        Message(
            case_id=case.id,
            author=Author.REPORTER,
            sealed_body=sealing.seal_text(case_key, text, sealing.MESSAGE),
            sent_on=dates.today(),
        )
    )
    session.commit()
    log.info("case.reporter_message", extra={"case_id": case.id})
    return case.id


def attachment_plaintext(
    session: Session, ctx: ServiceContext, blobs: BlobStore, receipt_text: str, attachment_id: str
) -> tuple[attachments.AttachmentView, Iterator[bytes]]:
    case, case_key = _unlock(session, ctx, receipt_text)
    for item in case.attachments:
        if item.id == attachment_id:
            return (
                attachments.describe(case_key, item),
                attachments.plaintext_chunks(blobs, case_key, item),
            )
    raise NotFound("no such file on this case", field="attachment")
