"""Case metadata for operators and handlers: never content."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Case, CaseGrant
from hotline.services.case_view import CaseView, case_fields


@dataclass(frozen=True)
class CaseSummary(CaseView):
    grants: int


def list_cases(session: Session, limit: int = 50, offset: int = 0) -> list[CaseSummary]:
    grants = (
        select(CaseGrant.case_id, func.count().label("n")).group_by(CaseGrant.case_id).subquery()
    )
    rows = session.execute(
        select(Case, func.coalesce(grants.c.n, 0))
        .outerjoin(grants, grants.c.case_id == Case.id)
        .order_by(Case.acknowledge_by, Case.id)
        .limit(limit)
        .offset(offset)
    )
    return [CaseSummary(**case_fields(c), grants=int(n)) for c, n in rows]
