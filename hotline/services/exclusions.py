"""Conflict-of-interest exclusions as peppered tags: checkable, never listable."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.pepper import Pepper
from hotline.models import CaseExclusion


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
