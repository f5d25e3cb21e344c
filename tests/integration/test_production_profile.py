"""HOTLINE_ENV=production refuses a one-machine shape, all problems at once; a proper
production configuration starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline import create_app
from tests.support import PG_ADMIN_URL, REDIS_URL

STRONG = {
    "ARGON2_RECEIPT_OPS": 3,
    "ARGON2_RECEIPT_MEM": 64 * 1024 * 1024,
    "ARGON2_PASSWORD_OPS": 3,
    "ARGON2_PASSWORD_MEM": 256 * 1024 * 1024,
}


def test_development_shape_is_refused_with_every_reason(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as refused:
        create_app(
            {
                "ENV": "production",
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
        "ARGON2_RECEIPT",
    ):
        assert reason in message
    assert "ARGON2_PASSWORD" not in message


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
    app = create_app(
        {
            **STRONG,
            "ENV": "production",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": PG_ADMIN_URL,
            "REDIS_URL": REDIS_URL,
            "SESSION_COOKIE_SECURE": True,
            "PUBLIC_URL": "https://hotline.example.org",
            "SMTP_HOST": "mail.example.org",
        }
    )
    assert app.config["PEPPER"] == "cd" * 32
    assert app.config["SECRET_SOURCES"]["PEPPER"].startswith("file:")
    app.extensions["hotline.db"].dispose()
