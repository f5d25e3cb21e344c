"""Fixtures shared by every test package. The world fixture scans its stores at teardown: a
plaintext found there is an error of the module's last test and fails the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline import db, wiring
from hotline.services import accounts, handler_auth
from tests.support.config import patch_settings
from tests.support.console import CLOCK
from tests.support.world import ADMIN, HANDLERS, World, build_world

# Helpers live in tests.support; these names stay importable from here for tests written
# before the move (import them from tests.support.world in new tests).
__all__ = ["ADMIN", "HANDLERS", "World", "admin_id", "build_world", "console_signins", "world"]

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


@pytest.fixture
def console_signins(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """For console journeys (`pytest.mark.usefixtures("console_signins")`): TOTP codes follow
    the test clock, and the login limit is high enough for journeys that sign in often (the
    limit itself has its own tests)."""
    monkeypatch.setattr(handler_auth, "_now", lambda: CLOCK.now)
    patch_settings(monkeypatch, world.app, LOGIN_RATE_LIMIT="10000 per minute")
