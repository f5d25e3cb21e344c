"""Administrator pages: statistics, routing policy, accounts. Admins only, CSRF on every
form, every change audited, and never a word of any report on any page."""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, update
from werkzeug.datastructures import MultiDict

from hotline import db, wiring
from hotline.models import AuditEvent, Case, CaseGrant, Handler
from hotline.services import accounts, dates, handler_access, policy, stats, workflow
from hotline.services.errors import InvalidCredentials
from tests.support.console import note_through_services, session_epoch
from tests.support.world import ADMIN, HANDLERS, World, build_world

pytestmark = pytest.mark.postgres

PAGES = ("/admin", "/admin/", "/admin/routing", "/admin/handlers")


def signed_in(world: World, handler_id: int, is_admin: bool = True) -> FlaskClient:
    client = world.app.test_client()
    now = int(time.time())
    with client.session_transaction() as s:
        s.update(
            handler_id=handler_id,
            is_admin=is_admin,
            auth_at=now,
            seen_at=now,
            epoch=session_epoch(world, handler_id),
        )
    return client


def marker(world: World, label: str) -> str:
    return world.ledger.marker(label, "監査役の田中さん")


@pytest.fixture(params=["sqlite", "postgresql"])
def own_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[World, int]]:
    """A world of the test's own with an administrator, for figures and lists that count
    everything in the database."""
    with build_world(request.param, tmp_path) as w:
        with w.app.app_context():
            admin = accounts.create_handler(
                db.session(),
                wiring.services(w.app).context,
                ADMIN[0],
                None,
                ADMIN[1],
                "Hotline administrator",
                is_admin=True,
            )
        yield w, admin.handler_id


