"""Issue 11 item 16: the password is never confirmed without the second factor, failures
slow the account down from every address, and the server (not the browser) makes the TOTP
secret at enrolment."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy import select

from hotline import db
from hotline.models import Handler
from hotline.services import signin_budget, throttle
from tests.support import b64, body, client_at
from tests.support.console import (
    CLOCK,
    code_for,
    new_handler,
    post_login,
    prove,
    sign_in,
)
from tests.support.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("console_signins")]



def _other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_one_answer_whatever_is_wrong(world: World) -> None:
    """A right password with no code, or with a wrong one, answers exactly like a wrong
    password (with or without the right code) and an unknown user: the old code answered
    `totp_required` to a right password alone, confirming it without the second factor."""
    username = new_handler(world, "compliance", "oracle")
    sign_in(world, username)  # enrolled
    client = client_at(world.app, "198.51.100.31")
    right = prove(client, username, world.passwords[username]).auth
    wrong = prove(client, username, world.passwords[username] + "x").auth
    ghost = prove(client, "no.such.person", "whatever").auth
    attempts = {
        "right password, no code": (username, right, None),
        "right password, empty code": (username, right, ""),
        "right password, wrong code": (username, right, _other_code(code_for(world, username))),
        "right password, a code too long": (username, right, code_for(world, username) + "1"),
        "wrong password, right code": (username, wrong, code_for(world, username)),
        "wrong password, no code": (username, wrong, None),
        "unknown user": ("no.such.person", ghost, "123456"),
    }
    answers = {}
    for n, (name, (who, auth, code)) in enumerate(attempts.items()):
        # Each from its own address, so no per-client delay colours the answers.
        tried = client_at(world.app, f"198.51.100.{40 + n}")
        r = post_login(tried, who, auth, code)
        answers[name] = (r.status_code, r.get_data(as_text=True))
        assert tried.get("/handler/api/cases").status_code == 401, name
    assert len(set(answers.values())) == 1, answers
    status, text = answers["right password, no code"]
    assert status == 401 and "invalid_credentials" in text
    # Both together sign in.
    r = post_login(client, username, right, code_for(world, username))
    assert r.status_code == 200, r.data


def test_failures_slow_the_account_from_every_address(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account's budget is shared by every client (and every worker, through the
    shared store): moving to a new address buys no fresh tries."""
    username = new_handler(world, "compliance", "target")
    sign_in(world, username)
    free = signin_budget.ACCOUNT_FREE_FAILURES
    wrong = bytes(32)
    # Each address stays under its own per-client budget (5 free failures).
    for n in range(free + 1):
        attacker = client_at(world.app, f"203.0.113.{40 + n // 3}")
        r = post_login(attacker, username, wrong, "123456")
        assert r.status_code == 401 and body(r)["error"] == "invalid_credentials", n
    owner = client_at(world.app, "192.0.2.200")  # never failed from here
    good = prove(owner, username, world.passwords[username])
    r = post_login(owner, username, good.auth, code_for(world, username))
    assert r.status_code == 429 and body(r)["error"] == "too_many_attempts"
    assert "sign-ins" in body(r)["message"] and int(r.headers["Retry-After"]) >= 1
    # A delay, not a lockout: once it has run, the owner's full sign-in goes through and
    # clears the account's count.
    later = SimpleNamespace(time=lambda: time.time() + int(r.headers["Retry-After"]) + 1)
    monkeypatch.setattr(throttle, "time", later)
    r = post_login(owner, username, good.auth, code_for(world, username))
    assert r.status_code == 200, r.data
    r = post_login(client_at(world.app, "203.0.113.60"), username, wrong, "123456")
    assert r.status_code == 401  # counted from zero again, no delay


def test_the_server_issues_the_totp_secret(world: World) -> None:
    username = new_handler(world, "compliance", "enrol")
    client = world.app.test_client()
    proof = prove(client, username, world.passwords[username])
    auth = {"username": username, "auth": b64(proof.auth)}
    first = body(client.post("/handler/api/login/enrol/start", json=auth))["secret"]
    # The server keeps what it issued, sealed under the pepper, until it is confirmed.
    with world.app.app_context():
        handler = db.session().scalar(select(Handler).where(Handler.username == username))
        assert handler is not None and handler.totp_wrapped is None
        assert handler.totp_pending_wrapped is not None
        assert first.encode() not in handler.totp_pending_wrapped
    # A secret the browser chose is refused outright.
    mine = pyotp.random_base32()
    r = client.post(
        "/handler/api/login/enrol/finish", json={**auth, "secret": mine, "code": CLOCK.code(mine)}
    )
    assert r.status_code == 400 and body(r)["field"] == "secret"
    # Starting again replaces the secret: a code from the first one no longer confirms.
    second = body(client.post("/handler/api/login/enrol/start", json=auth))["secret"]
    assert second != first
    r = client.post("/handler/api/login/enrol/finish", json={**auth, "code": CLOCK.code(first)})
    assert r.status_code == 401 and body(r)["error"] == "invalid_credentials"
    r = client.post("/handler/api/login/enrol/finish", json={**auth, "code": CLOCK.code(second)})
    assert r.status_code == 200, r.data
    world.totp_secrets[username] = second
    world.ledger.add(first, second)
    with world.app.app_context():
        handler = db.session().scalar(select(Handler).where(Handler.username == username))
        assert handler is not None and handler.totp_pending_wrapped is None
        assert handler.totp_wrapped is not None and second.encode() not in handler.totp_wrapped
    assert sign_in(world, username).get("cases").status_code == 200
