"""The handler console's browser side in Python: the Argon2id login proof, TOTP enrolment and
codes, unwrapping the private keys, and a signed-in client that opens grants. Also the
channel-API calls a console test needs (submit a report, read it as the reporter)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from crypto import handler_keys, sealing
from crypto.grants import CASE_KEY, NOTES_KEY, GrantFor, make_grant, new_key, open_grant
from crypto.handler_keys import HandlerPrivateKeys, HandlerPublicKeys
from crypto.primitives import Argon2Params
from hotline import db, wiring
from hotline.models import CaseGrant, Handler
from hotline.services import accounts, notes_key, sequence, workflow
from hotline.services.context import ServiceContext
from tests.support.http import b64, body, unb64
from tests.support.world import World


class TotpClock:
    """A clock for TOTP codes: each code is for a later 30-second step, so no test replays
    another's. Tests point the server's clock here (`handler_auth._now`)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def code(self, secret: str) -> str:
        self.now += timedelta(seconds=90)
        return pyotp.TOTP(secret).at(self.now)


CLOCK = TotpClock()


@dataclass
class Proof:
    auth: bytes
    unwrap_key: bytes


def login_parameters(client: FlaskClient, username: str) -> dict[str, Any]:
    r = client.post("/handler/api/login/parameters", json={"username": username})
    assert r.status_code == 200, r.data
    return body(r)


def prove(client: FlaskClient, username: str, password: str) -> Proof:
    p = login_parameters(client, username)
    derived = handler_keys.password_secrets(
        password, unb64(p["salt"]), Argon2Params(p["ops"], p["mem_bytes"])
    )
    return Proof(derived.auth, derived.unwrap_key)


def post_login(client: FlaskClient, username: str, auth: bytes, code: str | None) -> TestResponse:
    payload: dict[str, Any] = {"username": username, "auth": b64(auth)}
    if code is not None:
        payload["code"] = code
    return client.post("/handler/api/login", json=payload)


def code_for(world: World, username: str) -> str:
    """A fresh TOTP code for an enrolled handler."""
    return CLOCK.code(world.totp_secrets[username])


def enrol(world: World, client: FlaskClient, username: str) -> dict[str, Any]:
    proof = prove(client, username, world.passwords[username])
    r = post_login(client, username, proof.auth, "")
    assert r.status_code == 403 and body(r)["error"] == "totp_enrolment_required", r.data
    r = client.post(
        "/handler/api/login/enrol/start", json={"username": username, "auth": b64(proof.auth)}
    )
    assert r.status_code == 200, r.data
    started = body(r)
    assert "<svg" in started["qr_svg"] and "<script" not in started["qr_svg"]
    secret = started["secret"]
    r = client.post(
        "/handler/api/login/enrol/finish",
        json={"username": username, "auth": b64(proof.auth), "code": CLOCK.code(secret)},
    )
    assert r.status_code == 200, r.data
    world.totp_secrets[username] = secret
    world.ledger.add(secret)
    material = body(r)
    material["_unwrap_key"] = proof.unwrap_key
    return material


@dataclass(frozen=True)
class OpenedKeys:
    """The keys a console holds for one case: the notes key only once the case has one."""

    case_key: bytes
    notes_key: bytes | None


def public_of(entry: dict[str, Any]) -> HandlerPublicKeys:
    """A directory entry's public keys."""
    return HandlerPublicKeys(unb64(entry["x25519"]), unb64(entry["mlkem"]))


@dataclass
class Console:
    client: FlaskClient
    handler_id: int
    private: HandlerPrivateKeys
    material: dict[str, Any]

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.client.get(f"/handler/api/{path}", query_string=query)

    def post(self, path: str, payload: dict[str, Any]) -> TestResponse:
        return self.client.post(f"/handler/api/{path}", json=payload)

    def bundle(self, case_id: str) -> dict[str, Any]:
        r = self.get(f"cases/{case_id}")
        assert r.status_code == 200, r.data
        return body(r)

    def about(self, kind: str, case_id: str) -> GrantFor:
        return GrantFor(kind, case_id, self.handler_id)

    def keys(self, case_id: str) -> tuple[dict[str, Any], OpenedKeys]:
        """The bundle and the keys its grants hold, opened as the console does."""
        data = self.bundle(case_id)
        case_key = open_grant(unb64(data["grant"]), self.private, self.about(CASE_KEY, case_id))
        notes_key = (
            open_grant(unb64(data["notes_grant"]), self.private, self.about(NOTES_KEY, case_id))
            if data["notes_grant"]
            else None
        )
        return data, OpenedKeys(case_key, notes_key)

    def directory(self) -> dict[int, dict[str, Any]]:
        r = self.get("handlers/directory")
        assert r.status_code == 200, r.data
        return {h["id"]: h for h in body(r)["handlers"]}

    def reply(self, case_id: str, text: str) -> TestResponse:
        """Seal a reply for the case's next message number and send it."""
        data, keys = self.keys(case_id)
        seq = data["next_message_seq"]
        author = sealing.handler_author(self.handler_id)
        sealed = sealing.seal_message(keys.case_key, text, case_id, author, seq)
        return self.post(f"cases/{case_id}/replies", {"sealed_body": b64(sealed), "seq": seq})

    def notes_key_grants(
        self, case_id: str, key: bytes, holders: set[int] | None = None
    ) -> list[dict[str, Any]]:
        """Grants of `key` to the case's current holders (or to `holders`)."""
        wanted = (
            holders
            if holders is not None
            else {h["handler_id"] for h in self.bundle(case_id)["holders"]}
        )
        directory = self.directory()
        return [
            {
                "handler_id": handler_id,
                "sealed_key": b64(
                    make_grant(
                        key,
                        public_of(directory[handler_id]),
                        GrantFor(NOTES_KEY, case_id, handler_id),
                    )
                ),
            }
            for handler_id in sorted(wanted)
        ]

    def make_notes_key(self, case_id: str) -> TestResponse:
        """Make the case's notes key here and grant it to every current holder."""
        grants = self.notes_key_grants(case_id, new_key())
        return self.post(f"cases/{case_id}/notes-key", {"grants": grants})

    def note(self, case_id: str, text: str) -> TestResponse:
        """Seal a note for the case's next note number (making the notes key first if the
        case has none) and send it."""
        data, keys = self.keys(case_id)
        if keys.notes_key is None:
            r = self.make_notes_key(case_id)
            assert r.status_code == 201, r.data
            data, keys = self.keys(case_id)
        assert keys.notes_key is not None
        seq = data["next_note_seq"]
        sealed = sealing.seal_note(keys.notes_key, text, case_id, self.handler_id, seq)
        return self.post(f"cases/{case_id}/notes", {"sealed_body": b64(sealed), "seq": seq})

    def share(self, case_id: str, target: dict[str, Any]) -> TestResponse:
        """Grant the case key (and the notes key when the case has one) to a colleague."""
        _, keys = self.keys(case_id)
        public = public_of(target)
        payload: dict[str, Any] = {
            "handler_id": target["id"],
            "sealed_keys": b64(
                make_grant(keys.case_key, public, GrantFor(CASE_KEY, case_id, target["id"]))
            ),
        }
        if keys.notes_key is not None:
            payload["sealed_notes_key"] = b64(
                make_grant(keys.notes_key, public, GrantFor(NOTES_KEY, case_id, target["id"]))
            )
        return self.post(f"cases/{case_id}/grants", payload)


