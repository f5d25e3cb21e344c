"""`flask` commands print for people: no log lines mixed into their output, every output
ends with a newline, info-level logs stay out of the terminal, and the demo can be started
over once its printed passwords are lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.cli import FlaskGroup
from sqlalchemy import func, select

from hotline import create_app, db, migrate, wiring
from hotline.models import Case, Handler
from hotline.services import accounts, handler_access
from hotline.services.demo import DEMO_USERNAMES
from hotline.services.errors import InvalidCredentials
from tests.support import CHEAP_ARGON, LogCapture, config_for

ROOT = Path(__file__).resolve().parents[2]


def _is_log_line(line: str) -> bool:
    try:
        parsed = json.loads(line)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "event" in parsed


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli-output")
    migrate.upgrade(f"sqlite:///{folder / 'hotline.db'}")
    yield folder


def flask(instance: Path, *args: str, stdin: str = "") -> Result:
    """Run a command the way the `flask` executable does: the app is made inside the command."""
    config = config_for(f"sqlite:///{instance / 'hotline.db'}", instance)
    group = FlaskGroup(create_app=lambda: create_app(config))
    return CliRunner().invoke(group, list(args), input=stdin, catch_exceptions=False)


def test_flask_executable_writes_no_log_line_to_either_stream(instance: Path) -> None:
    """The real `flask` executable: stdout is the command's output alone, and the SMS line's
    info-level start-up notice (and any other info log) does not reach the terminal."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOTLINE_INSTANCE_PATH": str(instance),
        "HOTLINE_DATABASE_URL": f"sqlite:///{instance / 'hotline.db'}",
        **{f"HOTLINE_{k}": str(v) for k, v in CHEAP_ARGON.items()},
    }
    env.pop("HOTLINE_TWILIO_AUTH_TOKEN", None)
    for args in (["handlers", "list"], ["demo", "seed", "--if-empty"], ["cases", "count"]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert done.stdout.endswith("\n"), (args, done.stdout)
        assert not [line for line in done.stdout.splitlines() if _is_log_line(line)], args
        assert done.stderr == "", (args, done.stderr)


def test_a_warning_inside_a_command_is_one_plain_line_for_people(
    instance: Path, tmp_path: Path
) -> None:
    """`make run` keeps the demo's organisation root online, which warns at every start:
    the terminal gets `warning: <reason>`, not a JSON object."""
    root_key = tmp_path / "root.key"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOTLINE_INSTANCE_PATH": str(instance),
        "HOTLINE_DATABASE_URL": f"sqlite:///{instance / 'hotline.db'}",
        **{f"HOTLINE_{k}": str(v) for k, v in CHEAP_ARGON.items()},
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "keys"]
    subprocess.run(
        [*command, "init-root", "--out", str(root_key), "--passphrase-stdin"],
        cwd=ROOT,
        env=env,
        input="a passphrase for the test\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    env |= {
        "HOTLINE_KEYS_ONLINE_ROOT_FILE": str(root_key),
        "HOTLINE_KEYS_ONLINE_ROOT_PASSPHRASE": "a passphrase for the test",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "cases", "count"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("warning: ") for line in lines), done.stderr
    assert "ONLINE" in done.stderr and not [line for line in lines if _is_log_line(line)]


def test_logs_inside_commands_are_warnings_only_and_never_on_stdout(instance: Path) -> None:
    with LogCapture() as logs:
        result = flask(instance, "demo", "seed", "--if-empty")
    assert result.exit_code == 0, result.output
    # The events were logged (a file handler would keep them) ...
    assert '"event": "sms.line_off"' in logs.text
    # ... but neither stream of the command carries them.
    assert not [line for line in result.stdout.splitlines() if _is_log_line(line)]
    assert "sms.line_off" not in result.stderr and "handler.created" not in result.stderr
    assert result.stdout.endswith("\n")


@pytest.mark.parametrize(
    "args",
    [
        ["handlers", "list"],
        ["cases", "list"],
        ["cases", "count"],
        ["audit", "verify"],
        ["routing", "load", "--if-empty"],
        ["demo", "seed", "--if-empty"],
        ["db", "upgrade"],
    ],
)
def test_every_command_output_ends_with_a_newline(instance: Path, args: list[str]) -> None:
    result = flask(instance, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout and result.stdout.endswith("\n"), repr(result.stdout[-80:])
    assert not [line for line in result.stdout.splitlines() if _is_log_line(line)]


def _passwords(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in DEMO_USERNAMES:
            found[parts[0]] = parts[2]
    return found


def test_skipped_seed_says_how_to_start_over_and_reset_gives_working_passwords(
    tmp_path: Path,
) -> None:
    migrate.upgrade(f"sqlite:///{tmp_path / 'hotline.db'}")
    first = _passwords(flask(tmp_path, "demo", "seed", "--if-empty").stdout)
    assert set(first) == DEMO_USERNAMES
    again = flask(tmp_path, "demo", "seed", "--if-empty")
    assert "make demo-reset" in again.stdout and not _passwords(again.stdout)

    # A case on the demo, then the passwords are "lost": reset.
    app = create_app(config_for(f"sqlite:///{tmp_path / 'hotline.db'}", tmp_path))
    client = app.test_client()
    made = client.post(
        "/api/v1/channel/reports",
        json={
            "category": "harassment",
            "body": "demo case body",
            "channel": "web",
            "language": "en",
        },
        headers={"Authorization": f"Bearer {wiring.settings(app).channel_token}"},
    )
    assert made.status_code == 201, made.get_json()
    refused = flask(tmp_path, "demo", "reset")  # no confirmation given
    assert refused.exit_code != 0
    reset = flask(tmp_path, "demo", "reset", "--yes")
    assert reset.exit_code == 0, reset.output
    second = _passwords(reset.stdout)
    assert set(second) == DEMO_USERNAMES and not set(second.values()) & set(first.values())
    with app.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        ctx = wiring.services(app).context
        handler_access.unlock(
            session, ctx, "harassment.counsellor", second["harassment.counsellor"]
        )
        with pytest.raises(InvalidCredentials):
            handler_access.unlock(
                session, ctx, "harassment.counsellor", first["harassment.counsellor"]
            )
    wiring.services(app).database.dispose()


def test_reset_refuses_an_instance_with_real_accounts(tmp_path: Path) -> None:
    migrate.upgrade(f"sqlite:///{tmp_path / 'hotline.db'}")
    assert flask(tmp_path, "demo", "seed").exit_code == 0
    app = create_app(config_for(f"sqlite:///{tmp_path / 'hotline.db'}", tmp_path))
    with app.app_context():
        accounts.create_handler(
            db.session(),
            wiring.services(app).context,
            "real.person",
            "compliance",
            "a-real-password-123",
        )
    refused = flask(tmp_path, "demo", "reset", "--yes")
    assert refused.exit_code == 1 and "not demo accounts" in refused.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Handler)) == 6
    wiring.services(app).database.dispose()
