"""The console's case list pages through exactly the order it promises, nearest deadline
first, closed cases (no deadline) last, with every filter, across the open/closed seam."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, select, update

from hotline import db
from hotline.models import Case, CaseGrant
from hotline.services import console, dates
from tests.support.world import World

pytestmark = pytest.mark.postgres

FAR = date(9999, 12, 31)
CATEGORIES = ("fraud_accounting", "other", "safety_environment")


@pytest.fixture(scope="module")
def made(world: World) -> list[str]:
    client = world.app.test_client()
    ids = []
    for i in range(37):
        r = client.post(
            "/api/v1/channel/reports",
            json={
                "category": CATEGORIES[i % 3],
                "body": f"ordering case {i}",
                "channel": ("web", "chat", "sms")[i % 2],
                "language": "en",
            },
            headers=world.auth(),
        )
        assert r.status_code == 201, r.json
        ids.append(r.json["case_id"])  # type: ignore[index]
    rng = random.Random(7)
    today = dates.today()
    table = Case.__table__
    engine = create_engine(world.url)
    with engine.begin() as conn:
        for case_id in ids:
            roll = rng.random()
            if roll < 0.3:  # closed: no deadline
                values = {
                    "status": "closed",
                    "outcome": "not_actionable",
                    "closed_on": today,
                    "next_deadline": None,
                }
            else:  # deadlines in a narrow range, so many cases share a day
                status = rng.choice(["received", "assessing", "investigating"])
                values = {
                    "status": status,
                    "next_deadline": today + timedelta(days=rng.randint(-3, 3)),
                }
            conn.execute(update(table).where(table.c.id == case_id).values(**values))
    engine.dispose()
    return ids


def walk(world: World, handler_id: int, filters: console.Filters, size: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    with world.app.app_context():
        while True:
            page = console.list_cases(db.session(), handler_id, filters, cursor, size)
            assert len(page.rows) <= size
            seen += [r.case_id for r in page.rows]
            assert page.total == len(expected(world, handler_id, filters))
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


def expected(world: World, handler_id: int, filters: console.Filters) -> list[str]:
    today = dates.today()
    with world.app.app_context():
        session = db.session()
        mine = set(
            session.scalars(
                select(CaseGrant.case_id).where(
                    CaseGrant.handler_id == handler_id, CaseGrant.released.is_(True)
                )
            )
        )
        rows = [c for c in session.scalars(select(Case)) if c.id in mine]
    rows = [
        c
        for c in rows
        if (not filters.status or c.status.value == filters.status)
        and (not filters.category or c.category == filters.category)
        and (not filters.channel or c.channel.value == filters.channel)
        and (not filters.overdue_only or (c.next_deadline is not None and c.next_deadline < today))
    ]
    return [c.id for c in sorted(rows, key=lambda c: (c.next_deadline or FAR, c.id))]


@pytest.mark.parametrize("size", [1, 4, 7, 100])
@pytest.mark.parametrize(
    "filters",
    [
        console.Filters(),
        console.Filters(status="closed"),
        console.Filters(status="assessing"),
        console.Filters(category="other"),
        console.Filters(channel="chat"),
        console.Filters(overdue_only=True),
        console.Filters(category="fraud_accounting", overdue_only=True),
    ],
    ids=["all", "closed", "assessing", "category", "channel", "overdue", "fraud-overdue"],
)
def test_pages_follow_the_promised_order(
    world: World, made: list[str], filters: console.Filters, size: int
) -> None:
    handler_id = world.handler_ids["comp.one"]
    want = expected(world, handler_id, filters)
    assert walk(world, handler_id, filters, size) == want
    if filters == console.Filters():
        assert len(want) == len(made)  # comp.one holds every case of these categories
