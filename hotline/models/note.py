"""A handlers-only internal note, encrypted under the case's notes key (never the reporter's).

Like messages, notes are numbered from 0 per case (`seq`, unique with the case id) and the
sealed body is bound to the case, its author and that number."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    handler_id: Mapped[int] = mapped_column(ForeignKey("handlers.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
    written_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_notes_case_seq"),)
