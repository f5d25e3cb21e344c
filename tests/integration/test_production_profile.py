"""Settings are checked once at start: HOTLINE_ENV=production refuses a one-machine shape,
all problems at once; a proper production configuration starts; bad values stop the start
with a message naming the variable (and no traceback from wsgi); Argon2id below the floors
only in test mode, which production refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crypto import signing
from hotline import create_app, wiring
from hotline.config import ConfigError, load_settings
from tests.support import PG_ADMIN_URL, REDIS_URL, config_for

ROOT = Path(__file__).resolve().parents[2]

STRONG = {
    "ARGON2_RECEIPT_OPS": 3,
    "ARGON2_RECEIPT_MEM": 64 * 1024 * 1024,
    "ARGON2_PASSWORD_OPS": 3,
    "ARGON2_PASSWORD_MEM": 256 * 1024 * 1024,
}


def test_development_shape_is_refused_with_every_reason(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(
            {
                "ENV": "production",
                "TEST_MODE": True,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
                "ARGON2_RECEIPT_OPS": 1,
                "ARGON2_RECEIPT_MEM": 8192,
                # Secure is the default outside development; turning it off is refused.
                "SESSION_COOKIE_SECURE": False,
            }
        )
    message = str(refused.value)
    for reason in (
        "SQLite",
        "HOTLINE_REDIS_URL",
        "rate limits",
        "pepper comes from the instance folder",
        "COOKIE_SECURE",
        "https://",
        "SMTP_HOST",
        "HOTLINE_TEST_MODE",
        "organisation root public key",
    ):
        assert reason in message


def test_pepper_file_inside_the_instance_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "pepper").write_text("ab" * 32)
    monkeypatch.setenv("HOTLINE_PEPPER_FILE", str(instance / "pepper"))
    with pytest.raises(RuntimeError, match="PEPPER_FILE is inside the instance folder"):
        create_app({"ENV": "production", "INSTANCE_PATH": str(instance)})


def test_production_shape_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pepper").write_text("cd" * 32 + "\n")
    monkeypatch.setenv("HOTLINE_PEPPER_FILE", str(tmp_path / "keys" / "pepper"))
    root = tmp_path / "keys" / "root.pub"
    root.write_text(signing.public_file(signing.generate().public()))
    app = create_app(
        {
            **STRONG,
            "KEYS_ROOT_PUBLIC_FILE": str(root),
            "ENV": "production",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": PG_ADMIN_URL,
            "REDIS_URL": REDIS_URL,
            "SESSION_COOKIE_SECURE": True,
            "PUBLIC_URL": "https://hotline.example.org",
            "SMTP_HOST": "mail.example.org",
        }
    )
    assert wiring.settings(app).pepper == "cd" * 32
    assert wiring.settings(app).secret_sources["PEPPER"].startswith("file:")
    wiring.services(app).database.dispose()


def test_weak_argon2_is_refused_outside_test_mode(tmp_path: Path) -> None:
    """Issue 11 item 11: the floors hold at start in every environment but test mode."""
    weak = {"ARGON2_RECEIPT_OPS": 1, "ARGON2_RECEIPT_MEM": 8192, "ARGON2_PASSWORD_MEM": 64 << 20}
    for env in ("development", "staging"):
        with pytest.raises(ConfigError) as refused:
            create_app(
                {
                    "ENV": env,
                    "INSTANCE_PATH": str(tmp_path / env),
                    "DATABASE_URL": "sqlite://",
                    **weak,
                }
            )
        message = str(refused.value)
        assert "HOTLINE_ARGON2_RECEIPT_OPS/_MEM are 1 / 8192 bytes" in message
        assert "HOTLINE_ARGON2_PASSWORD_OPS/_MEM are 3 / 67108864 bytes" in message
    # The floors themselves pass; test mode (tests/support's config) allows cheap ones.
    assert load_settings({**STRONG, "INSTANCE_PATH": str(tmp_path / "strong")})
    app = create_app(config_for("sqlite://", tmp_path / "test"))
    assert wiring.settings(app).argon2_receipt_ops == 1


def test_test_mode_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_TEST_MODE is on"):
        load_settings(
            {**STRONG, "ENV": "production", "TEST_MODE": True, "INSTANCE_PATH": str(tmp_path)}
        )


def test_production_needs_the_root_public_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({**STRONG, "ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert "HOTLINE_KEYS_ROOT_PUBLIC_FILE" in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("HOTLINE_POW_BITS", "sixteen", "HOTLINE_POW_BITS must be an integer (got 'sixteen')"),
        ("HOTLINE_POW_BITS", "40", "HOTLINE_POW_BITS must be at most 32"),
        ("HOTLINE_MAX_ATTACHMENTS", "-1", "HOTLINE_MAX_ATTACHMENTS must be at least 0"),
        ("HOTLINE_REPORT_RATE_LIMIT", "lots", "HOTLINE_REPORT_RATE_LIMIT is not a rate limit"),
        ("HOTLINE_ALLOW_SQLITE", "maybe", "HOTLINE_ALLOW_SQLITE must be 1 or 0"),
        ("HOTLINE_ENV", "prod", "HOTLINE_ENV must be one of development, staging, production"),
        ("HOTLINE_JOB_RETRY_INTERVALS", "30,x", "HOTLINE_JOB_RETRY_INTERVALS must be"),
        ("HOTLINE_PEPPER", "not hex", "HOTLINE_PEPPER must be hex"),
        ("HOTLINE_PUBLIC_URL", "hotline.example.org", "HOTLINE_PUBLIC_URL must be an http"),
        ("BOT_PORT", "0", "BOT_PORT must be at least 1"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(
    variable: str, value: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert says in str(refused.value)


def test_operators_get_the_message_without_a_traceback(tmp_path: Path) -> None:
    """gunicorn and `flask --app wsgi` import wsgi: a bad setting prints its message and
    exits 3 (gunicorn's boot error: the master stops), never a traceback."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
        "HOTLINE_INSTANCE_PATH": str(tmp_path),
        "HOTLINE_POW_BITS": "many",
        "HOTLINE_SMTP_PORT": "70000",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 3
    assert "HOTLINE_POW_BITS must be an integer" in done.stderr
    assert "HOTLINE_SMTP_PORT must be at most 65535" in done.stderr
    assert "Traceback" not in done.stderr
    devserver = subprocess.run(
        [sys.executable, "-m", "hotline.devserver"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert devserver.returncode == 2 and "HOTLINE_POW_BITS" in devserver.stderr
    assert "Traceback" not in devserver.stderr
