"""The hash-chained audit log: every handler and admin action, day-granular, content-free.

Each entry's hash covers the previous entry's hash and its own fields, so editing,
removing or reordering any row breaks every later link. The single `audit_head` row holds
the newest hash; appending updates it in the same transaction with a compare-and-set, so
concurrent writers cannot fork the chain.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("handlers.id"), default=None)
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(16), index=True, default=None)
    detail: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    count: Mapped[int] = mapped_column(Integer, default=0)
