"""The signed key directory end to end: offline signing on a "separate machine", routing
only to signed keys, substitution by a database writer refused on every server path and
caught by `flask keys verify`, rollback and fork caught against a saved head, rotation
and deactivation through the signing flow."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import delete, func, select, update

from crypto import key_directory, signing
from crypto.grants import GRANT_BYTES
from crypto.primitives import Argon2Params
from hotline import create_app, db, wiring
from hotline.key_trust import KeyTrustConfigError
from hotline.models import Case, CaseGrant, Handler, KeyEntry, KeySigningRequest
from hotline.services import accounts, dates, handler_access, key_alerts, workflow
from hotline.services.errors import KeysNotVerified
from hotline.services.key_directory import sign_requests
from integrations.rasa import RasaGateway
from tests.key_tampering import set_key, swap_key
from tests.support import LogCapture, config_for
from tests.support.config import change_settings
from tests.support.sms import AUTH_TOKEN, PUBLIC_URL, text
from tests.support.world import HANDLERS, World, build_world

pytestmark = pytest.mark.postgres
PASSPHRASE = "offline root passphrase 1"


@dataclass
class Org:
    world: World
    signer: Flask  # the offline machine: another instance folder, no shared database
    root_file: Path
    folder: Path

    def cli(self, *args: str, input: str | None = None, app: Flask | None = None) -> Result:
        runner = (app or self.world.app).test_cli_runner()
        return runner.invoke(args=list(args), input=input)

    def sign_pending(self, name: str) -> Result:
        """requests (online) -> sign (offline, root file) -> import (online)."""
        while (self.folder / f"{name}-requests.json").exists():
            name += "x"
        requests_file = self.folder / f"{name}-requests.json"
        entries_file = self.folder / f"{name}-entries.json"
        out = self.cli("keys", "requests", "--out", str(requests_file))
        assert out.exit_code == 0, out.output
        signed = self.cli(
            "keys", "sign", str(requests_file), "--root", str(self.root_file),
            "--out", str(entries_file), "--passphrase-stdin",
            input=PASSPHRASE + "\n", app=self.signer,
        )  # fmt: skip
        assert signed.exit_code == 0, signed.output
        return self.cli("keys", "import", str(entries_file))

    def verify(self, *extra: str) -> Result:
        return self.cli("keys", "verify", *extra)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def org(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    folder = tmp_path_factory.mktemp(f"org-{request.param}")
    # The root is made on the offline machine (its own instance folder) ...
    signer = create_app(
        config_for("sqlite://", folder / "offline-instance", KEYS_ONLINE_ROOT_FILE="")
    )
    root_file = folder / "offline" / "root.key"
    root_file.parent.mkdir()
    made = signer.test_cli_runner().invoke(
        args=["keys", "init-root", "--out", str(root_file), "--passphrase-stdin"],
        input=PASSPHRASE + "\n",
    )
    assert made.exit_code == 0, made.output
    fingerprint = re.search(r"fingerprint:\s+(.+)", made.output)
    assert fingerprint
    public_file = root_file.with_name("root.key.pub")
    # ... and only its public half configures the online app.
    (folder / "online").mkdir()
    with build_world(
        request.param,
        folder / "online",
        KEYS_ONLINE_ROOT_FILE="",
        KEYS_ROOT_PUBLIC_FILE=str(public_file),
    ) as world:
        assert (
            wiring.services(world.app).context.keys.fingerprint
            == fingerprint.group(1).strip()
        )
        org = Org(world, signer, root_file, folder)
        # Nothing is signed yet: no report can be routed to anyone.
        refused = submit(world)
        assert refused.status_code == 503 and refused.json["error"] == "no_recipients"
        imported = org.sign_pending("initial")
        assert imported.exit_code == 0, imported.output
        assert f"entry {len(HANDLERS)}:" in imported.output
        yield org


def submit(world: World, category: str = "fraud_accounting") -> Any:
    return world.app.test_client().post(
        "/api/v1/channel/reports",
        json={"category": category, "body": "a report", "channel": "chat", "language": "en"},
        headers=world.auth(),
    )


def grant_holders(world: World, case_id: str) -> set[int]:
    with world.app.app_context():
        return set(
            db.session().scalars(select(CaseGrant.handler_id).where(CaseGrant.case_id == case_id))
        )


def case_ids(world: World) -> set[str]:
    with world.app.app_context():
        return set(db.session().scalars(select(Case.id)))


def open_as(world: World, username: str, case_id: str) -> handler_access.HandlerCase:
    with world.app.app_context():
        session = db.session()
        who = handler_access.unlock(
            session, wiring.services(world.app).context, username, HANDLERS[username][1]
        )
        return handler_access.open_case(session, who, case_id)


def head(org: Org) -> str:
    out = org.verify()
    assert out.exit_code == 0, out.output
    found = re.search(r"head (\d+:[0-9a-f]{64})", out.output)
    assert found, out.output
    return found.group(1)


def test_a_new_handler_gets_no_cases_until_the_offline_root_signs(org: Org) -> None:
    world = org.world
    ctx = wiring.services(world.app).context
    with world.app.app_context():
        created = accounts.create_handler(
            db.session(), ctx, f"harass.{org.folder.name[-6:]}", "harassment", "new-handler-pass-1"
        )
    newcomer = created.handler_id
    before = submit(world, "harassment")
    assert before.status_code == 201
    assert newcomer not in grant_holders(world, before.json["case_id"])
    assert "routing.keys_not_signed" in world.logs.text
    status = org.cli("keys", "status")
    assert status.exit_code == 0
    assert re.search(rf"{created.username}\s+harassment\s+pending", status.output), status.output
    assert org.verify().exit_code == 0  # pending is not a failure
    imported = org.sign_pending("new")
    assert imported.exit_code == 0, imported.output
    assert org.verify().exit_code == 0
    case = submit(world, "harassment")
    assert case.status_code == 201, case.json
    assert newcomer in grant_holders(world, case.json["case_id"])
    with world.app.app_context():
        session = db.session()
        who = handler_access.unlock(session, ctx, created.username, "new-handler-pass-1")
        opened = handler_access.open_case(session, who, case.json["case_id"])
    assert opened.report["fields"]["what_happened"] == "a report"


def test_the_served_directory_verifies_against_the_root_alone(org: Org) -> None:
    world = org.world
    served = world.app.test_client().get("/.well-known/hotline-keys")
    assert served.status_code == 200 and served.headers["Cache-Control"] == "no-cache"
    root = signing.read_public(org.root_file.with_name("root.key.pub").read_text())
    entries = [key_directory.Entry.from_json(e) for e in served.json["entries"]]
    got = key_directory.verify_chain(entries, root)
    assert served.json["head"] == {"sequence": got.sequence, "hash": got.hash.hex()}
    assert served.json["root"]["fingerprint"] == root.fingerprint()
    case = submit(world)
    assert case.status_code == 201
    assert open_as(world, "comp.one", case.json["case_id"]).report["fields"]["what_happened"]


def test_the_same_entries_cannot_be_imported_twice_or_by_another_root(org: Org) -> None:
    again = org.cli("keys", "import", str(org.folder / "initial-entries.json"))
    assert again.exit_code == 1 and "do not extend" in again.output
    forged_root = signing.generate()
    requests = json.loads((org.folder / "initial-requests.json").read_text())
    forged = sign_requests(
        {**requests, "head": {"sequence": 0, "hash": "00" * 32}}, forged_root, dates.today()
    )
    path = org.folder / "forged.json"
    path.write_text(json.dumps(forged))
    refused = org.cli("keys", "import", str(path))
    assert refused.exit_code == 1


def _swap_keys(world: World, username: str, which: str, rechain: bool) -> bytes:
    """A database writer puts their own public key in place of a handler's."""
    with world.app.app_context():
        return swap_key(db.session(), world.handler_ids[username], which, rechain)


