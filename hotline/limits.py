"""Rate limiting with hashed keys: counters never hold a client address or token."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter

CHANNEL_SESSION_HEADER = "X-Hotline-Session"


def client_key() -> str:
    """Per-client key: the adapter's conversation id if a channel sent one, else the address.

    Either way only a keyed hash reaches the limiter's storage.
    """
    source = request.headers.get(CHANNEL_SESSION_HEADER) or request.remote_addr or "unknown"
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, source.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def global_key() -> str:
    return "all"


def make_limiter(app: Flask) -> Limiter:
    limiter = Limiter(
        key_func=client_key,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        headers_enabled=True,
        key_prefix="hotline",
    )
    return limiter


def configured(name: str) -> str:
    value: str = current_app.config[name]
    return value
