"""The EU Directive's deadlines on day-granular dates: acknowledge within 7 days of receipt,
feedback within 3 months of acknowledgement (or of the end of the acknowledgement window);
month ends clamp, leap years count, and nothing stored is finer than a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import DateTime, Time

from hotline.models import Base
from hotline.services import dates
from hotline.services.context import ServiceContext


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 3, 15), 3, date(2026, 6, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # across the year end, clamped
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),
        (date(2026, 5, 31), 3, date(2026, 8, 31)),  # a 31st stays a 31st where there is one
        (date(2026, 10, 15), 3, date(2027, 1, 15)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 7, 4), 0, date(2026, 7, 4)),
    ],
)
def test_add_months_clamps_to_the_end_of_shorter_months(
    start: date, months: int, expected: date
) -> None:
    assert dates.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (date(2026, 3, 2), date(2026, 3, 9)),
        (date(2026, 1, 28), date(2026, 2, 4)),  # across a month end
        (date(2026, 12, 28), date(2027, 1, 4)),  # across a year end
        (date(2028, 2, 25), date(2028, 3, 3)),  # through a leap day
        (date(2027, 2, 25), date(2027, 3, 4)),
    ],
)
def test_acknowledgement_is_due_seven_days_after_receipt(received: date, expected: date) -> None:
    assert dates.acknowledge_by(received, 7) == expected


def test_feedback_runs_three_months_from_acknowledgement() -> None:
    received = date(2026, 11, 20)
    acknowledged = date(2026, 11, 30)
    assert dates.feedback_by(received, acknowledged, 7, 3) == date(2027, 2, 28)
    # Acknowledged on the day of receipt: three months from that day.
    assert dates.feedback_by(received, received, 7, 3) == date(2027, 2, 20)


def test_feedback_without_acknowledgement_counts_from_the_end_of_the_window() -> None:
    # Not yet acknowledged: the directive's three months start when the 7 days run out.
    received = date(2026, 1, 24)
    assert dates.feedback_by(received, None, 7, 3) == date(2026, 4, 30)
    assert dates.feedback_by(date(2026, 11, 24), None, 7, 3) == date(2027, 3, 1)


def test_the_defaults_are_the_directives() -> None:
    defaults = ServiceContext.__dataclass_fields__
    assert defaults["acknowledge_days"].default == 7
    assert defaults["feedback_months"].default == 3


def test_today_is_a_utc_day_not_a_moment() -> None:
    today = dates.today()
    assert type(today) is date  # a datetime is a date too: the exact type matters
    assert abs((today - datetime.now(UTC).date()).days) <= 1


def test_no_stored_column_is_finer_than_a_day() -> None:
    """No table has a timestamp or time-of-day column: the dates that can be tied to a case
    (received, acknowledged, closed, sent, granted, audited) are days."""
    fine = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, DateTime | Time)
    }
    # Twilio's retry window: minutes, on a row with no case id, purged once the window passes.
    assert fine <= {"sms_deliveries.reply_until"}
    assert "case_id" not in {c.name for c in Base.metadata.tables["sms_deliveries"].columns}
    day_columns = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.type.python_type is date
    }
    assert {"cases.received_on", "cases.acknowledge_by", "audit_events.day"} <= day_columns
