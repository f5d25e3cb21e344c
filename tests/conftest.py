from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hotline import create_app, db, migrate
from hotline.services import accounts, routing
from tests.support import LogCapture, config_for, fresh_database

# Rate limits have their own tests; journeys should not trip them.
GENEROUS_LIMITS = {
    "REPORT_RATE_LIMIT": "10000 per minute",
    "RECEIPT_RATE_LIMIT": "10000 per minute",
    "LOGIN_RATE_LIMIT": "10000 per minute",
}

HANDLERS = {
    # username: (desk, password)
    "comp.one": ("compliance", "compliance-one-pass-7x!"),
    "comp.two": ("compliance", "compliance-two-pass-8y!"),
    "audit.one": ("audit_committee", "audit-one-pass-9z!!"),
    "harass.one": ("harassment", "harassment-one-pass-1a"),
    "privacy.one": ("data_protection", "privacy-one-pass-2b!"),
    "ombuds.one": ("ombudsperson", "ombudsperson-pass-3c!"),
}


@dataclass
class World:
    app: Flask
    url: str
    logs: LogCapture
    handler_ids: dict[str, int]
    token: str

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextmanager
def build_world(kind: str, folder: Path, **config: Any) -> Iterator[World]:
    """A migrated database of either kind, the routing policy and one handler per desk."""
    with fresh_database(kind, folder) as url, LogCapture() as logs:
        migrate.upgrade(url)
        app = create_app(config_for(url, folder / "instance", **{**GENEROUS_LIMITS, **config}))
        ids: dict[str, int] = {}
        with app.app_context():
            session = db.session()
            routing.load_policy(session, Path(app.config["ROUTING_FILE"]))
            ctx = app.extensions["hotline.services"]
            for username, (desk, password) in HANDLERS.items():
                ids[username] = accounts.create_handler(
                    session, ctx, username, desk, password, role="tester"
                ).handler_id
        try:
            yield World(app, url, logs, ids, app.config["CHANNEL_TOKEN"])
        finally:
            app.extensions["hotline.db"].dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with build_world(request.param, tmp_path_factory.mktemp(f"world-{request.param}")) as w:
        yield w


ADMIN = ("admin.one", "admin-one-password-4d!")


@pytest.fixture(scope="module")
def admin_id(world: World) -> int:
    """An administrator account (no desk, no grants) in the module's world."""
    with world.app.app_context():
        created = accounts.create_handler(
            db.session(),
            world.app.extensions["hotline.services"],
            ADMIN[0],
            None,
            ADMIN[1],
            "Hotline administrator",
            is_admin=True,
        )
    return created.handler_id
