"""Conflict-of-interest exclusions, kept as peppered tags: the server can check whether a
handler is excluded from a case (and refuse any later grant) without listing who was named."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class CaseExclusion(Base):
    __tablename__ = "case_exclusions"

    case_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
