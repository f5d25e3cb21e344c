"""Routing's snapshot: the policy, handlers and key directory are read once per change, not
once per submission, and every worker sees a change made by any other at once (the
version counter is bumped by database triggers in the writing transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text, update

from hotline import create_app, db, wiring
from hotline.models import CacheVersion, CaseGrant, Handler
from hotline.models.cache_version import ROUTING
from tests.key_tampering import set_key, swap_key
from tests.support import GENEROUS_LIMITS, config_for
from tests.support.world import World, build_world

pytestmark = pytest.mark.postgres
ROUTING_TABLES = ("desks", "categories", "category_desks", "handlers", "key_entries")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with build_world(request.param, tmp_path_factory.mktemp(f"snap-{request.param}")) as w:
        yield w


@pytest.fixture
def other(world: World) -> Iterator[Flask]:
    """A second worker: another app, its own engine and snapshot, the same database."""
    app = create_app(config_for(world.url, world.instance, **GENEROUS_LIMITS))
    yield app
    wiring.services(app).database.dispose()


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = wiring.services(app).database.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def submit(app: Flask, world: World, category: str = "fraud_accounting") -> set[int]:
    """A channel report; the ids of the handlers it was granted to."""
    reply = app.test_client().post(
        "/api/v1/channel/reports",
        json={"category": category, "body": "a report", "channel": "chat", "language": "en"},
        headers=world.auth(),
    )
    assert reply.status_code == 201, reply.json
    with app.app_context():
        return set(
            db.session().scalars(
                select(CaseGrant.handler_id).where(CaseGrant.case_id == reply.json["case_id"])
            )
        )


def reads_routing(seen: list[str]) -> bool:
    return any(f"from {table}" in s for s in seen for table in ROUTING_TABLES)


def version(app: Flask) -> int:
    with app.app_context():
        found = db.session().scalar(
            select(CacheVersion.version).where(CacheVersion.name == ROUTING)
        )
        assert found is not None
        return found


def test_a_submission_reads_routing_only_after_a_change(world: World) -> None:
    submit(world.app, world)
    with statements(world.app) as seen:
        submit(world.app, world)
    assert not reads_routing(seen), seen
    with world.app.app_context():
        session = db.session()
        # A write that changes nothing still moves the counter: the snapshot is read again.
        comp_one = world.handler_ids["comp.one"]
        session.execute(update(Handler).where(Handler.id == comp_one).values(active=True))
        session.commit()
    with statements(world.app) as seen:
        submit(world.app, world)
    assert reads_routing(seen)


def test_another_workers_change_is_seen_at_once(world: World, other: Flask) -> None:
    comp_two = world.handler_ids["comp.two"]
    assert comp_two in submit(world.app, world)
    assert comp_two in submit(other, world)
    with other.app_context():
        session = db.session()
        handler = session.get(Handler, comp_two)
        assert handler is not None
        handler.active = False
        session.commit()
    try:
        assert comp_two not in submit(world.app, world)
    finally:
        with other.app_context():
            session = db.session()
            session.execute(update(Handler).where(Handler.id == comp_two).values(active=True))
            session.commit()
    assert comp_two in submit(world.app, world)


def test_a_substituted_key_written_with_plain_sql_is_refused_at_once(
    world: World, other: Flask
) -> None:
    comp_one = world.handler_ids["comp.one"]
    assert comp_one in submit(world.app, world)
    with other.app_context():
        old = swap_key(db.session(), comp_one, "mlkem", rechain=False)
    try:
        assert comp_one not in submit(world.app, world)
        assert "routing.keys_not_signed" in world.logs.text
    finally:
        with other.app_context():
            set_key(db.session(), comp_one, "mlkem", old, rechain=False)
    assert comp_one in submit(world.app, world)


def test_the_counter_moves_on_routing_writes_only(world: World) -> None:
    comp_one = world.handler_ids["comp.one"]
    before = version(world.app)
    with world.app.app_context():
        session = db.session()
        # Sign-in and digest columns route nothing.
        session.execute(
            update(Handler).where(Handler.id == comp_one).values(display_name="Comp One")
        )
        session.commit()
    assert version(world.app) == before
    with world.app.app_context():
        session = db.session()
        session.execute(text("UPDATE desks SET name_en = name_en"))
        session.commit()
    assert version(world.app) > before


def test_the_key_directory_revalidates_with_a_304(world: World) -> None:
    web = world.app.test_client()
    first = web.get("/.well-known/hotline-keys")
    assert first.status_code == 200 and first.headers["ETag"]
    again = web.get("/.well-known/hotline-keys", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "no-cache"


def test_no_snapshot_is_kept_without_the_counter(tmp_path: Path) -> None:
    """A schema without the counter row (or table) routes from the tables every time."""
    with build_world("sqlite", tmp_path) as w:
        with w.app.app_context():
            session = db.session()
            session.execute(text("DELETE FROM cache_versions"))
            session.commit()
        submit(w.app, w)
        with statements(w.app) as seen:
            submit(w.app, w)
        assert reads_routing(seen)