def submit(world: World, category: str, channel: str = "chat", **extra: Any) -> str:
    r = world.app.test_client().post(
        "/api/v1/channel/reports",
        json={
            "category": category,
            "body": marker(world, "admin journey"),
            "where": marker(world, "where"),
            "channel": channel,
            "language": "en",
            **extra,
        },
        headers=world.auth(),
    )
    assert r.status_code == 201, r.json
    case_id: str = r.json["case_id"]  # type: ignore[index]
    return case_id


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.data[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found
    return found.group(1)


def policy_form(world: World, token: str, **changes: Any) -> MultiDict[str, str]:
    """The routing form as the page submits it, from the current policy plus changes:
    categories={slug: [desks]}, desks={slug: {"active"|"executive"|"escalates": value}}."""
    with world.app.app_context():
        current = policy.current(db.session())
    categories: dict[str, list[str]] = changes.get("categories", {})
    desks: dict[str, dict[str, Any]] = changes.get("desks", {})
    items: list[tuple[str, str]] = [("csrf_token", token)]
    for c in current.categories:
        items.append(("category", c.slug))
        for desk in categories.get(c.slug, list(c.desks)):
            items.append((f"cat-{c.slug}", desk))
    for d in current.desks:
        items.append(("desk", d.slug))
        settings = desks.get(d.slug, {})
        if settings.get("active", d.active):
            items.append((f"active-{d.slug}", "1"))
        if settings.get("executive", d.receives_executive_cases):
            items.append((f"exec-{d.slug}", "1"))
        items.append((f"esc-{d.slug}", settings.get("escalates", d.escalates_to) or ""))
    return MultiDict(items)


def grants_of(world: World, case_id: str) -> dict[int, bool]:
    with world.app.app_context():
        rows = db.session().scalars(select(CaseGrant).where(CaseGrant.case_id == case_id))
        return {g.handler_id: g.released for g in rows}


def audit_rows(world: World, action: str) -> list[AuditEvent]:
    with world.app.app_context():
        return list(
            db.session().scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_only_administrators_get_in(world: World, admin_id: int) -> None:
    anonymous = world.app.test_client()
    for path in PAGES:
        r = anonymous.get(path)
        assert r.status_code == 302, path
        assert r.headers["Location"].startswith("/console/login")
    handler = signed_in(world, world.handler_ids["comp.one"], is_admin=False)
    for path in PAGES:
        assert handler.get(path).status_code == 403, path
    assert handler.post("/admin/routing", data={}).status_code in (400, 403)
    admin = signed_in(world, admin_id)
    for path in PAGES:
        r = admin.get(path)
        assert r.status_code == 200, path
        assert r.mimetype == "text/html"
        assert "<script" not in r.get_data(as_text=True)
    # An expired session is no session.
    stale = world.app.test_client()
    with stale.session_transaction() as s:
        s.update(
            handler_id=admin_id,
            is_admin=True,
            auth_at=1,
            seen_at=1,
            epoch=session_epoch(world, admin_id),
        )
    assert stale.get("/admin").status_code == 302


def test_forms_need_the_csrf_token(world: World, admin_id: int) -> None:
    admin = signed_in(world, admin_id)
    form = policy_form(world, "not-a-token")
    assert admin.post("/admin/routing", data=form).status_code == 400
    r = admin.post(f"/admin/handlers/{world.handler_ids['comp.two']}/active", data={"active": "0"})
    assert r.status_code == 400
    with world.app.app_context():
        assert db.session().get(Handler, world.handler_ids["comp.two"]).active  # type: ignore[union-attr]


def test_statistics_from_metadata(own_world: tuple[World, int]) -> None:
    world, admin_id = own_world
    made = [
        submit(world, "fraud_accounting", "web"),
        submit(world, "fraud_accounting", "chat"),
        submit(world, "harassment", "sms"),
        submit(world, "personal_information", "chat"),
    ]
    today = dates.today()
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
        handler_access.reply(session, ctx, who, made[0], marker(world, "handler reply"))
        workflow.change_status(session, ctx, who.handler_id, made[0], "acknowledged")
        workflow.change_status(session, ctx, who.handler_id, made[1], "closed", "unsubstantiated")
        note_through_services(session, ctx, who.handler_id, made[1], secrets.token_bytes(100))
    # Back-date so the medians have something to measure: 2 and 4 days to acknowledge,
    # 10 days to close; the personal-information case is overdue.
    engine = create_engine(world.url)
    table = Case.__table__
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.id == made[0])
            .values(received_on=today - timedelta(days=2), acknowledged_on=today)
        )
        conn.execute(
            update(table)
            .where(table.c.id == made[1])
            .values(received_on=today - timedelta(days=10), acknowledged_on=today - timedelta(6))
        )
        conn.execute(
            update(table).where(table.c.id == made[3]).values(next_deadline=today - timedelta(1))
        )
    engine.dispose()

    with world.app.app_context():
        figures = stats.compute(db.session())
    assert figures.total == 4 and figures.open == 3 and figures.closed == 1
    assert figures.overdue == 1
    assert dict(figures.by_category) == {
        "fraud_accounting": 2,
        "harassment": 1,
        "personal_information": 1,
    }
    assert dict(figures.by_channel) == {"web": 1, "chat": 2, "sms": 1}
    assert dict(figures.by_status)["closed"] == 1
    assert dict(figures.by_status)["acknowledged"] == 1
    assert dict(figures.by_status)["received"] == 2
    assert figures.median_days_to_acknowledge == 3.0  # 2 and 4
    assert figures.median_days_to_close == 10.0
    received = [today - timedelta(days=2), today - timedelta(days=10), today, today]
    expected = Counter(day.strftime("%Y-%m") for day in received)
    assert len(figures.by_month) == 12 and figures.by_month[-1][0] == today.strftime("%Y-%m")
    assert {k: v for k, v in figures.by_month if v} == dict(expected)

    page = signed_in(world, admin_id).get("/admin").get_data(as_text=True)
    assert '<dd id="stat-total">4</dd>' in page
    assert '<dd id="stat-overdue">1</dd>' in page
    assert "3 days" in page and "10 days" in page
    assert "Fraud or accounting irregularities" in page
    svg = re.search(r"<svg .*?</svg>", page, re.S)
    assert svg and svg.group(0).count("<rect") == 12
    assert "<script" not in page


