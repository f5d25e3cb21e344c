"""Rate limiting with hashed keys: counters never hold a client address or token."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter

CHANNEL_SESSION_HEADER = "X-Hotline-Session"


def _authenticated_channel() -> bool:
    expected = str(current_app.config.get("CHANNEL_TOKEN") or "")
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
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, source.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def global_key() -> str:
    return "all"


def storage_uri(config: Mapping[str, Any]) -> str:
    """Where the limiter counts: its own setting, else the shared Redis, else memory."""
    return str(config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://")


def make_limiter(app: Flask) -> Limiter:
    limiter = Limiter(
        key_func=client_key,
        app=app,
        storage_uri=storage_uri(app.config),
        strategy="moving-window",
        headers_enabled=True,
        key_prefix=str(app.config.get("RATELIMIT_KEY_PREFIX", "hotline")),
    )
    return limiter


def configured(name: str) -> str:
    value: str = current_app.config[name]
    return value
