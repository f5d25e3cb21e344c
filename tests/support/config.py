"""Test configuration: cheap Argon2 parameters (tests only, through config), generous limits
for journeys, and the local PostgreSQL and Redis the suite uses."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from crypto import signing
from crypto.primitives import Argon2Params
from hotline import wiring
from hotline.config import Settings

CHEAP_ARGON = {
    # Below the production floors: allowed only in test mode, which production refuses.
    "TEST_MODE": True,
    "ARGON2_RECEIPT_OPS": 1,
    "ARGON2_RECEIPT_MEM": 8192,
    "ARGON2_PASSWORD_OPS": 1,
    "ARGON2_PASSWORD_MEM": 8192,
}
# Rate limits have their own tests; journeys should not trip them.
GENEROUS_LIMITS = {
    "REPORT_RATE_LIMIT": "10000 per minute",
    "RECEIPT_RATE_LIMIT": "10000 per minute",
    "LOGIN_RATE_LIMIT": "10000 per minute",
}
PG_ADMIN_URL = os.environ.get(
    "HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


TEST_ROOT_PASSPHRASE = "test root passphrase, never real"
_test_root: dict[str, Any] = {}


def test_root() -> tuple[signing.SigningPrivateKey, Path]:
    """One organisation root per test process, in a folder outside every instance folder."""
    if not _test_root:
        private = signing.generate()
        folder = Path(tempfile.mkdtemp(prefix="hotline-test-root-"))
        path = folder / "root.key"
        path.write_text(
            signing.root_file(private, TEST_ROOT_PASSPHRASE, Argon2Params(1, 8192)), "utf-8"
        )
        _test_root.update(private=private, path=path)
    return _test_root["private"], _test_root["path"]


def online_root_config() -> dict[str, Any]:
    """Tests keep the root online (handlers' keys are signed as they are made), like the demo;
    the key directory's own tests turn it off to exercise the offline signing flow."""
    return {
        "KEYS_ONLINE_ROOT_FILE": str(test_root()[1]),
        "KEYS_ONLINE_ROOT_PASSPHRASE": TEST_ROOT_PASSPHRASE,
    }


def config_for(url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        **CHEAP_ARGON,
        **online_root_config(),
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        **extra,
    }


def change_settings(app: Flask, **changes: Any) -> Settings:
    """Replace some settings of a running app (tests only; keys are the upper-case names,
    as in `create_app`'s overrides). Returns the settings it replaced."""
    before = wiring.settings(app)
    after = dataclasses.replace(before, **{name.lower(): value for name, value in changes.items()})
    wiring.attach(app, after, wiring.services(app))
    return before


def patch_settings(monkeypatch: pytest.MonkeyPatch, app: Flask, **changes: Any) -> None:
    """`change_settings` for the length of one test (pytest undoes it)."""
    attached = wiring.wiring_of(app)
    replaced = dataclasses.replace(
        attached.settings, **{name.lower(): value for name, value in changes.items()}
    )
    monkeypatch.setattr(attached, "settings", replaced)
