"""Intake, server-sealed half: every channel where the server sees the text (the web form
without JavaScript, the chat bot, the SMS line) turns its input into an `IntakeRequest`.

This half validates, routes, makes the receipt and the keys, encrypts with `crypto/` in this
process's memory, and hands the ciphertext to `case_store`, the one place a case is stored
(the browser-sealed half, `sealed_intake`, ends there too). The receipt is returned once and
never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import receipts, sealing
from crypto.grants import CASE_KEY, GrantFor, make_grant, new_key
from hotline.blobs.store import BlobStore
from hotline.blobs.streams import UploadedFile
from hotline.models import Case, Channel
from hotline.services import attachments, case_store, idempotency, routing, validation
from hotline.services.context import ServiceContext
from hotline.services.errors import Conflict

log = logging.getLogger("hotline.intake")
_ATTEMPTS = 3


@dataclass(frozen=True)
class IntakeRequest:
    category: str
    channel: Channel
    language: str
    fields: Mapping[str, object]
    external_only: bool = False
    excluded_handler_ids: tuple[int, ...] = ()
    idempotency_key: str | None = None
    attachments: tuple[UploadedFile, ...] = ()
    involves_executive: bool = False


@dataclass(frozen=True)
class IntakeResult:
    case_id: str
    receipt: str
    acknowledge_by: date
    replayed: bool = field(default=False)


@dataclass(frozen=True)
class _Prepared:
    request: IntakeRequest
    language: str
    document: dict[str, object]
    recipients: list[routing.Recipient]
    idempotency_tag: bytes | None


def submit(
    session: Session,
    ctx: ServiceContext,
    request: IntakeRequest,
    blobs: BlobStore | None = None,
) -> IntakeResult:
    if request.attachments and blobs is None:
        raise ValueError("attachments need a blob store")
    language, document = _document(ctx, request)
    tag = idempotency.tag(ctx, request.idempotency_key)
    earlier = _replay(session, ctx, request, tag)
    if earlier is not None:
        return earlier
    recipients = routing.recipients(
        session,
        request.category,
        request.external_only,
        request.excluded_handler_ids,
        request.involves_executive,
    )
    routing.verify_keys(session, ctx.keys, recipients)  # before anything is sealed to them
    session.rollback()  # end the read transaction before the slow Argon2id run
    prepared = _Prepared(request, language, document, recipients, tag)
    for attempt in range(_ATTEMPTS):
        try:
            return _seal_and_store(session, ctx, prepared, blobs)
        except Conflict:
            earlier = _replay(session, ctx, request, tag)
            if earlier is not None:
                return earlier
            log.warning("intake.collision", extra={"attempt": attempt + 1})
    raise RuntimeError("could not store the case after several attempts")


def _document(ctx: ServiceContext, request: IntakeRequest) -> tuple[str, dict[str, object]]:
    """The validated language and the report document that will be sealed."""
    fields = validation.report_fields(request.fields, ctx.max_field_chars)
    language = validation.language(request.language)
    document: dict[str, object] = {
        "category": request.category,
        "language": language,
        "fields": fields,
    }
    if request.involves_executive:
        document["involves_executive"] = True
    return language, document


def _seal_and_store(
    session: Session, ctx: ServiceContext, prepared: _Prepared, blobs: BlobStore | None
) -> IntakeResult:
    """One attempt: a fresh case id, receipt and case key, the case sealed and stored. No
    notes key: the first handler who needs notes makes it."""
    request = prepared.request
    receipt = receipts.generate()
    derived = receipts.derive(receipt, ctx.keyring.receipt_salt, ctx.keyring.receipt_params)
    case_key = new_key()
    case_id = sealing.new_case_id()
    stored = case_store.store(
        session,
        ctx,
        case_store.NewCase(
            case_id=case_id,
            category=request.category,
            channel=request.channel,
            language=prepared.language,
            external_only=request.external_only,
            involves_executive=request.involves_executive,
            sealed_report=sealing.seal_report(case_key, prepared.document, case_id),
            lookup_tag=derived.lookup_tag,
            reporter_wrapped_key=sealing.wrap_case_key_for_reporter(case_key, derived.wrap_key),
            grants=tuple(
                case_store.GrantRow(
                    r.handler_id,
                    make_grant(case_key, r.public, GrantFor(CASE_KEY, case_id, r.handler_id)),
                    not r.held,
                )
                for r in prepared.recipients
            ),
            excluded_handler_ids=request.excluded_handler_ids,
            files=tuple(attachments.seal_uploads(case_key, case_id, request.attachments)),
            idempotency_tag=prepared.idempotency_tag,
            idempotent_receipt=(
                idempotency.seal_receipt(ctx, request.idempotency_key or "", receipt)
                if prepared.idempotency_tag is not None
                else None
            ),
        ),
        blobs,
    )
    return IntakeResult(stored.case_id, receipts.format_receipt(receipt), stored.acknowledge_by)


def _replay(
    session: Session, ctx: ServiceContext, request: IntakeRequest, tag: bytes | None
) -> IntakeResult | None:
    """The first submission's answer when this idempotency key was stored before."""
    if tag is None:
        return None
    case = session.scalar(select(Case).where(Case.idempotency_tag == tag))
    if case is None or case.idempotent_receipt is None:
        return None
    receipt = idempotency.open_receipt(ctx, request.idempotency_key or "", case.idempotent_receipt)
    log.debug("intake.replayed", extra={"channel": request.channel.value})
    return IntakeResult(case.id, receipts.format_receipt(receipt), case.acknowledge_by, True)