def test_routing_policy_edit_is_validated_applied_and_audited(world: World, admin_id: int) -> None:
    admin = signed_in(world, admin_id)
    token = csrf(admin, "/admin/routing")
    before = audit_rows(world, "policy_changed")

    # Harassment reports now also go to compliance.
    form = policy_form(world, token, categories={"harassment": ["harassment", "compliance"]})
    r = admin.post("/admin/routing", data=form)
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/routing?saved=1")
    assert "The routing policy was saved." in admin.get(r.headers["Location"]).get_data(
        as_text=True
    )
    logged = audit_rows(world, "policy_changed")
    assert len(logged) == len(before) + 1
    assert logged[-1].actor_id == admin_id
    assert logged[-1].detail == "cat:harassment=compliance+harassment"
    case = submit(world, "harassment")
    ids = world.handler_ids
    assert grants_of(world, case) == {
        ids["harass.one"]: True,
        ids["comp.one"]: True,
        ids["comp.two"]: True,
        ids["audit.one"]: False,  # compliance escalates to the audit committee
    }

    # The same form again changes nothing and logs nothing.
    r = admin.post("/admin/routing", data=policy_form(world, token))
    assert r.headers["Location"].endswith("saved=0")
    assert len(audit_rows(world, "policy_changed")) == len(before) + 1

    refused = [
        ({"categories": {"bribery_corruption": []}}, "choose at least one active desk"),
        ({"desks": {"data_protection": {"active": False}}}, "choose at least one active desk"),
        ({"categories": {"other": ["ombudsperson"]}}, "only internal desks"),
        ({"desks": {"compliance": {"escalates": "compliance"}}}, "cannot escalate to itself"),
        ({"desks": {"compliance": {"escalates": "ombudsperson"}}}, "must go to an internal desk"),
        ({"categories": {"other": ["no_such_desk"]}}, "only internal desks"),
    ]
    with world.app.app_context():
        snapshot = policy.current(db.session())
    for changes, message in refused:
        r = admin.post("/admin/routing", data=policy_form(world, token, **changes))
        assert r.status_code == 400, changes
        assert message in r.get_data(as_text=True)
    stale = policy_form(world, token)
    stale.poplist("desk")
    r = admin.post("/admin/routing", data=stale)
    assert r.status_code == 400 and "reload the page" in r.get_data(as_text=True)
    with world.app.app_context():
        assert policy.current(db.session()) == snapshot

    # Desk settings: the ombudsperson desk off means external-only reports are refused;
    # harassment escalating to data protection instead of compliance.
    form = policy_form(
        world,
        token,
        categories={"harassment": ["harassment"]},
        desks={"ombudsperson": {"active": False}, "harassment": {"escalates": "data_protection"}},
    )
    assert admin.post("/admin/routing", data=form).status_code == 302
    assert audit_rows(world, "policy_changed")[-1].detail == (
        "cat:harassment=harassment;desk:harassment:escalates=data_protection;"
        "desk:ombudsperson:active=0"
    )
    r = world.app.test_client().post(
        "/api/v1/channel/reports",
        json={
            "category": "other",
            "body": "x" * 20,
            "channel": "chat",
            "language": "en",
            "external_only": True,
        },
        headers=world.auth(),
    )
    assert r.status_code == 503
    case = submit(world, "harassment")
    assert grants_of(world, case) == {ids["harass.one"]: True, ids["privacy.one"]: False}
    page = admin.get("/admin/routing").get_data(as_text=True)
    shown = re.search(r'id="active-ombudsperson"\s*(checked)?\s*aria-label', page)
    assert shown and shown.group(1) is None  # shown unticked
    shown = re.search(r'id="active-harassment"\s*(checked)?\s*aria-label', page)
    assert shown and shown.group(1) == "checked"

    # Back to the seeded policy.
    form = policy_form(
        world,
        token,
        desks={"ombudsperson": {"active": True}, "harassment": {"escalates": "compliance"}},
    )
    assert admin.post("/admin/routing", data=form).status_code == 302


def test_accounts_page_and_deactivation(own_world: tuple[World, int]) -> None:
    world, admin_id = own_world
    admin = signed_in(world, admin_id)
    page = admin.get("/admin/handlers").get_data(as_text=True)
    for username in [*HANDLERS, ADMIN[0]]:
        assert f"<strong>{username}</strong>" in page
    assert page.count("not set up") == len(HANDLERS) + 1  # nobody enrolled TOTP here
    token = csrf(admin, "/admin/handlers")
    target = world.handler_ids["comp.two"]

    r = admin.post(f"/admin/handlers/{target}/active", data={"csrf_token": token, "active": "0"})
    assert r.status_code == 302 and r.headers["Location"].endswith("done=deactivated")
    assert "The account was deactivated." in admin.get(r.headers["Location"]).get_data(as_text=True)
    logged = audit_rows(world, "handler_deactivated")
    assert [(e.actor_id, e.detail) for e in logged] == [(admin_id, f"handler:{target}")]
    with world.app.app_context():
        session = db.session()
        with pytest.raises(InvalidCredentials):
            handler_access.unlock(
                session,
                wiring.services(world.app).context,
                "comp.two",
                HANDLERS["comp.two"][1],
            )
    case = submit(world, "fraud_accounting")
    assert target not in grants_of(world, case)

    r = admin.post(f"/admin/handlers/{target}/active", data={"csrf_token": token, "active": "1"})
    assert r.status_code == 302
    assert [e.detail for e in audit_rows(world, "handler_activated")] == [f"handler:{target}"]
    case = submit(world, "fraud_accounting")
    assert grants_of(world, case)[target] is True

    # No locking oneself out, no nonsense.
    r = admin.post(f"/admin/handlers/{admin_id}/active", data={"csrf_token": token, "active": "0"})
    assert r.status_code == 409 and "your own account" in r.get_data(as_text=True)
    r = admin.post("/admin/handlers/999999/active", data={"csrf_token": token, "active": "0"})
    assert r.status_code == 404
    r = admin.post(f"/admin/handlers/{target}/active", data={"csrf_token": token, "active": "x"})
    assert r.status_code == 400
    with world.app.app_context():
        assert db.session().get(Handler, admin_id).active  # type: ignore[union-attr]


