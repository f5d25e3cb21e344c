"""Issue 11 item 11 in the browser: the Argon2id floors are constants of the bundle, fixed at
build time. The served page bundles carry the real floors (and no global a page could set);
only the test bundles carry libsodium's minimum; a crypto module built as the served one is
refuses receipt and password parameters below the floors whatever the server sends."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
REAL = "{receipt:{ops:3,memBytes:67108864},password:{ops:3,memBytes:268435456}}"
LOW = "{receipt:{ops:1,memBytes:8192},password:{ops:1,memBytes:8192}}"


def served_define() -> str:
    """The --define of the build that writes web/static/build (the served pages)."""
    script: str = json.loads((WEB / "package.json").read_text())["scripts"]["build"]
    for step in script.split("&&"):
        words = shlex.split(step)
        if "--outdir=static/build" in words:
            (define,) = [w for w in words if w.startswith("--define:HOTLINE_ARGON2_FLOORS=")]
            return define
    raise AssertionError("no build step writes static/build")


def test_served_bundles_hold_the_real_floors_and_no_global() -> None:
    for name in ("reporter.js", "console.js"):
        served = (WEB / "static" / "build" / name).read_text(encoding="utf-8")
        assert "HOTLINE_ARGON2_FLOORS" not in served, f"{name}: a page could set the floors"
        assert REAL in served, f"{name}: stale or built without the real floors"
        assert LOW not in served
        test = (WEB / "build" / "test" / "site" / "build" / name).read_text(encoding="utf-8")
        assert LOW in test and REAL not in test


def test_a_build_like_the_served_one_refuses_weak_parameters(tmp_path: Path) -> None:
    esbuild = WEB / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        pytest.fail("web/node_modules is missing: npm --prefix web ci")
    out = tmp_path / "hotline-crypto.mjs"
    subprocess.run(
        [
            str(esbuild),
            "js/hotline-crypto.js",
            "--bundle",
            "--format=esm",
            "--platform=neutral",
            "--main-fields=module,main",
            "--target=es2022",
            served_define(),
            f"--outfile={out}",
        ],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=120,
    )
    script = f"""
import * as hc from {json.dumps(out.as_uri())};
await hc.ready();
const salt = new Uint8Array(16);
const outcome = (f) => {{ try {{ f(); return 'ok'; }} catch (e) {{ return e.name; }} }};
const receipt = (ops, memBytes) =>
  outcome(() => hc.deriveReceipt('1234567890123452', salt, {{ ops, memBytes }}));
const password = (ops, memBytes) =>
  outcome(() => hc.passwordSecrets('pw', salt, {{ ops, memBytes }}));
const MiB = 1024 * 1024;
console.log(JSON.stringify({{
  floors: [hc.RECEIPT_FLOOR, hc.PASSWORD_FLOOR],
  receipt: [
    receipt(1, 8192), receipt(2, 64 * MiB), receipt(3, 64 * MiB - 1024), receipt(3, 64 * MiB),
  ],
  password: [
    password(1, 8192), password(3, 64 * MiB), password(2, 256 * MiB), password(3, 256 * MiB),
  ],
}}));
"""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_OPTIONS": "--max-old-space-size=2048"},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["floors"] == [
        {"ops": 3, "memBytes": 64 << 20},
        {"ops": 3, "memBytes": 256 << 20},
    ]
    weak = ["WeakParameters"] * 3
    assert result["receipt"] == [*weak, "ok"]
    assert result["password"] == [*weak, "ok"]
