"""Day-granular dates and the EU Directive deadlines."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta


def today() -> date:
    return datetime.now(UTC).date()


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def acknowledge_by(received: date, days: int) -> date:
    return received + timedelta(days=days)


def feedback_by(received: date, acknowledged: date | None, ack_days: int, months: int) -> date:
    """Three months from acknowledgement, or from the end of the acknowledgement window."""
    start = acknowledged if acknowledged is not None else acknowledge_by(received, ack_days)
    return add_months(start, months)
