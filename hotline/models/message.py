"""A message on a case, from the reporter or a handler, encrypted under the case key.

`seq` numbers a case's messages from 0 in the order they were accepted; the sealed body is
bound to it, to the case and to its author (crypto/sealing.py), and (case_id, seq) is unique,
so two writers racing for one number cannot both succeed."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class Author(enum.StrEnum):
    REPORTER = "reporter"
    HANDLER = "handler"


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[Author] = mapped_column(
        Enum(Author, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("handlers.id"), default=None)
    seq: Mapped[int] = mapped_column(Integer)
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
    sent_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_messages_case_seq"),)
