"""What the rate limiter and the receipt throttle leave in Redis, and what may spend a global
budget (issue 11 items 4, 17 and 21).

- Counters are fixed windows: a number per key and window, never a list of request times.
- Client keys are hashed with a random key of the day, kept in Redis only until midnight UTC:
  with SECRET_KEY alone nobody can recompute a client's key from an address.
- A valid receipt does not wipe its client's count of wrong ones; only time does.
- Requests refused for bad input, before any costly work, spend no global budget.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from crypto import receipts
from hotline import wiring
from hotline.kv import MemoryStore
from hotline.services import throttle as throttle_module
from hotline.services.throttle import ReceiptThrottle, Throttled
from tests.support import REDIS_URL, body, client_at
from tests.support.world import small_app

REDIS_15 = REDIS_URL.rsplit("/", 1)[0] + "/15"
CLIENT_IP = "203.0.113.91"


@pytest.fixture
def redis_app(tmp_path: Path) -> Iterator[tuple[Flask, redis.Redis, str]]:
    """An app whose limiter counters and shared state live in Redis, under a fresh prefix."""
    prefix = "hotline-test-" + secrets.token_hex(6)
    app = small_app(
        tmp_path,
        RATELIMIT_STORAGE_URI=REDIS_15,
        RATELIMIT_KEY_PREFIX=prefix,
        REDIS_URL=REDIS_15,
        REDIS_PREFIX=f"{prefix}:kv:",
        # Concurrent runs share the key of the day and so a client's throttle: keep it out.
        RECEIPT_FREE_FAILURES=1000,
        RECEIPT_RATE_LIMIT="5 per minute",
        REPORT_RATE_LIMIT="5 per minute",
    )
    store = redis.Redis.from_url(REDIS_15)
    try:
        yield app, store, prefix
    finally:
        for key in store.keys(f"*{prefix}*"):
            store.delete(key)
        store.close()


def channel(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}


def report(client: FlaskClient, app: Flask, **changes: Any) -> int:
    payload = {"category": "other", "body": "a report", "channel": "web", "language": "en"}
    payload.update(changes)
    return client.post("/api/v1/channel/reports", json=payload, headers=channel(app)).status_code


def test_limiter_keeps_counters_not_request_times(
    redis_app: tuple[Flask, redis.Redis, str],
) -> None:
    app, store, prefix = redis_app
    client = client_at(app, CLIENT_IP)
    for _ in range(3):
        r = client.post(
            "/api/v1/channel/followup", json={"receipt": receipts.generate()}, headers=channel(app)
        )
        assert r.status_code == 404
        assert report(client, app) == 201
    keys = store.keys(f"*LIMITER/{prefix}/*")
    assert keys, "the limiter wrote nothing to Redis"
    for key in keys:
        kind = store.type(key).decode()
        assert kind == "string", (key, kind)  # a moving window keeps a list of times
        value = int(store.get(key) or b"0")
        assert 0 < value <= 3, (key, value)
        assert 0 < store.ttl(key) <= 60, key  # the window's length at most


def test_client_keys_use_a_key_of_the_day_not_the_secret_key(
    redis_app: tuple[Flask, redis.Redis, str],
) -> None:
    app, store, prefix = redis_app
    client = client_at(app, CLIENT_IP)
    assert report(client, app) == 201
    names = " ".join(k.decode() for k in store.keys(f"*{prefix}*"))
    secret = wiring.settings(app).secret_key.encode()
    from_secret = hmac.new(secret, CLIENT_IP.encode(), hashlib.sha256).hexdigest()
    assert from_secret[:16] not in names, "a client key anyone with SECRET_KEY can recompute"
    assert CLIENT_IP not in names
    # The key of the day is random, shared through Redis, and gone at midnight UTC.
    [day_key] = [k for k in store.keys(f"{prefix}:kv:limiter-key:*")]
    today = datetime.now(UTC).date()
    assert day_key.decode().endswith(today.isoformat())
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
    assert 0 < store.ttl(day_key) <= (midnight - datetime.now(UTC)).total_seconds() + 2
    key = store.get(day_key)
    assert key is not None and len(key) == 32 and secret not in key
    from_day = hmac.new(key, CLIENT_IP.encode(), hashlib.sha256).hexdigest()[:32]
    assert from_day in names, "the limiter hashes with the key of the day"


def test_a_valid_receipt_does_not_reset_the_wrong_receipt_count(tmp_path: Path) -> None:
    app = small_app(
        tmp_path,
        RECEIPT_FREE_FAILURES=2,
        RECEIPT_RATE_LIMIT="100 per minute",
        RECEIPT_GLOBAL_RATE_LIMIT="1000 per minute",
    )
    client = client_at(app, CLIENT_IP)
    own = body(
        client.post(
            "/api/v1/channel/reports",
            json={"category": "other", "body": "mine", "channel": "web", "language": "en"},
            headers=channel(app),
        )
    )["receipt"]

    def follow(receipt: str) -> int:
        return client.post(
            "/api/v1/channel/followup", json={"receipt": receipt}, headers=channel(app)
        ).status_code

    assert [follow(receipts.generate()) for _ in range(2)] == [404, 404]  # the free failures
    assert follow(own) == 200
    # Today's code forgot the two failures here; the third wrong receipt must be delayed.
    assert follow(receipts.generate()) == 404
    assert follow(receipts.generate()) == 429


def test_failures_fade_with_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(throttle_module.time, "time", lambda: now[0])
    throttle = ReceiptThrottle(MemoryStore(), free_failures=2, max_delay=300, window=3600)
    for _ in range(3):
        throttle.failed("client")
    with pytest.raises(Throttled):
        throttle.check("client")
    now[0] += 1800  # half a window: the delay is over, the failures are not forgotten
    throttle.check("client")
    throttle.failed("client")
    with pytest.raises(Throttled):
        throttle.check("client")
    now[0] += 3600 + 300  # a whole window after the last failure: all faded out
    throttle.check("client")
    throttle.failed("client")
    throttle.failed("client")
    throttle.check("client")  # two free failures again


def test_a_flood_of_invalid_posts_spends_no_global_budget(tmp_path: Path) -> None:
    """130 invalid posts from 13 addresses (the attack that locked every channel out for a
    minute), then a genuine report and a genuine follow-up: both go through."""
    app = small_app(
        tmp_path,
        REPORT_RATE_LIMIT="10 per minute",
        REPORT_GLOBAL_RATE_LIMIT="20 per minute",
        RECEIPT_RATE_LIMIT="10 per minute",
        RECEIPT_GLOBAL_RATE_LIMIT="20 per minute",
    )
    invalid_reports = [
        {"category": "other"},  # no body
        {"category": "no-such", "body": "x", "channel": "web", "language": "en"},
        {"category": "other", "body": "x", "channel": "fax", "language": "en"},
        {"category": "other", "body": "x" * 10**6, "channel": "web", "language": "en"},
        {"category": "other", "body": "x", "channel": "web", "language": "en", "extra": 1},
    ]
    statuses = []
    for n in range(13):
        flooder = client_at(app, f"198.51.100.{n + 10}")
        for i in range(5):
            r = flooder.post(
                "/api/v1/channel/reports", json=invalid_reports[i], headers=channel(app)
            )
            statuses.append(r.status_code)
            # A receipt with a wrong check digit is refused before any Argon2id run.
            r = flooder.post(
                "/api/v1/channel/followup",
                json={"receipt": "1234 5678 9012 3456"},
                headers=channel(app),
            )
            statuses.append(r.status_code)
        flooder.post("/report", data={"category": "other"})  # the no-JavaScript form
    assert len(statuses) == 130 and 429 not in statuses and 201 not in statuses
    genuine = client_at(app, "192.0.2.200")
    r = genuine.post(
        "/api/v1/channel/reports",
        json={"category": "other", "body": "genuine", "channel": "web", "language": "en"},
        headers=channel(app),
    )
    assert r.status_code == 201, r.data
    r = genuine.post(
        "/api/v1/channel/followup", json={"receipt": body(r)["receipt"]}, headers=channel(app)
    )
    assert r.status_code == 200, r.data


def test_accepted_work_still_spends_the_global_budget(tmp_path: Path) -> None:
    app = small_app(
        tmp_path, REPORT_RATE_LIMIT="100 per minute", REPORT_GLOBAL_RATE_LIMIT="3 per minute"
    )
    codes = [report(client_at(app, f"198.51.100.{i}"), app) for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
