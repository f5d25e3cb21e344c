"""Issue 11 item 9: the database keeps a check value of the pepper. A fresh instance records
it (`flask db upgrade`, or the first start over an empty database) and starts again; a
start with another pepper (given, or regenerated after the secrets file was lost) is
refused, and so is a new pepper over a database that holds cases without a check value; a
gunicorn worker with the wrong pepper stops with the message and no traceback."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from hotline import create_app, db, migrate, wiring
from hotline.devserver import ROOT, web_command
from hotline.models import PepperCheck
from hotline.pepper_check import PepperMismatch, check_value
from tests.support import CHEAP_ARGON, config_for, fresh_database
from tests.support.botprocs import free_port
from tests.support.world import World, build_world

pytestmark = pytest.mark.postgres
KINDS = ["sqlite", "postgresql"]
SECRETS = ("SECRET_KEY", "PEPPER", "CHANNEL_TOKEN", "RECEIPT_SALT", "PSEUDONYM_KEY")


def secrets_of(world: World) -> dict[str, str]:
    return {n: getattr(wiring.settings(world.app), n.lower()) for n in SECRETS}


def file_case(world: World) -> None:
    made = world.app.test_client().post(
        "/api/v1/channel/reports",
        headers=world.auth(),
        json={
            "category": "fraud_accounting",
            "body": "pepper check case",
            "channel": "web",
            "language": "en",
        },
    )
    assert made.status_code == 201, made.json
    world.ledger.add("pepper check case", made.json["receipt"])


@pytest.mark.parametrize("kind", KINDS)
def test_fresh_instance_records_the_check_and_starts_again(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as url:
        config = config_for(url, tmp_path / "instance")  # secrets generated, as `make run`
        app = create_app(config)  # before the schema exists: nothing to check yet
        upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert "recorded the pepper's check value" in upgraded.output
        wiring.services(app).database.dispose()
        again = create_app(config)
        with again.app_context():
            pepper = wiring.services().context.keyring.pepper
            stored = db.session().scalar(select(PepperCheck.value))
            assert stored == check_value(pepper)
            assert bytes.fromhex(wiring.settings().pepper) not in (stored or b"")
        second = again.test_cli_runner().invoke(args=["db", "upgrade"])
        assert second.exit_code == 0 and "recorded" not in second.output
        wiring.services(again).database.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_pepper_is_refused_at_start(kind: str, tmp_path: Path) -> None:
    (tmp_path / "world").mkdir()
    with build_world(kind, tmp_path / "world") as world:
        file_case(world)
        same = secrets_of(world)
        other = {**same, "PEPPER": secrets.token_hex(32)}
        with pytest.raises(PepperMismatch, match="does not match this database"):
            create_app(config_for(world.url, tmp_path / "other", **other))
        # The secrets file lost: a fresh instance folder generates a new pepper; refused.
        with pytest.raises(PepperMismatch, match="does not match this database"):
            create_app(config_for(world.url, tmp_path / "lost"))
        # The right pepper still starts.
        wiring.services(
            create_app(config_for(world.url, tmp_path / "same", **same))
        ).database.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_new_pepper_with_existing_cases_is_refused(kind: str, tmp_path: Path) -> None:
    (tmp_path / "world").mkdir()
    with build_world(kind, tmp_path / "world") as world:
        file_case(world)
        with world.app.app_context():
            db.session().execute(delete(PepperCheck))
            db.session().commit()
        fresh = config_for(world.url, tmp_path / "new")
        with pytest.raises(PepperMismatch, match="holds 1 cases and 6 handlers"):
            create_app(fresh)
        # An operator who made sure may record the pepper once (here: the world's own).
        same = {**secrets_of(world), "PEPPER_ADOPT": True}
        adopted = create_app(config_for(world.url, tmp_path / "adopt", **same))
        wiring.services(adopted).database.dispose()
        with pytest.raises(PepperMismatch, match="does not match"):
            create_app(fresh)


def test_upgrade_adopts_the_pepper_of_a_database_from_before_the_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate.upgrade(url, "0011")
    config = config_for(url, tmp_path / "instance")
    app = create_app(config)  # no check table yet: starts
    with app.app_context():
        made = app.test_cli_runner().invoke(args=["routing", "load"])
        assert made.exit_code == 0, made.output
    upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0 and "recorded the pepper's check value" in upgraded.output
    wiring.services(app).database.dispose()
    wiring.services(create_app(config)).database.dispose()
    with pytest.raises(PepperMismatch):
        create_app({**config, "PEPPER": secrets.token_hex(32)})


def test_gunicorn_worker_with_the_wrong_pepper_stops_with_the_message(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate.upgrade(database)
    wiring.services(create_app(config_for(database, tmp_path / "instance"))).database.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
        "PYTHONPATH": str(ROOT),
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_DATABASE_URL": database,
        "HOTLINE_PEPPER": secrets.token_hex(32),
        **{f"HOTLINE_{k}": str(v) for k, v in CHEAP_ARGON.items()},
    }
    done = subprocess.run(
        web_command("127.0.0.1", free_port()),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "the pepper does not match this database" in done.stderr
    assert "Traceback" not in done.stderr
