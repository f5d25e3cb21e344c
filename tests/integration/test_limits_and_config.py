"""Rate limits (Redis-backed, with hashed keys), secrets on first run, headers, the token switch."""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
from pathlib import Path

import pytest
import redis

from crypto import receipts
from hotline import create_app, db, wiring
from tests.support import REDIS_URL, config_for, find_plaintext, raw_database_bytes
from tests.support.world import small_app

CLIENT_IP = "203.0.113.77"


def client_from(app, address: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_receipt_guessing_is_limited_in_redis_without_addresses(tmp_path: Path) -> None:
    prefix_db = 15
    prefix = "hotline-test-" + secrets.token_hex(6)  # never touch another run's counters
    app = small_app(
        tmp_path,
        RATELIMIT_STORAGE_URI=REDIS_URL.rsplit("/", 1)[0] + f"/{prefix_db}",
        RATELIMIT_KEY_PREFIX=prefix,
        RECEIPT_RATE_LIMIT="3 per minute",
        RECEIPT_GLOBAL_RATE_LIMIT="100 per minute",
    )
    store = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + f"/{prefix_db}")
    client = client_from(app, CLIENT_IP)
    auth = {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}
    statuses = [
        client.post(
            "/api/v1/channel/followup", json={"receipt": receipts.generate()}, headers=auth
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]
    limited = client.post(
        "/api/v1/channel/followup", json={"receipt": receipts.generate()}, headers=auth
    )
    assert limited.json["error"] == "rate_limited"
    assert "Retry-After" in limited.headers
    # Another conversation of a channel adapter has its own budget.
    other = client.post(
        "/api/v1/channel/followup",
        json={"receipt": receipts.generate()},
        headers={**auth, "X-Hotline-Session": "conversation-2"},
    )
    assert other.status_code == 404
    keys = [k.decode() for k in store.keys(f"*{prefix}*")]
    assert keys, "the limiter wrote nothing to Redis"
    dump = " ".join(keys) + " ".join(str(store.dump(k)) for k in keys)
    assert CLIENT_IP not in dump and "conversation-2" not in dump
    for key in keys:
        store.delete(key)


def test_global_limit_bounds_a_distributed_flood(tmp_path: Path) -> None:
    app = small_app(
        tmp_path, REPORT_RATE_LIMIT="100 per minute", REPORT_GLOBAL_RATE_LIMIT="4 per minute"
    )
    auth = {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}
    codes = []
    for i in range(6):
        client = client_from(app, f"198.51.100.{i}")
        codes.append(
            client.post(
                "/api/v1/channel/reports",
                headers=auth,
                json={"category": "other", "body": "flood", "channel": "web", "language": "en"},
            ).status_code
        )
    assert codes == [201, 201, 201, 201, 429, 429]


def test_concurrent_submissions_all_succeed(tmp_path: Path) -> None:
    """GlobaLeaks answers 40 % of concurrent submissions with 500; every one must land here."""
    app = small_app(tmp_path, REPORT_RATE_LIMIT="1000 per minute")
    auth = {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        r = app.test_client().post(
            "/api/v1/channel/reports",
            headers=auth,
            json={
                "category": "fraud_accounting",
                "body": f"parallel {i}",
                "channel": "web",
                "language": "en",
            },
        )
        with lock:
            results.append((r.status_code, r.json.get("case_id", "")))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in results] == [201] * 24
    assert len({c for _, c in results}) == 24


def test_secrets_generated_once_private_and_reused(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    a = create_app(config_for("sqlite://", instance))
    path = instance / "secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert set(stored) >= {"SECRET_KEY", "PEPPER", "CHANNEL_TOKEN", "RECEIPT_SALT"}
    b = create_app(config_for("sqlite://", instance))
    for name in ("SECRET_KEY", "PEPPER", "CHANNEL_TOKEN", "RECEIPT_SALT"):
        key = name.lower()
        assert getattr(wiring.settings(a), key) == getattr(wiring.settings(b), key) == stored[name]


def test_environment_overrides_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = secrets.token_hex(16)
    monkeypatch.setenv("HOTLINE_CHANNEL_TOKEN", token)
    app = create_app(config_for("sqlite://", tmp_path / "i"))
    assert wiring.settings(app).channel_token == token
    assert token not in (tmp_path / "i" / "secrets.json").read_text()


def test_channel_api_refuses_everything_without_token(tmp_path: Path) -> None:
    app = small_app(tmp_path, CHANNEL_TOKEN="")
    client = app.test_client()
    for path in (
        "/api/v1/channel/reports",
        "/api/v1/channel/followup",
        "/api/v1/channel/followup/messages",
    ):
        for headers in ({}, {"Authorization": "Bearer "}):
            r = client.post(path, json={"receipt": "x"}, headers=headers)
            assert r.status_code == 503
            assert r.json["error"] == "channel_api_disabled"


def test_security_headers_and_no_stack_traces(tmp_path: Path) -> None:
    app = small_app(tmp_path)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail 12345")

    client = app.test_client()
    for path in ("/api/v1/categories", "/nowhere", "/boom"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = client.get("/boom")
    assert r.status_code == 500
    assert "secret detail" not in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


def test_scan_detects_planted_plaintext(tmp_path: Path) -> None:
    """The plaintext scan is able to fail: plant a string and it must be found."""
    from sqlalchemy import text

    app = small_app(tmp_path)
    planted = f"planted {secrets.token_hex(6)}"
    with app.app_context():
        db.session().execute(
            text("UPDATE desks SET name_en = :n WHERE slug = 'compliance'"), {"n": planted}
        )
        db.session().commit()
    wiring.services(app).database.dispose()
    found = find_plaintext({"db": raw_database_bytes(wiring.settings(app).database_url)}, [planted])
    assert found


def test_hsts_only_over_https_behind_a_trusted_proxy(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    direct = small_app(tmp_path / "a")
    assert "Strict-Transport-Security" not in direct.test_client().get("/").headers
    forged = direct.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers  # no proxy trusted
    proxied = small_app(tmp_path / "b", PROXY_COUNT=1)
    response = proxied.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]
