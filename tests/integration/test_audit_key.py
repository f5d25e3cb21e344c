"""The audit chain is keyed from the pepper: a database writer who rewrites history with the
old public key (or any key but the pepper's) fails `audit verify`; a saved head catches even
a rewrite by someone holding the pepper; an old chain moves under the pepper once."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Connection, create_engine, delete, insert, select, update
from sqlalchemy.orm import Session

from hotline import db, wiring
from hotline.models import AuditEvent, AuditHead
from hotline.services import audit, handler_access, workflow
from tests.support.world import HANDLERS, World

EVENTS = AuditEvent.__table__
HEAD = AuditHead.__table__


def cli(world: World, *args: str) -> Result:
    return world.app.test_cli_runner().invoke(args=["audit", *args])


@contextmanager
def raw(world: World) -> Iterator[Connection]:
    """A connection of its own, outside the app: what a database writer has."""
    engine = create_engine(world.url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def act(world: World) -> None:
    """A report, and a handler opening, answering and acknowledging it: audit entries."""
    response = world.app.test_client().post(
        "/api/v1/channel/reports",
        json={
            "category": "fraud_accounting",
            "body": f"audit key {secrets.token_hex(4)}",
            "channel": "chat",
            "language": "en",
        },
        headers=world.auth(),
    )
    assert response.status_code == 201
    case_id = response.get_json()["case_id"]
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
        handler_access.open_case(session, who, case_id)
        handler_access.reply(session, ctx, who, case_id, "we are on it")
        workflow.change_status(session, ctx, who.handler_id, case_id, "acknowledged")


@contextmanager
def rewritten(world: World, key: bytes) -> Iterator[None]:
    """Change one entry's detail and recompute every later link and the head under `key`,
    as a database writer would; put the original rows back afterwards."""
    with raw(world) as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(EVENTS).order_by(EVENTS.c.id))]
        head = dict(conn.execute(select(HEAD)).one()._mapping)
    assert len(rows) >= 6
    target = len(rows) // 2
    prev = rows[target]["prev_hash"]
    with raw(world) as conn:
        conn.execute(delete(EVENTS).where(EVENTS.c.id >= rows[target]["id"]))
        for i, row in enumerate(rows[target:]):
            detail = "nothing happened here" if i == 0 else row["detail"]
            new = audit.entry_hash(
                key, prev, row["day"], row["actor_id"], row["action"], row["case_id"], detail
            )
            conn.execute(
                insert(EVENTS).values({**row, "detail": detail, "prev_hash": prev, "hash": new})
            )
            prev = new
        conn.execute(update(HEAD).values(hash=prev))
    try:
        yield
    finally:
        with raw(world) as conn:
            conn.execute(delete(EVENTS).where(EVENTS.c.id >= rows[target]["id"]))
            for row in rows[target:]:
                conn.execute(insert(EVENTS).values(row))
            conn.execute(update(HEAD).values(hash=head["hash"], count=head["count"]))


@pytest.fixture(scope="module")
def history(world: World) -> None:
    for _ in range(2):
        act(world)
    assert cli(world, "verify").exit_code == 0


def pepper_key(world: World) -> bytes:
    return audit.chain_key(wiring.services(world.app).context.keyring.pepper)


def test_a_rewrite_under_the_old_public_key_fails_verify(world: World, history: Any) -> None:
    with rewritten(world, audit.LEGACY_KEY):
        result = cli(world, "verify")
        assert result.exit_code == 1, result.output
        assert "entry altered" in result.output
    assert cli(world, "verify").exit_code == 0


def test_a_rewrite_with_the_pepper_is_caught_by_a_saved_head(world: World, history: Any) -> None:
    printed = cli(world, "head")
    assert printed.exit_code == 0
    line = printed.output.splitlines()[1]
    count, digest = line.split(":")
    assert int(count) >= 6 and len(bytes.fromhex(digest)) == 32
    with rewritten(world, pepper_key(world)):
        # Whoever holds the pepper can rebuild a chain that verifies on its own ...
        assert cli(world, "verify").exit_code == 0
        # ... but not one that holds the head kept elsewhere.
        result = cli(world, "verify", "--head", line)
        assert result.exit_code == 1 and "saved head" in result.output, result.output
    assert cli(world, "verify", "--head", line).exit_code == 0


def test_a_saved_head_still_holds_after_new_entries(world: World, history: Any) -> None:
    line = cli(world, "head").output.splitlines()[1]
    act(world)
    result = cli(world, "verify", "--head", line)
    assert result.exit_code == 0 and "holds the saved head" in result.output
    assert cli(world, "verify", "--head", "12:zz").exit_code == 2  # not a head: usage error


def test_an_old_chain_is_moved_under_the_pepper_once(world: World, history: Any) -> None:
    with raw(world) as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(EVENTS).order_by(EVENTS.c.id))]
        head = dict(conn.execute(select(HEAD)).one()._mapping)
        prev = audit.GENESIS
        for row in rows:  # as the previous version wrote it: under the public constant
            new = audit.entry_hash(
                audit.LEGACY_KEY,
                prev,
                row["day"],
                row["actor_id"],
                row["action"],
                row["case_id"],
                row["detail"],
            )
            conn.execute(
                update(EVENTS).where(EVENTS.c.id == row["id"]).values(prev_hash=prev, hash=new)
            )
            prev = new
        conn.execute(update(HEAD).values(hash=prev))
    try:
        refused = cli(world, "verify")
        assert refused.exit_code == 1 and "audit rekey" in refused.output
        moved = cli(world, "rekey")
        assert moved.exit_code == 0, moved.output
        assert cli(world, "verify").exit_code == 0
        assert cli(world, "rekey").exit_code == 1  # only an intact old chain moves
    finally:
        with raw(world) as conn:
            for row in rows:
                conn.execute(
                    update(EVENTS)
                    .where(EVENTS.c.id == row["id"])
                    .values(prev_hash=row["prev_hash"], hash=row["hash"])
                )
            conn.execute(update(HEAD).values(hash=head["hash"], count=head["count"]))
    assert cli(world, "verify").exit_code == 0


def test_a_session_without_the_key_cannot_append(world: World) -> None:
    engine = create_engine(world.url)
    try:
        with Session(engine) as session, pytest.raises(audit.AuditKeyMissing):
            audit.append(session, None, "login")
    finally:
        engine.dispose()
