"""Fixtures shared by every test package. The world fixture scans its stores at teardown: a
plaintext found there is an error of the module's last test and fails the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline import db, wiring
from hotline.services import accounts
from tests.support.world import ADMIN, HANDLERS, World, build_world

# Helpers live in tests.support; these names stay importable from here for tests written
# before the move (import them from tests.support.world in new tests).
__all__ = ["ADMIN", "HANDLERS", "World", "admin_id", "build_world", "world"]

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with build_world(request.param, tmp_path_factory.mktemp(f"world-{request.param}")) as w:
        yield w


@pytest.fixture(scope="module")
def admin_id(world: World) -> int:
    """An administrator account (no desk, no grants) in the module's world."""
    with world.app.app_context():
        created = accounts.create_handler(
            db.session(),
            wiring.services(world.app).context,
            ADMIN[0],
            None,
            ADMIN[1],
            "Hotline administrator",
            is_admin=True,
        )
    return created.handler_id
