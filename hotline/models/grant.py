"""A hybrid-wrapped copy of a case's keys for one handler."""

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
    # Escalation grants are made at intake but held back until policy releases them.
    released: Mapped[bool] = mapped_column(Boolean, default=True)
    granted_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("case_id", "handler_id", name="uq_case_grants_case_handler"),
        # A handler's released grants, index-only: the console's count and its join.
        Index("ix_case_grants_handler_released_case", "handler_id", "released", "case_id"),
    )
