"""Web workers run under `python -OO` (hotline/serving.py): nothing in the app may depend on
`assert` (stripped) or on docstrings (None), and every launcher starts gunicorn that way,
with the host's Argon2id pool beside it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hotline.serving import gunicorn_command

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [
    *sorted(
        path
        for folder in ("hotline", "crypto", "integrations")
        for path in (ROOT / folder).rglob("*.py")
    ),
    ROOT / "wsgi.py",
    ROOT / "gunicorn.conf.py",
]


@pytest.mark.parametrize("path", APP_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_check_is_an_assert_and_no_docstring_is_needed(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert not asserts, f"{path.name}: assert at lines {asserts} vanishes under -OO"
    doc_reads = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "__doc__"
    ] + [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == "__doc__"
    ]
    source = path.read_text(encoding="utf-8").splitlines()
    unguarded = [line for line in doc_reads if "__doc__ or " not in source[line - 1]]
    assert not unguarded, f"{path.name}: __doc__ is None under -OO (lines {unguarded})"


def test_the_command_runs_gunicorn_optimised_with_the_settings_file() -> None:
    command = gunicorn_command("/venv/bin/python", "--workers", "1")
    assert command[:4] == ["/venv/bin/python", "-OO", "-m", "gunicorn"]
    assert command[command.index("--config") + 1] == str(ROOT / "gunicorn.conf.py")
    assert command[-3:] == ["--workers", "1", "wsgi:app"]


@pytest.mark.parametrize(
    "launcher",
    ["hotline/devserver.py", "deploy/prod_smoke.py", "bench/load.py"],
)
def test_every_launcher_uses_the_one_command(launcher: str) -> None:
    text = (ROOT / launcher).read_text(encoding="utf-8")
    assert "gunicorn_command(" in text and "argon2_pool_command(" in text
    assert not re.search(r'"gunicorn"\)?,\s*"(-c|--config)"', text)


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("deploy/systemd/hotline-web@.service", r"ExecStart=\S+/python -OO -m gunicorn "),
        ("deploy/Dockerfile", r'CMD \["python", "-OO", "-m", "gunicorn"'),
        ("deploy/Dockerfile", r"python -OO -m compileall"),
        ("Makefile", r"python -OO -m compileall"),
        (
            "deploy/systemd/hotline-argon2.service",
            r"ExecStart=\S+/python -OO -m crypto.argon2_pool --socket /run/hotline-argon2/",
        ),
        ("deploy/systemd/hotline-web@.service", r"HOTLINE_ARGON2_SOCKET=/run/hotline-argon2/"),
        ("deploy/docker-compose.yml", r'"python", "-OO", "-m", "crypto.argon2_pool"'),
        ("deploy/docker-compose.yml", r"HOTLINE_ARGON2_SOCKET: /run/hotline-argon2/"),
    ],
)
def test_production_shapes_start_workers_optimised(path: str, pattern: str) -> None:
    assert re.search(pattern, (ROOT / path).read_text(encoding="utf-8")), (path, pattern)
