"""The reporter's way back: open a case with the receipt, read replies, add messages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crypto import receipts, sealing
from crypto.errors import DecryptionError, InvalidReceipt
from hotline.models import Author, Case, Message
from hotline.services import dates, validation
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidReceiptCode, ReceiptNotFound

log = logging.getLogger("hotline.followup")
_NOT_FOUND = "no case matches this receipt; check the 16 digits and try again"


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


def _unlock(session: Session, ctx: ServiceContext, receipt_text: str) -> tuple[Case, bytes]:
    try:
        digits = receipts.parse(receipt_text)
    except InvalidReceipt as exc:
        raise InvalidReceiptCode(str(exc), field="receipt") from exc
    derived = receipts.derive(digits, ctx.keyring.receipt_salt, ctx.keyring.receipt_params)
    tag = ctx.keyring.pepper.tag("receipt-lookup", derived.lookup_tag)
    case = session.scalar(
        select(Case).where(Case.lookup_tag == tag).options(selectinload(Case.messages))
    )
    if case is None:
        raise ReceiptNotFound(_NOT_FOUND, field="receipt")
    try:
        wrapped = ctx.keyring.pepper.unwrap("reporter-key", case.reporter_wrapped_key)
        case_key = sealing.unwrap_case_key_for_reporter(wrapped, derived.wrap_key)
    except DecryptionError as exc:
        log.error("followup.unwrap_failed", extra={"case_id": case.id})
        raise ReceiptNotFound(_NOT_FOUND, field="receipt") from exc
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
    )


def add_message(session: Session, ctx: ServiceContext, receipt_text: str, body: object) -> str:
    text = validation.clean_text(body, "body", ctx.max_field_chars)
    case, case_key = _unlock(session, ctx, receipt_text)
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
