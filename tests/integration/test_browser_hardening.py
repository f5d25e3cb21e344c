"""Issue 11 items 18 and 19 on the server side: the routing preview takes its options in a POST
body only; no test-only crypto helper is served; session cookies are Secure outside
development."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline import create_app
from tests.support import body, config_for
from tests.support.world import World

ROOT = Path(__file__).resolve().parents[2]


def test_routing_preview_takes_a_json_body(world: World) -> None:
    client = world.app.test_client()
    ids = world.handler_ids
    r = client.post(
        "/api/v1/routing",
        json={
            "category": "fraud_accounting",
            "external_only": False,
            "involves_executive": False,
            "excluded_handlers": [ids["comp.two"]],
        },
    )
    assert r.status_code == 200, r.data
    assert {x["handler_id"] for x in body(r)["recipients"]} == {ids["comp.one"], ids["audit.one"]}
    r = client.post("/api/v1/routing", json={"category": "fraud_accounting"})
    assert {x["handler_id"] for x in body(r)["recipients"]} == {
        ids["comp.one"],
        ids["comp.two"],
        ids["audit.one"],
    }


def test_routing_preview_refuses_a_query_string(world: World) -> None:
    client = world.app.test_client()
    query = {"category": "fraud_accounting", "exclude": str(world.handler_ids["comp.two"])}
    assert client.get("/api/v1/routing", query_string=query).status_code == 405
    # Options in the URL are not read even on a POST: the body is the only source.
    r = client.post("/api/v1/routing", query_string=query, json={"category": "harassment"})
    assert r.status_code == 200
    assert world.handler_ids["harass.one"] in {x["handler_id"] for x in body(r)["recipients"]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "nope"}, None),
        ({"category": "other", "excluded_handlers": ["x"]}, "excluded_handlers"),
        ({"category": "other", "involves_executive": "1"}, "involves_executive"),
        ({"category": "other", "surprise": 1}, "surprise"),
        ({}, "category"),
    ],
)
def test_routing_preview_refuses_bad_bodies(
    world: World, payload: dict[str, object], field: str | None
) -> None:
    r = world.app.test_client().post("/api/v1/routing", json=payload)
    assert r.status_code == 400 and r.is_json
    if field is None:
        assert body(r)["error"] == "unknown_category"
    else:
        assert body(r)["field"] == field


def test_no_test_only_crypto_helper_is_served(world: World) -> None:
    served = ROOT / "web" / "static"
    holders = [
        str(p.relative_to(ROOT))
        for p in served.rglob("*.js")
        if "sealWithFixedNonce" in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert holders == []
    client = world.app.test_client()
    assert client.get("/static/build/hotline-crypto.js").status_code == 404
    assert client.get("/static/build/console.js").status_code == 200


def session_cookie(app_config: dict[str, object]) -> str:
    app = create_app(app_config)
    client = app.test_client()
    client.get("/language/ja")
    cookies = [c for c in client.get("/").headers.getlist("Set-Cookie") if c.startswith("session=")]
    cookies += [
        c
        for c in client.get("/language/en").headers.getlist("Set-Cookie")
        if c.startswith("session=")
    ]
    assert cookies
    return cookies[0].lower()


def test_session_cookie_is_secure_outside_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_ENV", raising=False)
    monkeypatch.delenv("HOTLINE_COOKIE_SECURE", raising=False)
    staging = config_for("sqlite://", tmp_path / "staging", ENV="staging")
    assert "; secure" in session_cookie(staging)
    monkeypatch.setenv("HOTLINE_ENV", "staging")
    assert "; secure" in session_cookie(config_for("sqlite://", tmp_path / "staging-env"))
    monkeypatch.delenv("HOTLINE_ENV")
    # Development (the default, what `make run` serves on plain HTTP): no Secure flag...
    assert "; secure" not in session_cookie(config_for("sqlite://", tmp_path / "dev"))
    # ...unless asked for.
    monkeypatch.setenv("HOTLINE_COOKIE_SECURE", "1")
    assert "; secure" in session_cookie(config_for("sqlite://", tmp_path / "dev-secure"))
