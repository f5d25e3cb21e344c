"""A case: metadata the server may see, and ciphertext it cannot read.

Dates are days, never times. The primary key is a random public id, not a sequence.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.attachment import Attachment
from hotline.models.base import Base
from hotline.models.grant import CaseGrant
from hotline.models.message import Message


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class Channel(enum.StrEnum):
    WEB = "web"
    CHAT = "chat"
    SMS = "sms"


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ASSESSING = "assessing"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=8, values_callable=_values)
    )
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[CaseStatus] = mapped_column(
        Enum(CaseStatus, native_enum=False, length=16, values_callable=_values),
        default=CaseStatus.RECEIVED,
    )
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    external_only: Mapped[bool] = mapped_column(default=False)
    involves_executive: Mapped[bool] = mapped_column(default=False)
    received_on: Mapped[date] = mapped_column(Date)
    acknowledge_by: Mapped[date] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date, default=None)
    feedback_by: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    # The nearest open deadline (acknowledgement, then feedback); None once closed.
    next_deadline: Mapped[date | None] = mapped_column(Date, default=None)
    escalated_on: Mapped[date | None] = mapped_column(Date, default=None)
    purge_warned_on: Mapped[date | None] = mapped_column(Date, default=None)
    sealed_report: Mapped[bytes] = mapped_column(LargeBinary)
    lookup_tag: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    reporter_wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Peppered tag of a channel adapter's idempotency key, so a retried submission
    # returns the first case instead of creating a second one.
    idempotency_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    idempotent_receipt: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    grants: Mapped[list[CaseGrant]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Attachment.added_on",
        lazy="raise",
    )
    messages: Mapped[list[Message]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Message.seq", lazy="raise"
    )

    # The console lists a handler's cases by nearest deadline, open ones (next_deadline set)
    # first, then closed ones by id; with or without a filter, each page walks one of these
    # in order (see bench/case_list.py). The last one lets the statistics read dates only.
    __table_args__ = (
        Index("ix_cases_status_ack", "status", "acknowledge_by"),
        Index("ix_cases_deadline_id", "next_deadline", "id"),
        Index("ix_cases_status_deadline_id", "status", "next_deadline", "id"),
        Index("ix_cases_category_deadline_id", "category", "next_deadline", "id"),
        Index("ix_cases_channel_deadline_id", "channel", "next_deadline", "id"),
        Index("ix_cases_received_dates", "received_on", "acknowledged_on", "closed_on"),
    )
