"""The reporter's way back, server-sealed half: the receipt reaches the server (the page
without JavaScript, the chat bot, the SMS line).

This half derives the lookup tag and the wrap key from the receipt with Argon2id, opens the
case key in memory, and decrypts or encrypts; finding the case and storing messages and
files is `reporter_case`'s job, shared with the browser-sealed half (`sealed_followup`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crypto import receipts, sealing
from crypto.errors import DecryptionError, InvalidReceipt
from hotline.blobs.store import BlobStore
from hotline.blobs.streams import UploadedFile
from hotline.models import Case
from hotline.services import attachments, reporter_case, sequence, validation
from hotline.services.case_view import CaseView, MessageView, case_fields, open_messages
from hotline.services.context import ServiceContext
from hotline.services.errors import (
    RECEIPT_NOT_FOUND,
    InvalidReceiptCode,
    ReceiptNotFound,
    StaleSequence,
)

log = logging.getLogger("hotline.followup")
_ATTEMPTS = 3


@dataclass(frozen=True)
class ReporterCase(CaseView):
    report: dict[str, Any]
    messages: list[MessageView]
    attachments: list[attachments.AttachmentView]


def _unlock(session: Session, ctx: ServiceContext, receipt_text: str) -> tuple[Case, bytes]:
    try:
        digits = receipts.parse(receipt_text)
    except InvalidReceipt as exc:
        raise InvalidReceiptCode(str(exc), field="receipt") from exc
    derived = receipts.derive(digits, ctx.keyring.receipt_salt, ctx.keyring.receipt_params)
    case = reporter_case.find(session, ctx, derived.lookup_tag)
    try:
        wrapped = reporter_case.reporter_wrapped_key(ctx, case)
        case_key = sealing.unwrap_case_key_for_reporter(wrapped, derived.wrap_key)
    except DecryptionError as exc:
        log.error("followup.unwrap_failed", extra={"kind": "server"})
        raise ReceiptNotFound(RECEIPT_NOT_FOUND, field="receipt") from exc
    return case, case_key


def open_case(session: Session, ctx: ServiceContext, receipt_text: str) -> ReporterCase:
    case, case_key = _unlock(session, ctx, receipt_text)
    log.debug("case.reporter_opened", extra={"kind": "server"})
    return ReporterCase(
        **case_fields(case),
        report=sealing.open_report(case_key, case.sealed_report, case.id),
        messages=open_messages(case_key, case.messages),
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
    case_id = case.id
    files = attachments.seal_uploads(case_key, case_id, uploads)
    for _attempt in range(_ATTEMPTS):
        # Sealed for the next place in order; if another message takes it first, again.
        seq = sequence.next_message_seq(session, case_id)
        sealed_body = (
            sealing.seal_message(case_key, text, case_id, sealing.REPORTER, seq) if text else None
        )
        try:
            return reporter_case.append(session, case, sealed_body, seq, files, blobs, "server")
        except StaleSequence:
            continue
    raise StaleSequence("the case is busy; please send your message again", field="seq")


def attachment_plaintext(
    session: Session, ctx: ServiceContext, blobs: BlobStore, receipt_text: str, attachment_id: str
) -> tuple[attachments.AttachmentView, attachments.PlainFile]:
    """The file, checked whole before its first byte is handed out (UnreadableFile if not)."""
    case, case_key = _unlock(session, ctx, receipt_text)
    item = reporter_case.attachment(case, attachment_id)
    return attachments.describe(case_key, item), attachments.open_plaintext(blobs, case_key, item)