def new_handler(world: World, desk: str, prefix: str = "fresh") -> str:
    """A handler of the test's own on a desk: it holds only cases submitted after this, so
    what it sees does not depend on which tests ran before. Returns the username."""
    username = f"{prefix}.{secrets.token_hex(3)}"
    world.passwords[username] = f"{prefix}-pass-{secrets.token_hex(6)}"
    world.ledger.add(world.passwords[username])
    with world.app.app_context():
        accounts.create_handler(
            db.session(),
            wiring.services(world.app).context,
            username,
            desk,
            world.passwords[username],
        )
    return username


def sign_in(world: World, username: str) -> Console:
    """Sign in as the console does; the first time, enrol through the QR flow."""
    client = world.app.test_client()
    if username not in world.totp_secrets:
        material = enrol(world, client, username)
        unwrap_key = material.pop("_unwrap_key")
    else:
        proof = prove(client, username, world.passwords[username])
        r = post_login(client, username, proof.auth, code_for(world, username))
        assert r.status_code == 200, r.data
        material, unwrap_key = body(r), proof.unwrap_key
    private = handler_keys.unwrap_private(unb64(material["wrapped_private"]), unwrap_key)
    assert private.public().x25519 == unb64(material["x25519_public"])
    assert private.public().mlkem == unb64(material["mlkem_public"])
    return Console(client, material["handler_id"], private, material)


def submit(world: World, category: str = "fraud_accounting", **extra: Any) -> dict[str, Any]:
    """A report through the channel API; its text and receipt go into the world's ledger."""
    text = world.ledger.marker("report", "購買部の佐藤さんが")
    r = world.app.test_client().post(
        "/api/v1/channel/reports",
        json={"category": category, "body": text, "channel": "chat", "language": "en", **extra},
        headers=world.auth(),
    )
    assert r.status_code == 201, r.data
    data = body(r)
    world.ledger.receipt(data["receipt"])
    data["body"] = text
    return data


def reporter_view(world: World, receipt: str) -> dict[str, Any]:
    r = world.app.test_client().post(
        "/api/v1/channel/followup", json={"receipt": receipt}, headers=world.auth()
    )
    assert r.status_code == 200, r.data
    return body(r)


def session_epoch(world: World, handler_id: int) -> int:
    """The handler's current session epoch, for a test that writes a session cookie itself."""
    with world.app.app_context():
        handler = db.session().get(Handler, handler_id)
        assert handler is not None
        return handler.session_epoch


def granted_ids(world: World, handler_id: int) -> set[str]:
    with world.app.app_context():
        return set(
            db.session().scalars(
                select(CaseGrant.case_id).where(
                    CaseGrant.handler_id == handler_id, CaseGrant.released.is_(True)
                )
            )
        )


def note_through_services(
    session: Session, ctx: ServiceContext, handler_id: int, case_id: str, sealed: bytes
) -> None:
    """Store a note as the console would: the case's notes key is made first (a real key,
    granted to every current holder) if it has none, then the note for the next number."""
    if not notes_key.exists(session, case_id):
        key = new_key()
        grants = {}
        for row in notes_key.holders(session, case_id):
            handler = session.get(Handler, row.handler_id)
            assert handler is not None
            public = HandlerPublicKeys(handler.x25519_public, handler.mlkem_public)
            grants[row.handler_id] = make_grant(
                key, public, GrantFor(NOTES_KEY, case_id, row.handler_id)
            )
        notes_key.create(session, ctx, handler_id, case_id, grants)
    workflow.add_note(
        session, handler_id, case_id, sealed, sequence.next_note_seq(session, case_id)
    )
