"""The one place a new case is stored, whichever side encrypted it.

Both intake halves end here: the server-sealed half (`intake`: no-JavaScript form, chat,
SMS) and the browser-sealed half (`sealed_intake`). This module fixes the day-granular dates
and deadlines, adds the pepper layer to the values that could test a guessed receipt (lookup
tag, reporter's wrapped case key), stores the grants (escalation grants held back), the
pepper-tagged exclusions and the attachments in one transaction, and logs the arrival.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.blobs.store import BlobStore
from hotline.models import AuditEvent, Author, Case, CaseGrant, CaseStatus, Channel
from hotline.services import attachments, dates, exclusions
from hotline.services.context import ServiceContext
from hotline.services.errors import Conflict

log = logging.getLogger("hotline.intake")


@dataclass(frozen=True)
class GrantRow:
    """A case-key grant. No reporter path grants a notes key: the first handler who needs
    notes makes it (`notes_key`), so the reporter never knows it."""

    handler_id: int
    sealed_keys: bytes
    released: bool  # False for escalation targets, held until the policy releases them


@dataclass(frozen=True)
class NewCase:
    case_id: str  # chosen before sealing: the report, file keys and grants are bound to it
    category: str
    channel: Channel
    language: str
    external_only: bool
    involves_executive: bool
    sealed_report: bytes
    lookup_tag: bytes  # straight from Argon2id/BLAKE2b, before the pepper
    reporter_wrapped_key: bytes  # sealed under the receipt's wrap key, before the pepper
    grants: tuple[GrantRow, ...]
    excluded_handler_ids: tuple[int, ...] = ()
    files: tuple[attachments.SealedFile, ...] = ()
    idempotency_tag: bytes | None = None
    idempotent_receipt: bytes | None = None
    sealed_by: str = "server"  # or "browser", for the log line only


@dataclass(frozen=True)
class StoredCase:
    case_id: str
    acknowledge_by: date


def store(
    session: Session, ctx: ServiceContext, new: NewCase, blobs: BlobStore | None = None
) -> StoredCase:
    """Store the case in one transaction; Conflict if its id, lookup or idempotency tag
    exists."""
    case = _build(ctx, new)
    if id_was_used(session, new.case_id):
        raise Conflict("please submit again", field="lookup_tag")
    try:
        # Two Core statements (the case, then every grant in one executemany) instead of the
        # unit of work's bookkeeping for 1 + n objects: a third of a sealed submission's CPU.
        connection = session.connection()
        connection.execute(insert(_CASES), [_columns(case)])
        if new.grants:
            connection.execute(
                insert(_GRANTS),
                [
                    {
                        "case_id": case.id,
                        "handler_id": g.handler_id,
                        "sealed_keys": g.sealed_keys,
                        "released": g.released,
                        "granted_on": case.received_on,
                    }
                    for g in new.grants
                ],
            )
        session.add_all(exclusions.rows(ctx.keyring.pepper, case.id, new.excluded_handler_ids))
        attachments.store(session, blobs, case.id, new.files, Author.REPORTER, case.received_on)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        # A case-id or lookup-tag collision (1 in 10^15) or a retried submission: the caller
        # decides (the browser seals again under a new id and receipt).
        raise Conflict("please submit again", field="lookup_tag") from exc
    # Reporter-side events carry no case id and are debug-only: at the default level nothing
    # in the log marks when a report arrived (see hotline/logs.py).
    log.debug(
        "case.received",
        extra={
            "channel": new.channel.value,
            "kind": new.sealed_by,
            "category": new.category,
            "grants": len(new.grants),
        },
    )
    return StoredCase(case.id, case.acknowledge_by)


def _columns(case: Case) -> dict[str, object]:
    """The columns `_build` set (the insert applies the model's defaults to the rest)."""
    return {k: v for k, v in sa_inspect(case).dict.items() if k in _CASE_COLUMNS}


_CASE_COLUMNS = frozenset(attr.key for attr in sa_inspect(Case).column_attrs)
_CASES = cast(Table, Case.__table__)
_GRANTS = cast(Table, CaseGrant.__table__)


def id_was_used(session: Session, case_id: str) -> bool:
    """Whether the audit trail names this id: a purged case's entries stay under its id, so a
    new case (whose id the reporter's browser chooses) must never take it, or its handlers
    would read the old case's trail as its own. A live case's id is refused by the key."""
    found = session.scalar(select(AuditEvent.id).where(AuditEvent.case_id == case_id).limit(1))
    return found is not None


def _build(ctx: ServiceContext, new: NewCase) -> Case:
    received = dates.today()
    acknowledge_by = dates.acknowledge_by(received, ctx.acknowledge_days)
    pepper = ctx.keyring.pepper
    return Case(
        id=new.case_id,
        category=new.category,
        channel=new.channel,
        language=new.language,
        status=CaseStatus.RECEIVED,
        external_only=new.external_only,
        involves_executive=new.involves_executive,
        received_on=received,
        acknowledge_by=acknowledge_by,
        feedback_by=dates.feedback_by(received, None, ctx.acknowledge_days, ctx.feedback_months),
        next_deadline=acknowledge_by,
        sealed_report=new.sealed_report,
        lookup_tag=pepper.tag("receipt-lookup", new.lookup_tag),
        reporter_wrapped_key=pepper.wrap("reporter-key", new.reporter_wrapped_key),
        idempotency_tag=new.idempotency_tag,
        idempotent_receipt=new.idempotent_receipt,
    )
