"""Issue 11 item 15: signing out, changing the password, deactivation and a key rotation end
every session of the handler at once, including each copy of the session cookie in another
browser (a per-handler session epoch the cookie carries), not only the cookie of the browser
that asked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crypto import handler_keys
from crypto.primitives import Argon2Params
from hotline import db, wiring
from hotline.models import Handler
from hotline.services import accounts, key_rotation
from tests.support import b64, body, unb64
from tests.support.console import Console, code_for, new_handler, prove, sign_in
from tests.support.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("console_signins")]



def copy_of(world: World, console: Console) -> FlaskClient:
    """Another browser holding a copy of the console's session cookie (stolen, or synced)."""
    cookie = console.client.get_cookie("session")
    assert cookie is not None
    other = world.app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _signed_in_twice(world: World, prefix: str) -> tuple[str, Console, FlaskClient]:
    username = new_handler(world, "compliance", prefix)
    console = sign_in(world, username)
    copy = copy_of(world, console)
    assert console.get("cases").status_code == 200
    assert copy.get("/handler/api/cases").status_code == 200
    return username, console, copy


def _ended(client: FlaskClient) -> None:
    r = client.get("/handler/api/cases")
    assert r.status_code == 401 and body(r)["error"] == "not_signed_in"


def test_sign_out_ends_every_copy_of_the_cookie(world: World) -> None:
    username, console, copy = _signed_in_twice(world, "leaver")
    assert console.post("logout", {}).status_code == 200
    _ended(console.client)
    _ended(copy)  # the old code let this copy work on for up to 10 hours
    assert copy.post("/handler/api/logout", json={}).status_code == 200  # harmless
    # Signing in again opens a new session; the old copy stays ended.
    again = sign_in(world, username)
    assert again.get("cases").status_code == 200
    _ended(copy)


def test_password_change_ends_every_copy_of_the_cookie(world: World) -> None:
    username, console, copy = _signed_in_twice(world, "changer")
    params = body(console.client.post("/handler/api/login/parameters", json={"username": username}))
    cost = Argon2Params(params["ops"], params["mem_bytes"])
    new = "changed-pass-" + username
    world.ledger.add(new)
    salt, derived, wrapped = handler_keys.rewrap_with_password(console.private, new, cost)
    current = prove(console.client, username, world.passwords[username])
    r = console.post(
        "password",
        {
            "proof_kind": "password",
            "username": username,
            "proof": b64(current.auth),
            "code": code_for(world, username),
            "salt": b64(salt),
            "auth": b64(derived.auth),
            "wrapped_private": b64(wrapped),
        },
    )
    assert r.status_code == 200, r.data
    world.passwords[username] = new
    _ended(console.client)
    _ended(copy)
    assert unb64(sign_in(world, username).material["x25519_public"])


def _id(world: World, username: str) -> int:
    with world.app.app_context():
        found = db.session().scalar(select(Handler.id).where(Handler.username == username))
        assert found is not None
        return found


def _deactivate_and_reactivate(world: World, username: str, admin: int) -> None:
    """Deactivated, then active again: the reactivation does not revive an old cookie."""
    with world.app.app_context():
        keys = wiring.services(world.app).context.keys
        for active in (False, True):
            accounts.set_active(db.session(), keys, admin, _id(world, username), active)


def _rotate(world: World, username: str, admin: int) -> None:
    with world.app.app_context():
        key_rotation.rotate(
            db.session(),
            wiring.services(world.app).context,
            username,
            world.passwords[username],
        )


ENDINGS: dict[str, Callable[[World, str, int], None]] = {
    "deactivation": _deactivate_and_reactivate,
    "key rotation": _rotate,
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_deactivation_and_key_rotation_end_every_session(
    world: World, admin_id: int, ending: str
) -> None:
    username, console, copy = _signed_in_twice(world, ending.split()[0])
    ENDINGS[ending](world, username, admin_id)
    _ended(console.client)
    _ended(copy)
