"""Every kind of bad input gets a clear JSON error and leaves the stored data unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hotline import db
from hotline.models import Case, CaseGrant, Message
from tests.support.world import World

pytestmark = pytest.mark.postgres

GOOD = {
    "category": "fraud_accounting",
    "body": "bad-input test body",
    "channel": "sms",
    "language": "ja",
}


def counts(world: World) -> tuple[int, int, int]:
    with world.app.app_context():
        s = db.session()
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(m)) for m in (Case, CaseGrant, Message)
        )


@pytest.fixture
def receipt(world: World) -> str:
    r = world.app.test_client().post("/api/v1/channel/reports", json=GOOD, headers=world.auth())
    assert r.status_code == 201
    return str(r.json["receipt"])


REPORT_CASES: list[tuple[str, dict[str, Any], int, str]] = [
    ("missing body", {k: v for k, v in GOOD.items() if k != "body"}, 400, "invalid_input"),
    ("missing category", {k: v for k, v in GOOD.items() if k != "category"}, 400, "invalid_input"),
    ("unknown category", {**GOOD, "category": "nope"}, 400, "unknown_category"),
    ("unknown channel", {**GOOD, "channel": "fax"}, 400, "invalid_input"),
    ("unknown language", {**GOOD, "language": "fr"}, 400, "invalid_input"),
    ("unknown field", {**GOOD, "ip": "1.2.3.4"}, 400, "invalid_input"),
    ("empty body", {**GOOD, "body": "   "}, 400, "invalid_input"),
    ("body not text", {**GOOD, "body": ["x"]}, 400, "invalid_input"),
    ("body over limit", {**GOOD, "body": "x" * 20_001}, 400, "invalid_input"),
    ("control characters", {**GOOD, "body": "a\x00b"}, 400, "invalid_input"),
    ("bad excluded list", {**GOOD, "excluded_handlers": ["x"]}, 400, "invalid_input"),
    ("short idempotency key", {**GOOD, "idempotency_key": "abc"}, 400, "invalid_input"),
]


@pytest.mark.parametrize(
    ("label", "payload", "status", "code"), REPORT_CASES, ids=[c[0] for c in REPORT_CASES]
)
def test_report_errors(
    world: World, label: str, payload: dict[str, Any], status: int, code: str
) -> None:
    before = counts(world)
    r = world.app.test_client().post("/api/v1/channel/reports", json=payload, headers=world.auth())
    assert r.status_code == status, (label, r.json)
    assert r.json["error"] == code
    assert r.json["message"]
    assert counts(world) == before


def test_transport_errors(world: World) -> None:
    client = world.app.test_client()
    before = counts(world)
    cases = [
        (
            dict(data="{not json", content_type="application/json", headers=world.auth()),
            400,
            "malformed_json",
        ),
        (
            dict(data="[1, 2]", content_type="application/json", headers=world.auth()),
            400,
            "malformed_json",
        ),
        (
            dict(
                data="category=fraud",
                content_type="application/x-www-form-urlencoded",
                headers=world.auth(),
            ),
            415,
            "unsupported_media_type",
        ),
        (dict(json=GOOD), 401, "unauthorized"),
        (dict(json=GOOD, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized"),
        (dict(json=GOOD, headers={"Authorization": f"Basic {world.token}"}), 401, "unauthorized"),
        (
            dict(data="x" * 600_000, content_type="application/json", headers=world.auth()),
            413,
            "request_entity_too_large",
        ),
    ]
    for kwargs, status, code in cases:
        r = client.post("/api/v1/channel/reports", **kwargs)
        assert r.status_code == status, (kwargs.get("headers"), r.status_code, r.data[:200])
        assert r.json["error"] == code
        assert "Traceback" not in r.get_data(as_text=True)
    assert counts(world) == before


def test_followup_errors(world: World, receipt: str) -> None:
    client = world.app.test_client()
    before = counts(world)
    digits = receipt.replace(" ", "")
    wrong_digit = str((int(digits[0]) + 1) % 10) + digits[1:]
    # A different receipt with a valid check digit: right format, no case.
    from crypto import receipts as receipt_codes

    other = receipt_codes.generate()
    cases = [
        ("/api/v1/channel/followup", {"receipt": other}, 404, "receipt_not_found"),
        ("/api/v1/channel/followup", {"receipt": wrong_digit}, 400, "invalid_receipt"),
        ("/api/v1/channel/followup", {"receipt": "12345"}, 400, "invalid_receipt"),
        ("/api/v1/channel/followup", {}, 400, "invalid_input"),
        ("/api/v1/channel/followup", {"receipt": 1234}, 400, "invalid_input"),
        (
            "/api/v1/channel/followup/messages",
            {"receipt": other, "body": "hello"},
            404,
            "receipt_not_found",
        ),
        ("/api/v1/channel/followup/messages", {"receipt": receipt}, 400, "invalid_input"),
        (
            "/api/v1/channel/followup/messages",
            {"receipt": receipt, "body": ""},
            400,
            "invalid_input",
        ),
        (
            "/api/v1/channel/followup/messages",
            {"receipt": receipt, "body": "y" * 20_001},
            400,
            "invalid_input",
        ),
    ]
    for path, payload, status, code in cases:
        r = client.post(path, json=payload, headers=world.auth())
        assert r.status_code == status, (path, payload, r.json)
        assert r.json["error"] == code
    assert counts(world) == before


def test_unknown_route_and_method(world: World) -> None:
    client = world.app.test_client()
    assert client.get("/api/v1/nothing").json["error"] == "not_found"
    assert client.get("/api/v1/channel/reports").status_code == 405
