"""`flask audit verify`: actions leave entries; any edit or removal in the raw database is
found, and reported at the entry where the chain stops holding."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Connection, create_engine, delete, func, insert, select, update

from hotline import db, wiring
from hotline.models import AuditEvent
from hotline.services import handler_access, workflow
from tests.support.world import HANDLERS, World

pytestmark = pytest.mark.postgres


def verify(world: World) -> Result:
    return world.app.test_cli_runner().invoke(args=["audit", "verify"])


@contextmanager
def raw(world: World) -> Iterator[Connection]:
    """A connection of its own, outside the app: what someone with database access has."""
    engine = create_engine(world.url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


EVENTS = AuditEvent.__table__


def entries(world: World) -> list[dict[str, Any]]:
    with raw(world) as conn:
        return [dict(r._mapping) for r in conn.execute(select(EVENTS).order_by(EVENTS.c.id))]


def put_back(world: World, row: dict[str, Any]) -> None:
    with raw(world) as conn:
        conn.execute(insert(EVENTS).values(**row))


@pytest.fixture(scope="module")
def journeys(world: World) -> list[dict[str, Any]]:
    """A few real actions: a report, a handler opening and answering it, a status change."""
    client = world.app.test_client()
    made = []
    for _ in range(2):
        r = client.post(
            "/api/v1/channel/reports",
            json={
                "category": "fraud_accounting",
                "body": f"audit journey {secrets.token_hex(6)}",
                "channel": "chat",
                "language": "en",
            },
            headers=world.auth(),
        )
        assert r.status_code == 201, r.json
        made.append(r.json)
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
        for case in made:
            handler_access.open_case(session, who, case["case_id"])
            handler_access.reply(session, ctx, who, case["case_id"], "we are looking into it")
            workflow.change_status(session, ctx, who.handler_id, case["case_id"], "acknowledged")
    return made


def test_actions_are_logged_and_the_chain_verifies(world: World, journeys: Any) -> None:
    with world.app.app_context():
        session = db.session()
        actions = [
            (e.action, e.case_id, e.actor_id)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
        count = session.scalar(select(func.count()).select_from(AuditEvent))
    comp_one = world.handler_ids["comp.one"]
    for case in journeys:
        for action in ("view", "reply", "status"):
            assert (action, case["case_id"], comp_one) in actions
    result = verify(world)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"audit chain ok: {count} entries"


@pytest.mark.parametrize("column", ["detail", "day"])
def test_editing_one_row_breaks_the_chain_at_that_row(
    world: World, journeys: Any, column: str
) -> None:
    rows = entries(world)
    assert len(rows) >= 6
    target = rows[len(rows) // 2]
    if column == "detail":
        new_value: Any = target["detail"] + "x"
    else:
        new_value = target["day"] - timedelta(days=1)
    with raw(world) as conn:
        conn.execute(update(EVENTS).where(EVENTS.c.id == target["id"]).values({column: new_value}))
    try:
        result = verify(world)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"audit chain broken at entry {target['id']}: ")
        assert "entry altered" in result.output
    finally:
        with raw(world) as conn:
            conn.execute(
                update(EVENTS).where(EVENTS.c.id == target["id"]).values({column: target[column]})
            )
    assert verify(world).exit_code == 0


def test_deleting_a_row_breaks_the_chain_where_it_was(world: World, journeys: Any) -> None:
    rows = entries(world)
    victim, following = rows[len(rows) // 2], rows[len(rows) // 2 + 1]
    with raw(world) as conn:
        conn.execute(delete(EVENTS).where(EVENTS.c.id == victim["id"]))
    try:
        result = verify(world)
        assert result.exit_code == 1, result.output
        # The first entry that no longer holds is the one right after the removed row; the
        # message names the missing one.
        assert result.output.startswith(f"audit chain broken at entry {following['id']}: ")
        assert f"entry {victim['id']} is missing" in result.output
    finally:
        put_back(world, victim)
    assert verify(world).exit_code == 0


def test_deleting_the_newest_row_is_found_too(world: World, journeys: Any) -> None:
    newest = entries(world)[-1]
    with raw(world) as conn:
        conn.execute(delete(EVENTS).where(EVENTS.c.id == newest["id"]))
    try:
        result = verify(world)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"audit chain broken at entry {newest['id']}: ")
        assert "missing at the end" in result.output
    finally:
        put_back(world, newest)
    assert verify(world).exit_code == 0
