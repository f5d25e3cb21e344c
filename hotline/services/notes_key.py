"""The case's notes key: no reporter path makes one; the first handler who needs notes does.

That handler's console makes a random notes key and grants it (bound to the case, each
recipient and the kind `notes-key`, crypto/grants.py) to every current holder of the case
key at once: each active desk handler with a grant row on the case, held escalation targets
included, so the key is on every such row or on none. The server checks the set of
recipients as it does for a colleague's grant (exactly the current holders, never a handler
the reporter excluded) and stores the grants in one transaction.

Two consoles making the notes key at once: the case row is locked first (a no-op update,
which PostgreSQL serialises per row and SQLite per database), so the second one finds the
first one's key and gets `NotesKeyExists` (409); its console reloads the case and uses the
first key. A colleague's grant takes the same lock, so a grant and the notes key cannot
cross either (a new holder always gets the notes key when the case has one). A holder who was
deactivated when the key was made is left out (no key goes to a deactivated account); once
back, a colleague gives them the notes key alone (`workflow.grant`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto.grants import GRANT_BYTES
from hotline.models import Case, CaseGrant, Handler
from hotline.services import audit, exclusions
from hotline.services.context import ServiceContext
from hotline.services.errors import (
    HoldersChanged,
    InvalidInput,
    NoSuchCase,
    NotesKeyExists,
    NotGranted,
)

log = logging.getLogger("hotline.workflow")


def lock_case(session: Session, case_id: str) -> None:
    """Take the case's write lock until commit (serialises notes-key and grant changes)."""
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(status=Case.status)
        .execution_options(synchronize_session=False)
    )


def exists(session: Session, case_id: str) -> bool:
    found = session.scalar(
        select(CaseGrant.id)
        .where(CaseGrant.case_id == case_id, CaseGrant.sealed_notes_key.is_not(None))
        .limit(1)
    )
    return found is not None


def holders(session: Session, case_id: str) -> list[CaseGrant]:
    """The case's current holders: grant rows of active desk handlers (held ones too)."""
    return list(
        session.scalars(
            select(CaseGrant)
            .join(Handler, Handler.id == CaseGrant.handler_id)
            .where(
                CaseGrant.case_id == case_id,
                Handler.active.is_(True),
                Handler.is_admin.is_(False),
                Handler.desk_id.is_not(None),
            )
            .order_by(CaseGrant.handler_id)
        )
    )


def holders_changed(message: str) -> HoldersChanged:
    return HoldersChanged(message, field="grants")


def create(
    session: Session,
    ctx: ServiceContext,
    handler_id: int,
    case_id: str,
    grants: Mapping[int, bytes],
) -> None:
    """Store the notes key's grants, one per current holder, made in `handler_id`'s console."""
    for sealed in grants.values():
        if len(sealed) != GRANT_BYTES:
            raise InvalidInput("a notes-key grant has the wrong size", field="grants")
    case = session.get(Case, case_id)
    if case is None:
        raise NoSuchCase()
    lock_case(session, case.id)
    rows = holders(session, case.id)
    if not any(r.handler_id == handler_id and r.released for r in rows):
        raise NoSuchCase()  # the same answer as an unknown id (issue 11 item 24)
    if exists(session, case.id):
        session.rollback()
        raise NotesKeyExists(
            "a colleague made this case's notes key first; reload the case", field="grants"
        )
    pepper = ctx.keyring.pepper
    for target in grants:
        if exclusions.is_excluded(session, pepper, case.id, target):
            session.rollback()
            raise NotGranted("this person was excluded from this case by the reporter")
    if set(grants) != {r.handler_id for r in rows}:
        session.rollback()
        raise holders_changed(
            "the notes key must be granted to exactly the case's current holders; reload the "
            "case and try again"
        )
    for row in rows:
        row.sealed_notes_key = grants[row.handler_id]
    audit.append(session, handler_id, "notes_key", case.id, f"holders:{len(rows)}")
    session.commit()
    log.info("case.notes_key", extra={"case_id": case.id, "handler_id": handler_id})
