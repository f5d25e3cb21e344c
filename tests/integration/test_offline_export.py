"""The external ombudsperson's offline path: an export of only their cases' ciphertext and
their password-wrapped keys, opened with their password alone. It never holds SECRET_KEY,
the channel token, the pepper, nor anything of another handler's cases."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hotline import offline_open, wiring
from tests.support.world import HANDLERS, World

ROOT = Path(__file__).resolve().parents[2]


def submit(world: World, body: str, **extra: Any) -> dict[str, Any]:
    response = world.app.test_client().post(
        "/api/v1/channel/reports",
        headers=world.auth(),
        json={"category": "fraud_accounting", "body": body, "channel": "web", "language": "en"}
        | extra,
    )
    assert response.status_code == 201, response.get_json()
    world.ledger.add(body)
    world.ledger.receipt(response.get_json()["receipt"])
    return dict(response.get_json()) | {"body": body}


def export(world: World, username: str, password: str, out: Path) -> Any:
    return world.app.test_cli_runner().invoke(
        args=["cases", "export", "--username", username, "--password-stdin", "--out", str(out)],
        input=password + "\n",
    )


def forms(secret: str | bytes) -> list[bytes]:
    raw = bytes.fromhex(secret) if isinstance(secret, str) else secret
    text = secret.encode() if isinstance(secret, str) else raw.hex().encode()
    return [raw, text, base64.b64encode(raw), raw.hex().encode()]


def test_export_opens_with_the_password_and_holds_no_server_secret(
    world: World, tmp_path: Path
) -> None:
    mine = submit(world, "ombudsperson only: the CFO's side account", external_only=True)
    other = submit(world, "compliance only: split invoices in purchasing")
    out = tmp_path / "ombuds.json"
    result = export(world, "ombuds.one", HANDLERS["ombuds.one"][1], out)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o077 == 0  # readable by its owner only
    raw = out.read_bytes()

    settings = wiring.settings(world.app)
    for name in ("SECRET_KEY", "CHANNEL_TOKEN", "PEPPER", "PSEUDONYM_KEY"):
        for form in forms(str(getattr(settings, name.lower()))):
            assert form not in raw, f"{name} is in the export"
    assert mine["case_id"].encode() in raw
    assert other["case_id"].encode() not in raw
    for text in (mine["body"], other["body"], mine["receipt"]):
        assert text.encode() not in raw  # ciphertext only

    document = json.loads(raw)
    # Other tests may have filed ombudsperson cases too: this one is there, the other is not.
    opened = {c.case_id: c for c in offline_open.open_cases(document, HANDLERS["ombuds.one"][1])}
    assert mine["case_id"] in opened and other["case_id"] not in opened
    assert mine["body"] in json.dumps(opened[mine["case_id"]].report, ensure_ascii=False)

    with pytest.raises(offline_open.ExportError):
        offline_open.open_cases(document, "not the password")


def test_offline_open_runs_without_database_or_instance(world: World, tmp_path: Path) -> None:
    mine = submit(world, "offline reading works without the server", external_only=True)
    out = tmp_path / "ombuds.json"
    assert export(world, "ombuds.one", HANDLERS["ombuds.one"][1], out).exit_code == 0
    elsewhere = tmp_path / "laptop"
    elsewhere.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hotline.offline_open",
            str(out),
            "--password-stdin",
            "--case",
            mine["case_id"],
        ],
        cwd=elsewhere,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        input=HANDLERS["ombuds.one"][1] + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert mine["body"] in done.stdout
    assert list(elsewhere.iterdir()) == []  # nothing written: no instance, no secrets file


def test_export_refuses_a_wrong_password(world: World, tmp_path: Path) -> None:
    out = tmp_path / "nothing.json"
    result = export(world, "ombuds.one", "not the password", out)
    assert result.exit_code != 0 and "wrong password" in result.output
    assert not out.exists()
