"""Small helpers for requests and JSON bodies."""

from __future__ import annotations

import base64
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


unb64 = base64.b64decode


def body(response: TestResponse) -> dict[str, Any]:
    """A JSON object response, or a failure that shows what came back instead."""
    data = response.get_json(silent=True)
    assert isinstance(data, dict), (response.status_code, response.data[:300])
    return data


def client_at(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from `address` (use the RFC 5737 test networks:
    the plaintext scan looks for every address in them)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client