def _restore(world: World, username: str, which: str, old: bytes, rechain: bool) -> None:
    with world.app.app_context():
        set_key(db.session(), world.handler_ids[username], which, old, rechain)


def _sms_report(world: World, number: str) -> str:
    app = world.app
    change_settings(app, TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_URL=PUBLIC_URL)
    wiring.services(app).rasa = RasaGateway("http://127.0.0.1:9", 1)  # bot down
    client = app.test_client()
    text(client, number, "hello")
    text(client, number, "someone took money from the till")
    text(client, number, "1")
    return text(client, number, "YES")[0]


def _nojs_report(world: World) -> Any:
    client = world.app.test_client()
    page = client.get("/report")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    form = {"csrf_token": token.group(1), "category": "fraud_accounting",
            "what_happened": "no-js report", "external_only": "0"}  # fmt: skip
    return client.post("/report", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("which", ["x25519", "mlkem"])
def test_substitution_without_rechaining_is_left_out_and_caught(org: Org, which: str) -> None:
    world = org.world
    victim = world.handler_ids["comp.one"]
    existing = case_ids(world)
    old = _swap_keys(world, "comp.one", which, rechain=False)
    try:
        # Every server-sealed path leaves the substituted key out (comp.two still receives).
        chat = submit(world)
        assert chat.status_code == 201
        assert victim not in grant_holders(world, chat.json["case_id"])
        assert world.handler_ids["comp.two"] in grant_holders(world, chat.json["case_id"])
        nojs = _nojs_report(world)
        assert nojs.status_code == 201
        sms = _sms_report(world, "+81 90 1111 2222")
        assert re.search(r"\d{4} \d{4} \d{4} \d{4}", sms), sms
        made = case_ids(world) - existing
        assert len(made) == 3
        for case_id in made:
            assert victim not in grant_holders(world, case_id)
        # A colleague grant to the substituted key is refused.
        with world.app.app_context(), pytest.raises(KeysNotVerified):
            workflow.grant(
                db.session(),
                wiring.services(world.app).context,
                world.handler_ids["comp.two"],
                chat.json["case_id"],
                victim,
                bytes(GRANT_BYTES),
            )
        out = org.verify()
        assert out.exit_code == 1 and "keys differ from signed entry" in out.output
    finally:
        _restore(world, "comp.one", which, old, rechain=False)
    assert org.verify().exit_code == 0


@pytest.mark.parametrize("which", ["x25519", "mlkem"])
def test_substitution_with_rechaining_refuses_every_path(org: Org, which: str) -> None:
    world = org.world
    held = submit(world)  # comp.one holds it, and will try to share it below
    assert held.status_code == 201
    before = _counts(world)
    old = _swap_keys(world, "comp.one", which, rechain=True)
    try:
        chat = submit(world)
        assert chat.status_code == 503 and chat.json["error"] == "keys_not_verified"
        assert "could not be verified" in chat.json["message"]
        nojs = _nojs_report(world)
        assert nojs.status_code == 503 and "could not be verified" in nojs.get_data(as_text=True)
        sms = _sms_report(world, "+81 90 3333 4444")
        assert "could not be filed" in sms
        assert _counts(world) == before
        with world.app.app_context(), pytest.raises(KeysNotVerified):
            workflow.grant(
                db.session(),
                wiring.services(world.app).context,
                world.handler_ids["comp.one"],
                held.json["case_id"],
                world.handler_ids["harass.one"],
                bytes(GRANT_BYTES),
            )
        # The offline signer will not chain onto the tampered directory either.
        exported = org.folder / f"tampered-{which}-{world.url[-12:].replace('/', '')}.json"
        assert org.cli("keys", "requests", "--out", str(exported)).exit_code == 0
        signer = org.cli(
            "keys", "sign", str(exported), "--root", str(org.root_file),
            "--out", str(exported) + ".signed", "--passphrase-stdin",
            input=PASSPHRASE + "\n", app=org.signer,
        )  # fmt: skip
        assert signer.exit_code == 1 and "does not verify" in signer.output, signer.output
        out = org.verify()
        assert out.exit_code == 1 and "root signature does not verify" in out.output
        assert "keys.directory_broken" in world.logs.text
    finally:
        _restore(world, "comp.one", which, old, rechain=True)
    assert org.verify().exit_code == 0
    assert submit(world).status_code == 201


def _counts(world: World) -> tuple[int, int]:
    with world.app.app_context():
        s = db.session()
        return (
            s.scalar(select(func.count()).select_from(Case)) or 0,
            s.scalar(select(func.count()).select_from(CaseGrant)) or 0,
        )


def test_rollback_and_fork_are_caught_against_a_saved_head(org: Org) -> None:
    world = org.world
    saved = head(org)
    assert org.verify("--expect-head", saved).exit_code == 0
    with world.app.app_context():
        session = db.session()
        last = session.scalar(select(KeyEntry).order_by(KeyEntry.sequence.desc()).limit(1))
        assert last is not None
        kept = {c.name: getattr(last, c.name) for c in KeyEntry.__table__.columns}
        session.execute(
            update(KeySigningRequest)
            .where(KeySigningRequest.signed_sequence == last.sequence)
            .values(signed_sequence=None)
        )
        session.delete(last)
        session.commit()
    try:
        rolled = org.verify("--expect-head", saved)
        assert rolled.exit_code == 1 and "rollback" in rolled.output
        assert org.verify().exit_code == 0  # without a saved head, a shorter chain looks fine
        # Fork: the offline root signs a different entry at the same sequence.
        forked = org.sign_pending("fork")
        assert forked.exit_code == 0, forked.output
        fork_out = org.verify("--expect-head", saved)
        assert fork_out.exit_code == 1 and "fork" in fork_out.output, fork_out.output
    finally:
        with world.app.app_context():
            session = db.session()
            session.execute(delete(KeyEntry).where(KeyEntry.sequence == kept["sequence"]))
            session.add(KeyEntry(**kept))
            session.commit()
    assert org.verify("--expect-head", saved).exit_code == 0
    bad = org.verify("--expect-head", "nonsense")
    assert bad.exit_code == 1


def test_rotation_through_the_signing_flow(org: Org) -> None:
    world = org.world
    earlier = submit(world)
    assert earlier.status_code == 201
    victim = world.handler_ids["harass.one"]
    rotated = org.cli(
        "keys", "rotate", "harass.one", "--password-stdin", input=HANDLERS["harass.one"][1] + "\n"
    )
    assert rotated.exit_code == 0, rotated.output
    assert "until the root signs them" in rotated.output
    # Awaiting the root: no new case reaches the new keys.
    waiting = submit(world, "harassment")
    assert waiting.status_code == 503 or victim not in grant_holders(world, waiting.json["case_id"])
    assert org.verify().exit_code == 0  # pending, not a substitution
    assert "pending" in org.cli("keys", "status").output
    imported = org.sign_pending("rotate")
    assert imported.exit_code == 0, imported.output
    case = submit(world, "harassment")
    assert case.status_code == 201 and victim in grant_holders(world, case.json["case_id"])
    assert open_as(world, "harass.one", case.json["case_id"]).report["fields"]
    # The desk's colleagues are shown the change in the console feed.
    with world.app.app_context():
        session = db.session()
        audit_one = session.get(Handler, world.handler_ids["audit.one"])
        assert audit_one is not None
        comp = session.get(Handler, world.handler_ids["comp.one"])
        assert comp is not None
        assert key_alerts.desk_changes(session, comp, dates.today()) != []


def test_deactivation_revokes_through_the_signing_flow(org: Org) -> None:
    world = org.world
    admin_ctx = wiring.services(world.app).context
    comp_two = world.handler_ids["comp.two"]
    with world.app.app_context():
        admin = accounts.create_handler(
            db.session(), admin_ctx, "admin.keys", None, "admin-keys-password-1", is_admin=True
        )
        accounts.set_active(db.session(), admin_ctx.keys, admin.handler_id, comp_two, False)
        colleague = db.session().get(Handler, world.handler_ids["comp.one"])
        assert colleague is not None
        colleague.email = "comp.one@example.test"
        db.session().commit()
    box = Path(wiring.settings(world.app).mail_outbox)
    before = set(box.glob("*.eml")) if box.exists() else set()
    imported = org.sign_pending("revoke")
    assert imported.exit_code == 0 and "revoked" in imported.output
    # The desk colleague is told, without a name, a key or a case.
    notices = [p.read_text() for p in set(box.glob("*.eml")) - before]
    assert len(notices) == 1 and "comp.one@example.test" in notices[0]
    assert key_alerts.KEY_CHANGE_SUBJECT.split(" / ")[0] in notices[0]
    assert "comp.two" not in notices[0] and HANDLERS["comp.two"][0] not in notices[0]
    with world.app.app_context():
        changes = key_alerts.desk_changes(
            db.session(), db.session().get(Handler, world.handler_ids["comp.one"]), dates.today()
        )
    assert any(c.handler_id == comp_two and c.status == "revoked" for c in changes)
    with world.app.app_context():
        entry = db.session().scalar(
            select(KeyEntry)
            .where(KeyEntry.handler_id == comp_two)
            .order_by(KeyEntry.sequence.desc())
        )
        assert entry is not None and entry.status == "revoked"
    # Reactivated, the handler waits for a new signature before any case reaches them.
    with world.app.app_context():
        accounts.set_active(db.session(), admin_ctx.keys, admin.handler_id, comp_two, True)
    case = submit(world)
    assert case.status_code == 201 and comp_two not in grant_holders(world, case.json["case_id"])
    assert org.sign_pending("reactivate").exit_code == 0
    case = submit(world)
    assert comp_two in grant_holders(world, case.json["case_id"])
    assert org.verify().exit_code == 0


def test_root_configuration_is_refused_inside_the_instance_folder(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    private = signing.generate()
    inside = instance / "root.pub"
    inside.write_text(signing.public_file(private.public()))
    with pytest.raises(KeyTrustConfigError, match="outside the instance folder"):
        create_app(
            config_for(
                "sqlite://", instance, KEYS_ONLINE_ROOT_FILE="", KEYS_ROOT_PUBLIC_FILE=str(inside)
            )
        )
    key = tmp_path / "root.key"
    key.write_text(signing.root_file(private, "right passphrase", Argon2Params(1, 8192)))
    with pytest.raises(KeyTrustConfigError, match="cannot open"):
        create_app(config_for("sqlite://", instance, KEYS_ONLINE_ROOT_FILE=str(key),
                              KEYS_ONLINE_ROOT_PASSPHRASE="wrong passphrase"))  # fmt: skip
    with LogCapture() as logs:
        create_app(config_for("sqlite://", instance, KEYS_ONLINE_ROOT_FILE=str(key),
                              KEYS_ONLINE_ROOT_PASSPHRASE="right passphrase"))  # fmt: skip
    assert "keys.online_root" in logs.text and '"level": "warning"' in logs.text
    other = signing.generate().public()
    with pytest.raises(KeyTrustConfigError, match="does not match"):
        create_app(config_for("sqlite://", instance, KEYS_ONLINE_ROOT_FILE=str(key),
                              KEYS_ONLINE_ROOT_PASSPHRASE="right passphrase",
                              KEYS_ROOT_PUBLIC=signing.public_file(other)))  # fmt: skip
