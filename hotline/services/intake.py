"""The one intake path for every channel: validate, encrypt, grant, store, return the receipt.

Plaintext exists only in this process's memory; what reaches the database is ciphertext,
peppered tags and day-granular metadata. The receipt is returned once and never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crypto import receipts, sealing
from crypto.grants import CaseKeys, make_grant
from crypto.primitives import keyed_hash, open_sealed, seal
from hotline.blobs import BlobStore, UploadedFile
from hotline.models import Author, Case, CaseGrant, Channel
from hotline.services import attachments, exclusions, new_case, routing, validation
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidInput

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


def submit(
    session: Session,
    ctx: ServiceContext,
    request: IntakeRequest,
    blobs: BlobStore | None = None,
) -> IntakeResult:
    if request.attachments and blobs is None:
        raise ValueError("attachments need a blob store")
    fields = validation.report_fields(request.fields, ctx.max_field_chars)
    language = validation.language(request.language)
    idempotency = _idempotency_tag(ctx, request.idempotency_key)
    if idempotency is not None:
        earlier = _replay(session, ctx, idempotency, request.idempotency_key or "")
        if earlier is not None:
            return earlier
    recipients = routing.recipients(
        session,
        request.category,
        request.external_only,
        request.excluded_handler_ids,
        request.involves_executive,
    )
    session.rollback()  # end the read transaction before the slow Argon2id run

    document: dict[str, object] = {
        "category": request.category,
        "language": language,
        "fields": fields,
    }
    if request.involves_executive:
        document["involves_executive"] = True
    for attempt in range(_ATTEMPTS):
        receipt = receipts.generate()
        derived = receipts.derive(receipt, ctx.keyring.receipt_salt, ctx.keyring.receipt_params)
        keys = CaseKeys.generate()
        pepper = ctx.keyring.pepper
        case = new_case.build(
            ctx,
            new_case.SealedCaseParts(
                category=request.category,
                channel=request.channel,
                language=language,
                external_only=request.external_only,
                involves_executive=request.involves_executive,
                sealed_report=sealing.seal_document(keys.case_key, document, sealing.REPORT),
                lookup_tag=derived.lookup_tag,
                reporter_wrapped_key=sealing.wrap_case_key_for_reporter(
                    keys.case_key, derived.wrap_key
                ),
            ),
        )
        received = case.received_on
        if idempotency is not None:
            case.idempotency_tag = idempotency
            case.idempotent_receipt = _seal_receipt(ctx, request.idempotency_key or "", receipt)
        session.add(case)
        session.add_all(
            CaseGrant(
                case_id=case.id,
                handler_id=r.handler_id,
                sealed_keys=make_grant(keys, r.public),
                released=not r.held,
                granted_on=received,
            )
            for r in recipients
        )
        session.add_all(exclusions.rows(pepper, case.id, request.excluded_handler_ids))
        if request.attachments and blobs is not None:
            attachments.add_server_sealed(
                session,
                blobs,
                case.id,
                keys.case_key,
                request.attachments,
                Author.REPORTER,
                received,
            )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            if idempotency is not None:
                earlier = _replay(session, ctx, idempotency, request.idempotency_key or "")
                if earlier is not None:
                    return earlier
            log.warning("intake.collision", extra={"attempt": attempt + 1})
            continue
        log.info(
            "case.received",
            extra={
                "case_id": case.id,
                "channel": request.channel.value,
                "category": request.category,
                "grants": len(recipients),
            },
        )
        return IntakeResult(case.id, receipts.format_receipt(receipt), case.acknowledge_by)
    raise RuntimeError("could not store the case after several attempts")


def _idempotency_tag(ctx: ServiceContext, key: str | None) -> bytes | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 32 <= len(key) <= 128 or not key.isascii():
        raise InvalidInput(
            "idempotency key must be 32 to 128 ASCII characters", field="idempotency_key"
        )
    return ctx.keyring.pepper.tag("idempotency", key.encode("ascii"))


def _idempotency_box_key(key: str) -> bytes:
    # The adapter's key is high-entropy and held only in its memory: it alone can reopen
    # the receipt of a retried submission.
    return keyed_hash(
        key.encode("ascii")[:64].ljust(32, b"\0"),
        "hotline:idempotent-receipt:v1",
        key.encode("ascii"),
    )


def _seal_receipt(ctx: ServiceContext, key: str, receipt: str) -> bytes:
    inner = seal(_idempotency_box_key(key), receipt.encode("ascii"), "hotline:idempotent:v1")
    return ctx.keyring.pepper.wrap("idempotent-receipt", inner)


def _replay(session: Session, ctx: ServiceContext, tag: bytes, key: str) -> IntakeResult | None:
    case = session.scalar(select(Case).where(Case.idempotency_tag == tag))
    if case is None or case.idempotent_receipt is None:
        return None
    inner = ctx.keyring.pepper.unwrap("idempotent-receipt", case.idempotent_receipt)
    receipt = open_sealed(_idempotency_box_key(key), inner, "hotline:idempotent:v1").decode()
    log.info("intake.replayed", extra={"case_id": case.id})
    return IntakeResult(case.id, receipts.format_receipt(receipt), case.acknowledge_by, True)
