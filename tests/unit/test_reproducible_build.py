"""The browser bundle builds byte for byte from the lockfile, so an organisation can rebuild a
release and compare the hashes with `flask web asset-hashes` on its server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SERVED = "static/build"
TEST_BUNDLE = "build/test"


def build_into(web: Path, out: Path) -> dict[str, bytes]:
    """Run package.json's own build script in `web`, writing into `out` instead of the tree."""
    script: str = json.loads((web / "package.json").read_text())["scripts"]["build"]
    assert SERVED in script and TEST_BUNDLE in script, script
    script = script.replace(SERVED, str(out / "served")).replace(TEST_BUNDLE, str(out / "test"))
    if not (WEB / "node_modules" / ".bin" / "esbuild").exists():
        pytest.fail("web/node_modules is missing: npm --prefix web ci")
    env = {**os.environ, "PATH": f"{WEB / 'node_modules' / '.bin'}:{os.environ['PATH']}"}
    subprocess.run(
        ["/bin/sh", "-c", script], cwd=web, env=env, check=True, capture_output=True, timeout=300
    )
    return {
        str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.js")) if p.is_file()
    }


def test_two_builds_are_identical_and_match_the_served_bundle(tmp_path: Path) -> None:
    first = build_into(WEB, tmp_path / "one")
    second = build_into(WEB, tmp_path / "two")
    assert any(name.startswith("served/") for name in first)
    assert first == second, [n for n in first if first[n] != second.get(n)]
    for name, data in first.items():
        if name.startswith("served/"):
            served = WEB / SERVED / name.removeprefix("served/")
            assert served.read_bytes() == data, f"{served} is stale: npm --prefix web run build"


def test_the_build_does_not_depend_on_the_checkout_path(tmp_path: Path) -> None:
    """Another machine checks the release out elsewhere: same bytes."""
    copy = tmp_path / "elsewhere" / "web"
    shutil.copytree(
        WEB, copy, ignore=shutil.ignore_patterns("static", "build", "node_modules"), symlinks=True
    )
    (copy / "node_modules").symlink_to((WEB / "node_modules").resolve())
    there = build_into(copy, tmp_path / "there")
    here = build_into(WEB, tmp_path / "here")

    def served(found: dict[str, bytes]) -> dict[str, bytes]:
        # The test bundle is not minified and names source paths in comments; it is never
        # served, and this test's node_modules is a symlink, so only the served files count.
        return {k: v for k, v in found.items() if k.startswith("served/")}

    assert served(there) and served(there) == served(here)
