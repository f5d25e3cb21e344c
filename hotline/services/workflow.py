"""Case handling by handlers: status (ISO 37002), notes, replies, grants, escalation.

Every action is checked against the handler's released grant and written to the audit log
in the same transaction. Content arrives sealed from the handler's browser.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from crypto.grants import GRANT_BYTES
from crypto.handler_keys import HandlerPublicKeys
from crypto.key_directory import KeyNotSigned, check_keys
from crypto.primitives import NONCE_BYTES, TAG_BYTES
from hotline.models import Author, Case, CaseGrant, CaseStatus, Handler, Message, Note
from hotline.services import audit, dates, exclusions, key_directory, notes_key, sequence
from hotline.services.context import ServiceContext
from hotline.services.errors import (
    Conflict,
    InvalidInput,
    KeysNotVerified,
    NoSuchCase,
    NotFound,
    NotGranted,
)
from hotline.vocabulary import OUTCOMES, STATUSES

log = logging.getLogger("hotline.workflow")

ORDER = [CaseStatus(status) for status in STATUSES]
MAX_SEALED_BYTES = 256 * 1024


@dataclass(frozen=True)
class StatusChange:
    case_id: str
    status: str
    outcome: str | None
    next_deadline: date | None


def released_grant(
    session: Session, handler_id: int, case_id: str, options: Sequence[ORMOption] = ()
) -> tuple[Case, CaseGrant]:
    """The case and this handler's released grant to it, or NoSuchCase: the same answer,
    from the same one query, whether the case is unknown or not open to this handler."""
    # A query, not session.get(): the load options must apply even to a case already in
    # the session's identity map.
    row = session.execute(
        select(Case, CaseGrant)
        .join(CaseGrant, CaseGrant.case_id == Case.id)
        .where(
            Case.id == case_id,
            CaseGrant.handler_id == handler_id,
            CaseGrant.released.is_(True),
        )
        .options(*options)
    ).one_or_none()
    if row is None:
        raise NoSuchCase()
    return row[0], row[1]


def require_grant(session: Session, handler_id: int, case_id: str) -> Case:
    return released_grant(session, handler_id, case_id)[0]


def _check_sealed(sealed: bytes, field: str) -> None:
    if not NONCE_BYTES + TAG_BYTES < len(sealed) <= MAX_SEALED_BYTES:
        raise InvalidInput(f"{field} has the wrong size", field=field)


def checked_transition(current: CaseStatus, status: str, outcome: str | None) -> CaseStatus:
    """The status a case may move to from `current`: forward only (staying put is allowed,
    so a repeated request is harmless), never out of closed, an outcome when and only when
    closing. Raises InvalidInput or Conflict otherwise."""
    try:
        target = CaseStatus(status)
    except ValueError as exc:
        raise InvalidInput("unknown status", field="status") from exc
    if current == CaseStatus.CLOSED:
        raise Conflict("this case is closed", field="status")
    if ORDER.index(target) < ORDER.index(current):
        raise Conflict(
            "a case moves forward only: received, acknowledged, assessing, investigating, closed",
            field="status",
        )
    if target == CaseStatus.CLOSED:
        if outcome not in OUTCOMES:
            raise InvalidInput("closing needs an outcome: " + ", ".join(OUTCOMES), field="outcome")
    elif outcome is not None:
        raise InvalidInput("only closing takes an outcome", field="outcome")
    return target


def change_status(
    session: Session,
    ctx: ServiceContext,
    handler_id: int,
    case_id: str,
    status: str,
    outcome: str | None = None,
) -> StatusChange:
    case = require_grant(session, handler_id, case_id)
    _move(session, ctx, handler_id, case, checked_transition(case.status, status, outcome), outcome)
    session.commit()
    _logged(case, handler_id)
    return StatusChange(case.id, case.status.value, case.outcome, case.next_deadline)


def _move(
    session: Session,
    ctx: ServiceContext,
    handler_id: int,
    case: Case,
    target: CaseStatus,
    outcome: str | None,
) -> None:
    """Put the case in `target` (already checked), set its deadlines and audit the change."""
    today = dates.today()
    if case.acknowledged_on is None and target != CaseStatus.RECEIVED:
        case.acknowledged_on = today
        case.feedback_by = dates.feedback_by(
            case.received_on, today, ctx.acknowledge_days, ctx.feedback_months
        )
    case.status = target
    if target == CaseStatus.CLOSED:
        case.outcome = outcome
        case.closed_on = today
        case.next_deadline = None
    else:
        case.next_deadline = (
            case.acknowledge_by if target == CaseStatus.RECEIVED else case.feedback_by
        )
    audit.append(
        session, handler_id, "status", case.id, target.value + (f":{outcome}" if outcome else "")
    )


def _logged(case: Case, handler_id: int) -> None:
    log.info(
        "case.status",
        extra={"case_id": case.id, "handler_id": handler_id, "status": case.status.value},
    )


def acknowledge_on_reply(
    session: Session, ctx: ServiceContext, handler_id: int, case: Case
) -> bool:
    """A handler's first reply to a case still "received" acknowledges it (the 7-day
    acknowledgement is met by that reply), audited as a status change of its own. The
    caller commits; True when the status moved."""
    if case.status != CaseStatus.RECEIVED:
        return False
    _move(session, ctx, handler_id, case, CaseStatus.ACKNOWLEDGED, None)
    return True


def add_reply(
    session: Session,
    ctx: ServiceContext,
    handler_id: int,
    case_id: str,
    sealed_body: bytes,
    seq: int,
) -> None:
    """A reply to the reporter, sealed under the case key in the handler's browser for the
    case's next message number `seq` (StaleSequence if another message took it). The first
    reply to a case still "received" acknowledges it."""
    _check_sealed(sealed_body, "sealed_body")
    case = require_grant(session, handler_id, case_id)
    sequence.require_next(seq, sequence.next_message_seq(session, case.id))
    sequence.insert(
        session,
        Message(
            case_id=case.id,
            author=Author.HANDLER,
            handler_id=handler_id,
            seq=seq,
            sealed_body=sealed_body,
            sent_on=dates.today(),
        ),
    )
    audit.append(session, handler_id, "reply", case.id)
    acknowledged = acknowledge_on_reply(session, ctx, handler_id, case)
    sequence.commit(session)
    if acknowledged:
        _logged(case, handler_id)


def add_note(session: Session, handler_id: int, case_id: str, sealed_body: bytes, seq: int) -> None:
    """An internal note sealed under the notes key (which the reporter never has) for the
    case's next note number `seq`. The case must have a notes key, and this handler a grant
    of it."""
    _check_sealed(sealed_body, "sealed_body")
    case, grant = released_grant(session, handler_id, case_id)
    if grant.sealed_notes_key is None:
        raise Conflict("this case has no notes key for you yet; reload the case", field="notes_key")
    sequence.require_next(seq, sequence.next_note_seq(session, case.id))
    sequence.insert(
        session,
        Note(
            case_id=case.id,
            handler_id=handler_id,
            seq=seq,
            sealed_body=sealed_body,
            written_on=dates.today(),
        ),
    )
    audit.append(session, handler_id, "note", case.id)
    sequence.commit(session)


def grant(
    session: Session,
    ctx: ServiceContext,
    handler_id: int,
    case_id: str,
    target_id: int,
    sealed_keys: bytes,
    sealed_notes_key: bytes | None = None,
) -> None:
    """A handler who holds the case key shares it with a colleague (grants made in-browser):
    the case key, and the notes key exactly when the case has one.

    A colleague who already holds the case but not its notes key (they were deactivated when
    the first handler made it, so it was granted to the others only) is given the notes key
    alone: their own case-key grant stays as it is."""
    if len(sealed_keys) != GRANT_BYTES:
        raise InvalidInput("the grant has the wrong size", field="sealed_keys")
    if sealed_notes_key is not None and len(sealed_notes_key) != GRANT_BYTES:
        raise InvalidInput("the notes-key grant has the wrong size", field="sealed_notes_key")
    case = require_grant(session, handler_id, case_id)
    notes_key.lock_case(session, case.id)
    if notes_key.exists(session, case.id) != (sealed_notes_key is not None):
        raise notes_key.holders_changed(
            "the case's notes key changed meanwhile; reload the case and share it again"
        )
    target = session.get(Handler, target_id)
    if target is None or not target.active or target.is_admin or target.desk_id is None:
        raise NotFound("no such handler", field="handler_id")
    if exclusions.is_excluded(session, ctx.keyring.pepper, case.id, target_id):
        # The reporter named this person: no key, ever, whoever asks.
        raise NotGranted("this person was excluded from this case by the reporter")
    _require_signed_colleague(session, ctx, target)
    existing = session.scalar(
        select(CaseGrant).where(CaseGrant.case_id == case.id, CaseGrant.handler_id == target_id)
    )
    if existing is not None and existing.released:
        if sealed_notes_key is None or existing.sealed_notes_key is not None:
            raise Conflict("this handler already has the case", field="handler_id")
        existing.sealed_notes_key = sealed_notes_key
        audit.append(session, handler_id, "grant", case.id, f"to:{target_id}")
        session.commit()
        return
    if existing is not None:
        existing.sealed_keys, existing.released = sealed_keys, True
        existing.sealed_notes_key = sealed_notes_key or existing.sealed_notes_key
    else:
        session.add(
            CaseGrant(
                case_id=case.id,
                handler_id=target_id,
                sealed_keys=sealed_keys,
                sealed_notes_key=sealed_notes_key,
                released=True,
                granted_on=dates.today(),
            )
        )
    audit.append(session, handler_id, "grant", case.id, f"to:{target_id}")
    session.commit()


def _require_signed_colleague(session: Session, ctx: ServiceContext, target: Handler) -> None:
    """The colleague's keys must be exactly their current, root-signed directory entry."""
    current = key_directory.trusted_entries(session, ctx.keys, dates.today())
    public = HandlerPublicKeys(target.x25519_public, target.mlkem_public)
    desk = target.desk.slug if target.desk else ""
    try:
        check_keys(current, target.id, desk, public)
    except KeyNotSigned as exc:
        raise KeysNotVerified(
            "this colleague's keys have no valid signed entry in the key directory; "
            "no grant was made"
        ) from exc


def escalate_overdue(session: Session, today: date | None = None) -> int:
    """Release held escalation grants of cases whose acknowledgement deadline has passed."""
    today = today or dates.today()
    overdue = list(
        session.scalars(
            select(Case).where(
                Case.status == CaseStatus.RECEIVED,
                Case.acknowledge_by < today,
                Case.escalated_on.is_(None),
            )
        )
    )
    for case in overdue:
        released = session.execute(
            update(CaseGrant)
            .where(CaseGrant.case_id == case.id, CaseGrant.released.is_(False))
            .values(released=True, granted_on=today)  # new to them today (digest counts it)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        case.escalated_on = today
        audit.append(session, None, "escalated", case.id, f"grants:{released}")
    session.commit()
    if overdue:
        log.info("cases.escalated", extra={"count": len(overdue)})
    return len(overdue)
