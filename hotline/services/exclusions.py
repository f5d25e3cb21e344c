"""Conflict-of-interest exclusions as peppered tags: checkable, never listable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.pepper import Pepper
from hotline.models import CaseExclusion, Handler


def tag(pepper: Pepper, case_id: str, handler_id: int) -> bytes:
    return pepper.tag("exclusion", f"{case_id}:{handler_id}".encode("ascii"))


def rows(pepper: Pepper, case_id: str, handler_ids: Iterable[int]) -> list[CaseExclusion]:
    return [CaseExclusion(case_id=case_id, tag=tag(pepper, case_id, h)) for h in set(handler_ids)]


def is_excluded(session: Session, pepper: Pepper, case_id: str, handler_id: int) -> bool:
    found = session.scalar(
        select(CaseExclusion.case_id).where(
            CaseExclusion.case_id == case_id,
            CaseExclusion.tag == tag(pepper, case_id, handler_id),
        )
    )
    return found is not None


@dataclass(frozen=True)
class Excludable:
    id: int
    name: str
    role: str


def excludable_handlers(session: Session) -> list[Excludable]:
    """The people a reporter may exclude: active handlers who can receive cases (an
    administrator receives none, so listing one would offer a choice that does nothing)."""
    # The three columns only (every form page runs this): no Handler objects with their keys.
    rows = session.execute(
        select(Handler.id, Handler.display_name, Handler.role)
        .where(Handler.active.is_(True), Handler.is_admin.is_(False))
        .order_by(Handler.display_name)
    )
    return [Excludable(id_, name, role) for id_, name, role in rows]
