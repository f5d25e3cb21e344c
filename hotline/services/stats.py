"""Statistics for administrators, from metadata only: never a key, never ciphertext.

Everything is counted in the database (GROUP BY), so the page costs a handful of small
queries at any number of cases; medians come from a histogram of whole days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from hotline.models import Case, CaseStatus, Channel
from hotline.services import dates


class DaysBetween(FunctionElement[int]):
    """Whole days from the first date to the second, on SQLite and PostgreSQL alike."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(DaysBetween, "sqlite")
def _days_sqlite(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)}) AS INTEGER)"
    )


@compiles(DaysBetween)
def _days_default(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@dataclass(frozen=True)
class Statistics:
    total: int
    open: int
    overdue: int
    by_category: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    by_month: list[tuple[str, int]]  # "YYYY-MM", oldest first, the last `months` months
    median_days_to_acknowledge: float | None
    median_days_to_close: float | None
    acknowledged: int
    closed: int


def median_of_histogram(histogram: list[tuple[int, int]]) -> float | None:
    """Median of values given as (value, how many), in any order."""
    items = sorted((int(v), int(n)) for v, n in histogram if n > 0)
    total = sum(n for _, n in items)
    if total == 0:
        return None

    def nth(index: int) -> int:
        seen = 0
        for value, n in items:
            seen += n
            if index < seen:
                return value
        return items[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def _grouped(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column))
    return {str(getattr(key, "value", key)): int(n) for key, n in rows}


def _histogram(session: Session, start: Any, end: Any) -> list[tuple[int, int]]:
    days: ColumnElement[int] = DaysBetween(start, end)
    rows = session.execute(select(days, func.count()).where(end.is_not(None)).group_by(days))
    return [(int(d), int(n)) for d, n in rows if d is not None]


def month_keys(today: date, months: int) -> list[str]:
    keys = []
    year, month = today.year, today.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def compute(session: Session, today: date | None = None, months: int = 12) -> Statistics:
    today = today or dates.today()
    by_category = _grouped(session, Case.category)
    by_channel = _grouped(session, Case.channel)
    by_status = _grouped(session, Case.status)
    first_month = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    # Grouped by day (an index-only scan, no date function per row), summed by month here.
    per_month: dict[str, int] = {}
    for day, n in session.execute(
        select(Case.received_on, func.count())
        .where(Case.received_on >= first_month)
        .group_by(Case.received_on)
    ):
        key = f"{day.year:04d}-{day.month:02d}"
        per_month[key] = per_month.get(key, 0) + int(n)
    overdue = int(
        session.scalar(
            select(func.count()).where(Case.status != CaseStatus.CLOSED, Case.next_deadline < today)
        )
        or 0
    )
    ack = _histogram(session, Case.received_on, Case.acknowledged_on)
    close = _histogram(session, Case.received_on, Case.closed_on)
    session.rollback()
    total = sum(by_status.values())
    closed = by_status.get(CaseStatus.CLOSED.value, 0)
    return Statistics(
        total=total,
        open=total - closed,
        overdue=overdue,
        by_category=sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])),
        by_channel=[(c.value, by_channel.get(c.value, 0)) for c in Channel],
        by_status=[(s.value, by_status.get(s.value, 0)) for s in CaseStatus],
        by_month=[(key, per_month.get(key, 0)) for key in month_keys(today, months)],
        median_days_to_acknowledge=median_of_histogram(ack),
        median_days_to_close=median_of_histogram(close),
        acknowledged=sum(n for _, n in ack),
        closed=closed,
    )
