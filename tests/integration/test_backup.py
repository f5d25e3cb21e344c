"""Backup round trip on SQLite and PostgreSQL: create, restore into a fresh instance with the
same pepper and the routed handler opens every case; with another pepper the restore is
refused and the app does not start; the archive never holds the pepper or another instance
secret."""

from __future__ import annotations

import secrets
import traceback
from pathlib import Path

import pytest

from hotline import backup, create_app, db, migrate, wiring
from hotline.pepper_check import PepperMismatch
from hotline.services import handler_access
from tests.support import config_for, fresh_database
from tests.support.world import HANDLERS, World, build_world

pytestmark = pytest.mark.postgres
SECRETS = ("SECRET_KEY", "PEPPER", "CHANNEL_TOKEN", "RECEIPT_SALT", "PSEUDONYM_KEY")


def restored_app(
    kind: str, folder: Path, url: str, world: World, archive: Path, keys: Path, **secret: str
):  # type: ignore[no-untyped-def]
    same = {n: getattr(wiring.settings(world.app), n.lower()) for n in SECRETS}
    app = create_app(config_for(url, folder / "instance", **{**same, **secret}))
    result = app.test_cli_runner().invoke(
        args=["backup", "restore", str(archive), "--private-key", str(keys / "backup.key")]
    )
    assert result.exit_code == 0, "".join(traceback.format_exception(*result.exc_info))
    return app


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_round_trip_and_no_pepper_no_case(kind: str, tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    with build_world(kind, tmp_path / "source") as world:
        auth = world.auth()
        texts, cases = [], []
        for i in range(3):
            what = f"backup case {i} {secrets.token_hex(4)}"
            made = world.app.test_client().post(
                "/api/v1/channel/reports",
                headers=auth,
                json={
                    "category": "fraud_accounting",
                    "body": what,
                    "channel": "web",
                    "language": "en",
                },
            )
            assert made.status_code == 201
            texts.append(what)
            cases.append((made.json["case_id"], made.json["receipt"]))
        # Attachment ciphertext lives in the database: the dump carries it.
        store = wiring.services(world.app).blobs
        blob_id, blob = store.new_id(), b"ciphertext of an attachment" * 20_000
        writer = store.writer(blob_id)
        writer.write(blob)
        writer.close()
        keys = tmp_path / "keys"
        keys.mkdir()
        runner = world.app.test_cli_runner()
        made_keys = runner.invoke(
            args=[
                "backup",
                "keygen",
                "--public",
                str(keys / "backup.pub"),
                "--private",
                str(keys / "backup.key"),
            ]
        )
        assert made_keys.exit_code == 0, made_keys.output
        archive = tmp_path / "hotline.backup"
        created = runner.invoke(
            args=["backup", "create", str(archive), "--public-key", str(keys / "backup.pub")]
        )
        assert created.exit_code == 0, created.output
        assert (archive.stat().st_mode & 0o777) == 0o600

        # What the archive holds, opened: no pepper, no other secret, no plaintext.
        private = backup.load_private((keys / "backup.key").read_text())
        with archive.open("rb") as handle:
            contents = b"".join(
                b"".join(chunks) for _name, chunks in backup._open(handle, private).members()
            )
        for name in SECRETS:
            value = str(getattr(wiring.settings(world.app), name.lower()))
            assert value.encode() not in contents and bytes.fromhex(value) not in contents
        assert not any(t.encode() in contents for t in texts)
        wiring.services(world.app).database.dispose()

        (tmp_path / "same").mkdir()
        (tmp_path / "other").mkdir()
        with fresh_database(kind, tmp_path / "same") as url:
            app = restored_app(kind, tmp_path / "same", url, world, archive, keys)
            with app.app_context():
                session = db.session()
                ctx = wiring.services(app).context
                who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
                for (case_id, _receipt), what in zip(cases, texts, strict=True):
                    opened = handler_access.open_case(session, who, case_id)
                    assert opened.report["fields"]["what_happened"] == what
            follow = app.test_client().post(
                "/api/v1/channel/followup", headers=auth, json={"receipt": cases[0][1]}
            )
            assert follow.status_code == 200
            assert b"".join(wiring.services(app).blobs.chunks(blob_id)) == blob
            again = app.test_cli_runner().invoke(
                args=["backup", "restore", str(archive), "--private-key", str(keys / "backup.key")]
            )
            assert again.exit_code != 0 and "empty" in again.output
            wiring.services(app).database.dispose()

        # Another pepper: the restore says so (the database's check value differs), and
        # the app over the restored database refuses to start (issue 11 item 9).
        with fresh_database(kind, tmp_path / "other") as url:
            same = {n: getattr(wiring.settings(world.app), n.lower()) for n in SECRETS}
            other = config_for(
                url, tmp_path / "other" / "instance", **{**same, "PEPPER": secrets.token_hex(32)}
            )
            app = create_app(other)
            refused = app.test_cli_runner().invoke(
                args=["backup", "restore", str(archive), "--private-key", str(keys / "backup.key")]
            )
            assert refused.exit_code != 0
            assert "pepper does not match this database" in refused.output
            wiring.services(app).database.dispose()
            with pytest.raises(PepperMismatch):
                create_app(other)


def test_wrong_key_and_tampering_are_refused(tmp_path: Path) -> None:
    public, _private = backup.make_keys()
    _other_public, other_private = backup.make_keys()
    url = f"sqlite:///{tmp_path / 'h.db'}"
    migrate.upgrade(url)
    archive = tmp_path / "b"
    with archive.open("wb") as out:
        backup.create(url, tmp_path / "blobs", backup.load_public(public), out)
    with archive.open("rb") as handle, pytest.raises(backup.BackupError, match="not for this"):
        backup.restore(
            handle,
            backup.load_private(other_private),
            f"sqlite:///{tmp_path / 'x.db'}",
            tmp_path / "x",
        )
