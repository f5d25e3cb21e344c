"""Rate limiting with hashed keys: counters never hold a client address, a token or a time.

- Fixed windows: Redis holds one number per key and window, never the times of requests.
- Client keys are HMACs under a random key of the day, shared by the workers through the
  expiring store and gone at midnight UTC. Nothing configured (not SECRET_KEY, not the
  pepper) can recompute yesterday's keys from a list of addresses.
- Budgets shared by every client (the global ones) are spent only by requests that did work
  worth counting; a flood of refused input cannot lock genuine reporters out.
"""

from __future__ import annotations

import hashlib
import hmac
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter, RouteLimit

from hotline import wiring
from hotline.config import Settings

CHANNEL_SESSION_HEADER = "X-Hotline-Session"


def _authenticated_channel() -> bool:
    expected = wiring.settings().channel_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    )


def client_key() -> str:
    """Per-client key: a channel adapter's conversation id (only when the request carries the
    channel token, so nobody else can mint fresh budgets), else the client address.

    Either way only a keyed hash reaches the limiter's storage.
    """
    session_id = request.headers.get(CHANNEL_SESSION_HEADER)
    if session_id and _authenticated_channel():
        source = "channel:" + session_id
    else:
        source = request.remote_addr or "unknown"
    return day_hash(source)


def day_hash(source: str | bytes) -> str:
    """A limiter key: `source` under today's key (see `key_of_the_day`)."""
    raw = source.encode("utf-8", "replace") if isinstance(source, str) else source
    return hmac.new(key_of_the_day(), raw, hashlib.sha256).hexdigest()[:32]


# Today's key as read from the shared store, kept by each worker for a minute at most and
# never past its day. Reason: reading it costs two Redis round trips, and every request
# that hashes a client (limits, the receipt throttle) would pay them. The store stays the
# one source: a key is set there once per day (set-if-absent) and never changes, so a copy
# only goes stale if Redis loses it (a restart); the minute bounds how long two workers can
# then hash one client apart.
DAY_KEY_SECONDS = 60.0
_day_keys: weakref.WeakKeyDictionary[Any, tuple[str, float, bytes]] = (
    weakref.WeakKeyDictionary()
)


def key_of_the_day() -> bytes:
    """Today's random key for client hashes, made by the first worker that needs it and kept
    in the shared store until midnight UTC, never longer."""
    now = datetime.now(UTC)
    day = now.date().isoformat()
    store = wiring.services().kv
    held = _day_keys.get(store)
    if held is not None and held[0] == day and monotonic() - held[1] < DAY_KEY_SECONDS:
        return held[2]
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, UTC)
    key = store.secret(f"limiter-key:{day}", int((midnight - now).total_seconds()) + 1)
    _day_keys[store] = (day, monotonic(), key)
    return key


def did_work(response: Response) -> bool:
    """Whether a request did work that a global budget pays for: it was accepted (2xx), or it
    ran a receipt through Argon2id and found nothing (404). Refused input, refused
    credentials and throttled requests cost nothing and spend nothing."""
    return response.status_code < 400 or response.status_code == 404


def global_key() -> str:
    return "all"


def global_budget(limiter: Limiter, setting: Callable[[], str], scope: str) -> RouteLimit:
    """A budget shared by every client: checked before each request, spent after it only
    when the request did work (`did_work`). `setting` gives the limit (read per request)."""
    return limiter.shared_limit(setting, scope=scope, key_func=global_key, deduct_when=did_work)


@dataclass(frozen=True)
class ReporterLimits:
    """The limits every reporter-facing surface (the pages and the browser's JSON API)
    shares: per client, and the global budgets every client spends together."""

    page: RouteLimit
    report: RouteLimit
    report_global: RouteLimit
    receipt: RouteLimit
    receipt_global: RouteLimit


def reporter_limits(limiter: Limiter) -> ReporterLimits:
    return ReporterLimits(
        page=limiter.limit(lambda: wiring.settings().page_rate_limit),
        report=limiter.limit(lambda: wiring.settings().report_rate_limit),
        report_global=global_budget(
            limiter, lambda: wiring.settings().report_global_rate_limit, "report-global"
        ),
        receipt=limiter.limit(lambda: wiring.settings().receipt_rate_limit),
        receipt_global=global_budget(
            limiter, lambda: wiring.settings().receipt_global_rate_limit, "receipt-global"
        ),
    )


def make_limiter(app: Flask, settings: Settings) -> Limiter:
    """Flask-Limiter reads RATELIMIT_ENABLED from app.config (Settings.flask_config)."""
    return Limiter(
        key_func=client_key,
        app=app,
        storage_uri=settings.limiter_storage_uri,
        strategy="fixed-window",
        headers_enabled=True,
        key_prefix=settings.ratelimit_key_prefix,
    )
