"""`HOTLINE_ENV=production`: refuse to start in a shape that is only fit for one machine.

Checked at start, all at once (the operator sees every problem in one go):
- PostgreSQL, not SQLite (unless `HOTLINE_ALLOW_SQLITE=1`, for a one-host install);
- Redis for the shared state and the limiter, not process memory (unless
  `HOTLINE_ALLOW_MEMORY_STORES=1`, which also means one worker);
- the pepper from the environment or from a file outside the instance folder
  (`HOTLINE_PEPPER_FILE`), never generated into the instance folder next to the database;
- secure cookies, an https public URL, a mail server (not the outbox folder);
- no test mode, and Argon2id no cheaper than the production floors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

RECEIPT_FLOOR = (3, 64 * 1024 * 1024)
PASSWORD_FLOOR = (3, 256 * 1024 * 1024)


def is_production(config: Mapping[str, Any]) -> bool:
    return str(config.get("ENV", "")).lower() == "production"


def _inside(path: str, folder: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except OSError:
        return True


def problems(config: Mapping[str, Any], pepper_source: str) -> list[str]:
    """Every reason this configuration is not fit for production. `pepper_source` is where
    the pepper came from: "environment", "file:<path>", "override" or "instance"."""
    found: list[str] = []
    if str(config["DATABASE_URL"]).startswith("sqlite") and not config.get("ALLOW_SQLITE"):
        found.append("HOTLINE_DATABASE_URL is SQLite (use PostgreSQL or HOTLINE_ALLOW_SQLITE=1)")
    memory_ok = bool(config.get("ALLOW_MEMORY_STORES"))
    if not config.get("REDIS_URL") and not memory_ok:
        found.append(
            "HOTLINE_REDIS_URL is not set: SMS drafts, proof-of-work spends and throttles "
            "would live in one process (or set HOTLINE_ALLOW_MEMORY_STORES=1 for one worker)"
        )
    limiter = str(config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://")
    if limiter.startswith("memory") and not memory_ok:
        found.append("rate limits would count in process memory (set HOTLINE_REDIS_URL)")
    if pepper_source == "instance":
        found.append(
            "the pepper comes from the instance folder: give HOTLINE_PEPPER or "
            "HOTLINE_PEPPER_FILE outside it, and back it up apart from the database"
        )
    elif pepper_source.startswith("file:") and _inside(
        pepper_source[5:], str(config["INSTANCE_PATH"])
    ):
        found.append("HOTLINE_PEPPER_FILE is inside the instance folder; keep it elsewhere")
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append("HOTLINE_COOKIE_SECURE must be 1 (TLS in front)")
    if not str(config.get("PUBLIC_URL", "")).startswith("https://"):
        found.append("HOTLINE_PUBLIC_URL must be an https:// address")
    if not config.get("SMTP_HOST") and not config.get("ALLOW_MAIL_OUTBOX"):
        found.append("HOTLINE_SMTP_HOST is not set (notices would only be written to files)")
    if config.get("TESTING"):
        found.append("test mode is on")
    for kind, floor in (("RECEIPT", RECEIPT_FLOOR), ("PASSWORD", PASSWORD_FLOOR)):
        ops, mem = int(config[f"ARGON2_{kind}_OPS"]), int(config[f"ARGON2_{kind}_MEM"])
        if ops < floor[0] or mem < floor[1]:
            found.append(f"HOTLINE_ARGON2_{kind}_OPS/_MEM below {floor[0]} / {floor[1]} bytes")
    if int(config["ARGON2_CONCURRENCY"]) < 1:
        found.append("HOTLINE_ARGON2_CONCURRENCY must be at least 1 in production")
    return found


def check(config: Mapping[str, Any], pepper_source: str) -> None:
    if not is_production(config):
        return
    found = problems(config, pepper_source)
    if found:
        raise RuntimeError(
            "HOTLINE_ENV=production refuses to start:\n" + "\n".join(f"- {p}" for p in found)
        )
