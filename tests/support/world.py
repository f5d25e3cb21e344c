"""A world: a migrated database (SQLite or PostgreSQL), the app over it, the routing policy,
one handler per desk, the log capture, and the ledger of plaintexts the scan looks for when
the world ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from hotline import create_app, db, migrate, wiring
from hotline.services import accounts, routing
from tests.support.config import GENEROUS_LIMITS, config_for
from tests.support.plaintext import Ledger
from tests.support.stores import (
    LogCapture,
    blob_bytes,
    folder_bytes,
    fresh_database,
    raw_database_bytes,
)

HANDLERS = {
    # username: (desk, password)
    "comp.one": ("compliance", "compliance-one-pass-7x!"),
    "comp.two": ("compliance", "compliance-two-pass-8y!"),
    "audit.one": ("audit_committee", "audit-one-pass-9z!!"),
    "harass.one": ("harassment", "harassment-one-pass-1a"),
    "privacy.one": ("data_protection", "privacy-one-pass-2b!"),
    "ombuds.one": ("ombudsperson", "ombudsperson-pass-3c!"),
}
ADMIN = ("admin.one", "admin-one-password-4d!")


@dataclass
class World:
    app: Flask
    url: str
    logs: LogCapture
    handler_ids: dict[str, int]
    token: str
    ledger: Ledger = field(default_factory=Ledger)
    # Current password per username, and TOTP secrets of those enrolled through the console.
    passwords: dict[str, str] = field(default_factory=dict)
    totp_secrets: dict[str, str] = field(default_factory=dict)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def instance(self) -> Path:
        return Path(wiring.settings(self.app).instance_path)

    def stored(self) -> dict[str, bytes]:
        """Everything this world wrote: the raw database, its log lines, its instance files."""
        wiring.services(self.app).database.dispose()  # flush SQLite's WAL into the file
        return {
            "database": raw_database_bytes(self.url),
            "logs": self.logs.text.encode(),
            "blobs": blob_bytes(self.app),
            **folder_bytes(self.instance),
        }

    def scan(self) -> None:
        """Fail if any recorded plaintext, receipt, number or test address was stored."""
        self.ledger.assert_clean(self.stored())


@contextmanager
def build_world(kind: str, folder: Path, **config: Any) -> Iterator[World]:
    """A migrated database of either kind, the routing policy and one handler per desk.

    When the block ends without an error, the world's stores are scanned for its ledger."""
    with fresh_database(kind, folder) as url, LogCapture() as logs:
        migrate.upgrade(url)
        app = create_app(config_for(url, folder / "instance", **{**GENEROUS_LIMITS, **config}))
        ids: dict[str, int] = {}
        with app.app_context():
            session = db.session()
            routing.load_policy(session, Path(wiring.settings(app).routing_file))
            ctx = wiring.services(app).context
            for username, (desk, password) in HANDLERS.items():
                ids[username] = accounts.create_handler(
                    session, ctx, username, desk, password, role="tester"
                ).handler_id
        world = World(app, url, logs, ids, wiring.settings(app).channel_token)
        world.passwords.update({name: password for name, (_, password) in HANDLERS.items()})
        world.passwords[ADMIN[0]] = ADMIN[1]
        world.ledger.add(*world.passwords.values())
        try:
            yield world
            world.scan()
        finally:
            wiring.services(app).database.dispose()


def small_app(tmp_path: Path, **extra: object) -> Flask:
    """A migrated SQLite app with the routing policy and one compliance handler (`comp.one`),
    for tests of one setting or limit that need no whole world; `extra` overrides settings."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    migrate.upgrade(url)
    app = create_app(config_for(url, tmp_path / "instance", **extra))
    with app.app_context():
        routing.load_policy(db.session(), Path(wiring.settings(app).routing_file))
        accounts.create_handler(
            db.session(),
            wiring.services(app).context,
            "comp.one",
            "compliance",
            "a-long-enough-password",
        )
    return app
