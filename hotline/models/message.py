"""A message on a case, from the reporter or a handler, encrypted under the case key."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, LargeBinary, String
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
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
    sent_on: Mapped[date] = mapped_column(Date)