def test_admin_pages_never_show_content(world: World, admin_id: int) -> None:
    mine = [
        submit(world, category, channel)
        for category, channel in (
            ("fraud_accounting", "web"),
            ("harassment", "sms"),
            ("personal_information", "chat"),
        )
    ]
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
        handler_access.reply(session, ctx, who, mine[0], marker(world, "handler reply"))
    texts = world.ledger.texts  # this test's and every other one's sent so far
    admin = signed_in(world, admin_id)
    for path in PAGES:
        page = admin.get(path).get_data(as_text=True)
        for text in texts:
            assert text not in page, path
            for word in text.split():
                if len(word) == 16:  # a marker's random part
                    assert word not in page, path
    verify = world.app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_cli_creates_administrators_and_addresses(world: World) -> None:
    runner = world.app.test_cli_runner()
    password = "admin-two-password-5e!"
    result = runner.invoke(
        args=[
            "handlers",
            "create",
            "--username",
            "admin.two",
            "--admin",
            "--email",
            "admin.two@example.org",
            "--password-stdin",
        ],
        input=password + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created handler admin.two" in result.output and "on desk admin" in result.output
    result = runner.invoke(
        args=[
            "handlers",
            "create",
            "--username",
            "desk.three",
            "--desk",
            "compliance",
            "--email",
            "desk.three@example.org",
            "--password-stdin",
        ],
        input=password + "\n",
    )
    assert result.exit_code == 0, result.output
    with world.app.app_context():
        rows = {
            h.username: h
            for h in db.session().scalars(
                select(Handler).where(Handler.username.in_(["admin.two", "desk.three"]))
            )
        }
    assert rows["admin.two"].is_admin and rows["admin.two"].desk_id is None
    assert rows["admin.two"].email == "admin.two@example.org"
    assert not rows["desk.three"].is_admin and rows["desk.three"].desk_id is not None
    assert rows["desk.three"].email == "desk.three@example.org"

    both = runner.invoke(
        args=[
            "handlers",
            "create",
            "--username",
            "x.y",
            "--admin",
            "--desk",
            "compliance",
            "--password-stdin",
        ],
        input=password + "\n",
    )
    assert both.exit_code == 2 and "no desk" in both.output
    neither = runner.invoke(
        args=["handlers", "create", "--username", "x.y", "--password-stdin"],
        input=password + "\n",
    )
    assert neither.exit_code == 2 and "--desk" in neither.output
    bad = runner.invoke(
        args=[
            "handlers",
            "create",
            "--username",
            "x.y",
            "--desk",
            "compliance",
            "--email",
            "not an address",
            "--password-stdin",
        ],
        input=password + "\n",
    )
    assert bad.exit_code == 1 and "email address is not valid" in bad.output
    # Deactivate the new desk handler again so later modules' routing is unchanged.
    with world.app.app_context():
        accounts.set_active(
            db.session(),
            wiring.services(world.app).context.keys,
            rows["admin.two"].id,
            rows["desk.three"].id,
            False,
        )


def test_admin_pages_in_japanese(world: World, admin_id: int) -> None:
    admin = signed_in(world, admin_id)
    with admin.session_transaction() as s:
        s["lang"] = "ja"
    page = admin.get("/admin").get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert "統計" in page and "月ごとの受付件数" in page
    routing_page = admin.get("/admin/routing").get_data(as_text=True)
    assert "振り分けの方針" in routing_page and "コンプライアンス室" in routing_page
