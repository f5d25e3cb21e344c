"""SMS bookkeeping: retry de-duplication, opt-outs and the Twilio deletion queue.

No phone number, message body or MessageSid is stored in the clear: the number only as a
keyed pseudonym, the MessageSid as a peppered tag, and the reply we gave (which may carry a
receipt) sealed under a key derived from the pepper and the MessageSid, for Twilio's retry
window only (`reply_until`; the row then keeps its tag and day) — see
hotline/services/sms_records.py for every lifetime.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class SmsDelivery(Base):
    __tablename__ = "sms_deliveries"

    sid_tag: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    sealed_reply: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # When the retry answer is erased (minutes after it was given); NULL once it is.
    reply_until: Mapped[datetime | None] = mapped_column(DateTime, default=None, index=True)
    day: Mapped[date] = mapped_column(Date, index=True)


class SmsOptOut(Base):
    __tablename__ = "sms_optouts"

    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)


class TwilioDeletion(Base):
    """A message body to delete at Twilio; the SID sealed under the pepper."""

    __tablename__ = "twilio_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sealed_sid: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[date] = mapped_column(Date)
