"""A handler's hybrid-wrapped copies of a case's keys.

`sealed_keys` is the case key's grant, made at intake (or by a colleague). `sealed_notes_key`
is the notes key's grant: no reporter path makes one; the first handler who needs notes makes
the notes key in the console and grants it to every current holder at once, so it is either
set on every active holder's row or on none. Each grant is bound to its case, its recipient
and its kind (crypto/grants.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class CaseGrant(Base):
    __tablename__ = "case_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    handler_id: Mapped[int] = mapped_column(ForeignKey("handlers.id"))
    sealed_keys: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_notes_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Escalation grants are made at intake but held back until policy releases them.
    released: Mapped[bool] = mapped_column(Boolean, default=True)
    granted_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("case_id", "handler_id", name="uq_case_grants_case_handler"),
        # A handler's released grants, index-only: the console's count and its join.
        Index("ix_case_grants_handler_released_case", "handler_id", "released", "case_id"),
    )
