"""Whole journeys through the channel API, on SQLite and PostgreSQL (the world scans for
every text and receipt sent here when the module ends)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import select

from hotline import db, wiring
from hotline.models import Case, CaseGrant
from hotline.services import handler_access
from hotline.services.errors import NotGranted
from tests.support import receipt_forms
from tests.support.world import HANDLERS, World

pytestmark = pytest.mark.postgres


def marker(world: World, label: str) -> str:
    return world.ledger.marker(label)


def submit(world: World, category: str = "fraud_accounting", **extra: Any) -> dict[str, Any]:
    body = {
        "category": category,
        "body": marker(world, "report body"),
        "channel": "chat",
        "language": "en",
        **extra,
    }
    response = world.app.test_client().post(
        "/api/v1/channel/reports", json=body, headers=world.auth()
    )
    assert response.status_code == 201, response.json
    data: dict[str, Any] = response.json  # type: ignore[assignment]
    world.ledger.receipt(data["receipt"])
    data["body"] = body["body"]
    return data


def open_as(world: World, username: str, case_id: str) -> handler_access.HandlerCase:
    with world.app.app_context():
        session = db.session()
        who = handler_access.unlock(
            session, wiring.services(world.app).context, username, HANDLERS[username][1]
        )
        return handler_access.open_case(session, who, case_id)


def test_report_followup_and_handler_reply(world: World) -> None:
    client = world.app.test_client()
    where = marker(world, "where")
    case = submit(world, where=where)
    assert case["case_id"].startswith("HL-")
    assert len(case["receipt"].replace(" ", "")) == 16

    reporter_note = marker(world, "reporter follow-up")
    r = client.post(
        "/api/v1/channel/followup/messages",
        json={"receipt": case["receipt"], "body": reporter_note},
        headers=world.auth(),
    )
    assert r.status_code == 201

    seen = open_as(world, "comp.one", case["case_id"])
    assert seen.report["fields"]["what_happened"] == case["body"]
    assert seen.report["fields"]["where"] == where
    assert [m.body for m in seen.messages] == [reporter_note]

    answer = marker(world, "handler answer")
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, "audit.one", HANDLERS["audit.one"][1])
        handler_access.reply(session, ctx, who, case["case_id"], answer)

    # The receipt works with or without spaces, with dashes too.
    for form in receipt_forms(case["receipt"]):
        r = client.post("/api/v1/channel/followup", json={"receipt": form}, headers=world.auth())
        assert r.status_code == 200, r.json
        assert r.json["case_id"] == case["case_id"]
        assert r.json["status"] == "acknowledged"  # the handler's first reply acknowledged it
        assert [(m["author"], m["body"]) for m in r.json["messages"]] == [
            ("reporter", reporter_note),
            ("handler", answer),
        ]


def test_only_routed_handlers_hold_grants(world: World) -> None:
    case = submit(world, category="harassment")
    with world.app.app_context():
        grants = (
            db.session()
            .scalars(select(CaseGrant).where(CaseGrant.case_id == case["case_id"]))
            .all()
        )
    released = {g.handler_id for g in grants if g.released}
    held = {g.handler_id for g in grants if not g.released}
    assert released == {world.handler_ids["harass.one"]}
    # The harassment desk escalates to compliance: their grants exist but are held back.
    assert held == {world.handler_ids["comp.one"], world.handler_ids["comp.two"]}
    assert (
        open_as(world, "harass.one", case["case_id"]).report["fields"]["what_happened"]
        == case["body"]
    )
    for outsider in ("comp.one", "audit.one", "privacy.one", "ombuds.one"):
        with pytest.raises(NotGranted):
            open_as(world, outsider, case["case_id"])


def test_conflict_of_interest_and_external_only(world: World) -> None:
    excluded = world.handler_ids["comp.two"]
    case = submit(world, excluded_handlers=[excluded])
    with world.app.app_context():
        granted = set(
            db.session().scalars(
                select(CaseGrant.handler_id).where(CaseGrant.case_id == case["case_id"])
            )
        )
    assert excluded not in granted
    assert granted == {world.handler_ids["comp.one"], world.handler_ids["audit.one"]}
    with pytest.raises(NotGranted):
        open_as(world, "comp.two", case["case_id"])

    external = submit(world, external_only=True)
    with world.app.app_context():
        granted = set(
            db.session().scalars(
                select(CaseGrant.handler_id).where(CaseGrant.case_id == external["case_id"])
            )
        )
    assert granted == {world.handler_ids["ombuds.one"]}
    assert (
        open_as(world, "ombuds.one", external["case_id"]).report["fields"]["what_happened"]
        == external["body"]
    )


def test_excluded_handler_cannot_open_any_grant_with_full_database(world: World) -> None:
    """Even with every grant row in hand, an excluded handler's keys open none of them."""
    case = submit(world, excluded_handlers=[world.handler_ids["comp.two"]])
    with world.app.app_context():
        session = db.session()
        who = handler_access.unlock(
            session, wiring.services(world.app).context, "comp.two", HANDLERS["comp.two"][1]
        )
        from crypto.errors import DecryptionError
        from crypto.grants import CASE_KEY, GrantFor, open_grant

        rows = session.scalars(select(CaseGrant).where(CaseGrant.case_id == case["case_id"]))
        for grant in rows:
            for handler_id in (grant.handler_id, who.handler_id):
                about = GrantFor(CASE_KEY, case["case_id"], handler_id)
                with pytest.raises(DecryptionError):
                    open_grant(grant.sealed_keys, who.private, about)


def test_cli_decrypt_for_offline_ombudsperson(world: World) -> None:
    case = submit(world, external_only=True)
    runner = world.app.test_cli_runner()
    result = runner.invoke(
        args=["cases", "decrypt", case["case_id"], "--username", "ombuds.one", "--password-stdin"],
        input=HANDLERS["ombuds.one"][1] + "\n",
    )
    assert result.exit_code == 0, result.output
    assert case["body"] in result.output

    refused = runner.invoke(
        args=["cases", "decrypt", case["case_id"], "--username", "comp.one", "--password-stdin"],
        input=HANDLERS["comp.one"][1] + "\n",
    )
    assert refused.exit_code != 0
    assert case["body"] not in refused.output

    wrong = runner.invoke(
        args=["cases", "decrypt", case["case_id"], "--username", "ombuds.one", "--password-stdin"],
        input="not the password\n",
    )
    assert wrong.exit_code != 0
    assert "wrong password" in wrong.output

    listing = runner.invoke(args=["cases", "list"])
    assert case["case_id"] in listing.output
    assert case["body"] not in listing.output


def test_idempotent_retry_makes_one_case(world: World) -> None:
    key = secrets.token_hex(24)
    first = submit(world, idempotency_key=key)
    client = world.app.test_client()
    again = client.post(
        "/api/v1/channel/reports",
        headers=world.auth(),
        json={
            "category": "fraud_accounting",
            "body": first["body"],
            "channel": "chat",
            "language": "en",
            "idempotency_key": key,
        },
    )
    assert again.status_code == 200
    assert again.json["case_id"] == first["case_id"]
    assert again.json["receipt"] == first["receipt"]
    with world.app.app_context():
        assert db.session().get(Case, first["case_id"]) is not None
