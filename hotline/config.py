"""All configuration, read in one place from HOTLINE_* environment variables.

Secrets not given in the environment are generated on first run and kept in
`<instance>/secrets.json` (mode 0600). The pepper in that file must be backed up apart
from the database: without it no reporter can return and no handler can log in.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crypto.attachments import encrypted_size
from hotline import production

_SECRET_NAMES = ("SECRET_KEY", "PEPPER", "CHANNEL_TOKEN", "RECEIPT_SALT", "PSEUDONYM_KEY")
_SECRET_SIZES = {
    "SECRET_KEY": 32,
    "PEPPER": 32,
    "CHANNEL_TOKEN": 32,
    "RECEIPT_SALT": 16,
    "PSEUDONYM_KEY": 32,
}
MiB = 1024 * 1024


def _env(name: str, default: str) -> str:
    return os.environ.get(f"HOTLINE_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"HOTLINE_{name}")
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"HOTLINE_{name} must be an integer") from exc


def default_instance_path() -> Path:
    return Path(_env("INSTANCE_PATH", str(Path.cwd() / "instance"))).resolve()


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the app's config: defaults, then environment, then explicit overrides."""
    overrides = dict(overrides or {})
    instance = Path(overrides.get("INSTANCE_PATH") or default_instance_path())
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": _env("DATABASE_URL", f"sqlite:///{instance / 'hotline.db'}"),
        "ARGON2_RECEIPT_OPS": _env_int("ARGON2_RECEIPT_OPS", 3),
        "ARGON2_RECEIPT_MEM": _env_int("ARGON2_RECEIPT_MEM", 64 * MiB),
        "ARGON2_PASSWORD_OPS": _env_int("ARGON2_PASSWORD_OPS", 3),
        "ARGON2_PASSWORD_MEM": _env_int("ARGON2_PASSWORD_MEM", 256 * MiB),
        # Empty: the limiter counts in REDIS_URL when that is set, else in process memory.
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", ""),
        # Argon2id runs at once per worker process (receipts 64 MiB each, passwords 256 MiB):
        # more concurrent server-sealed submissions queue instead of multiplying memory.
        "ARGON2_CONCURRENCY": _env_int("ARGON2_CONCURRENCY", 2),
        "RATELIMIT_ENABLED": _env("RATELIMIT_ENABLED", "1") != "0",
        "RECEIPT_RATE_LIMIT": _env("RECEIPT_RATE_LIMIT", "10 per minute;60 per hour"),
        "RECEIPT_GLOBAL_RATE_LIMIT": _env("RECEIPT_GLOBAL_RATE_LIMIT", "300 per minute"),
        "REPORT_RATE_LIMIT": _env("REPORT_RATE_LIMIT", "10 per minute;100 per hour"),
        "REPORT_GLOBAL_RATE_LIMIT": _env("REPORT_GLOBAL_RATE_LIMIT", "120 per minute"),
        "MAX_FIELD_CHARS": _env_int("MAX_FIELD_CHARS", 20_000),
        "MAX_JSON_BYTES": _env_int("MAX_JSON_BYTES", 512 * 1024),
        "MAX_ATTACHMENT_BYTES": _env_int("MAX_ATTACHMENT_BYTES", 10 * MiB),
        "MAX_ATTACHMENTS": _env_int("MAX_ATTACHMENTS", 5),
        # Images are decoded to strip their metadata: refuse more pixels than this from the
        # header, and decode at most this many at once per process (memory for images stays
        # under concurrency x 2 x 4 bytes x pixels: 320 MB at the defaults).
        "IMAGE_MAX_PIXELS": _env_int("IMAGE_MAX_PIXELS", 40_000_000),
        "IMAGE_CONCURRENCY": _env_int("IMAGE_CONCURRENCY", 1),
        "POW_BITS": _env_int("POW_BITS", 16),
        "POW_TTL_SECONDS": _env_int("POW_TTL_SECONDS", 600),
        "RECEIPT_FREE_FAILURES": _env_int("RECEIPT_FREE_FAILURES", 3),
        "RECEIPT_MAX_DELAY_SECONDS": _env_int("RECEIPT_MAX_DELAY_SECONDS", 300),
        # Shared short-lived state (SMS sessions and drafts, proof-of-work spends,
        # throttles): Redis when set, so any worker on any host continues any conversation;
        # without it, process memory, which is right for one process only.
        "REDIS_URL": _env("REDIS_URL", ""),
        # HOTLINE_ENV=production checks the whole shape at start (hotline/production.py);
        # these switches allow a one-host production on purpose.
        "ENV": _env("ENV", "development"),
        "ALLOW_SQLITE": _env("ALLOW_SQLITE", "0") == "1",
        "ALLOW_MEMORY_STORES": _env("ALLOW_MEMORY_STORES", "0") == "1",
        "ALLOW_MAIL_OUTBOX": _env("ALLOW_MAIL_OUTBOX", "0") == "1",
        "REDIS_PREFIX": _env("REDIS_PREFIX", "hotline:kv:"),
        # Reverse proxies in front of the app (TLS terminates there): trust that many
        # X-Forwarded-* hops, so HTTPS is seen (HSTS, secure cookies) and limits key on the
        # client, whose address is still only ever hashed.
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        "PAGE_RATE_LIMIT": _env("PAGE_RATE_LIMIT", "120 per minute"),
        "CHAT_RATE_LIMIT": _env("CHAT_RATE_LIMIT", "30 per minute;300 per hour"),
        "CHAT_GLOBAL_RATE_LIMIT": _env("CHAT_GLOBAL_RATE_LIMIT", "600 per minute"),
        "RASA_URL": _env("RASA_URL", "http://127.0.0.1:5005"),
        "RASA_TIMEOUT_SECONDS": _env_int("RASA_TIMEOUT_SECONDS", 10),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "HANDLER_IDLE_MINUTES": _env_int("HANDLER_IDLE_MINUTES", 30),
        "HANDLER_MAX_HOURS": _env_int("HANDLER_MAX_HOURS", 10),
        "ACKNOWLEDGE_DAYS": _env_int("ACKNOWLEDGE_DAYS", 7),
        "FEEDBACK_MONTHS": _env_int("FEEDBACK_MONTHS", 3),
        "ROUTING_FILE": _env("ROUTING_FILE", str(Path(__file__).parent / "data" / "routing.json")),
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        "SMS_NUMBER": _env("SMS_NUMBER", ""),
        # Retention: closed cases are purged this many days after closing, with a warning to
        # their handlers PURGE_WARNING_DAYS before (`flask cases purge`, run daily by cron).
        "RETENTION_DAYS": _env_int("RETENTION_DAYS", 90),
        "PURGE_WARNING_DAYS": _env_int("PURGE_WARNING_DAYS", 14),
        # Content-free notices to handlers (`flask notify digest`). With no SMTP host, mail is
        # written as .eml files into MAIL_OUTBOX (default <instance>/outbox) instead.
        "SMTP_HOST": _env("SMTP_HOST", ""),
        "SMTP_PORT": _env_int("SMTP_PORT", 587),
        "SMTP_USER": _env("SMTP_USER", ""),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD", ""),
        "SMTP_FROM": _env("SMTP_FROM", "hotline@localhost"),
        "SMTP_STARTTLS": _env("SMTP_STARTTLS", "1") != "0",
        "SMTP_TIMEOUT_SECONDS": _env_int("SMTP_TIMEOUT_SECONDS", 30),
        "SMTP_CA_FILE": _env("SMTP_CA_FILE", ""),
        "MAIL_OUTBOX": _env("MAIL_OUTBOX", ""),
        "PUBLIC_URL": _env("PUBLIC_URL", "http://127.0.0.1:8000"),
        "DIGEST_DUE_DAYS": _env_int("DIGEST_DUE_DAYS", 2),
        # The SMS line is off unless Twilio's auth token is set (signatures are checked
        # against it). Account SID: to delete message bodies at Twilio after intake.
        "TWILIO_AUTH_TOKEN": _env("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_ACCOUNT_SID": _env("TWILIO_ACCOUNT_SID", ""),
        "SMS_RATE_LIMIT": _env("SMS_RATE_LIMIT", "20 per minute;200 per day"),
        "SMS_SESSION_TTL_SECONDS": _env_int("SMS_SESSION_TTL_SECONDS", 1800),
        "SMS_DRAFT_TTL_SECONDS": _env_int("SMS_DRAFT_TTL_SECONDS", 1800),
        # Twilio's retries of one message get the same answer for this long, then nothing;
        # MessageSid tags are remembered this many days to refuse replays (rotate the
        # Twilio auth token at least as often).
        "SMS_RETRY_WINDOW_MINUTES": _env_int("SMS_RETRY_WINDOW_MINUTES", 10),
        "SMS_REPLAY_MEMORY_DAYS": _env_int("SMS_REPLAY_MEMORY_DAYS", 400),
        # Jobs on RQ (needs REDIS_URL): queue name, retry backoff in seconds (one retry per
        # entry), how long a failed job's record stays; attempts per Twilio deletion.
        "JOBS_QUEUE": _env("JOBS_QUEUE", "hotline"),
        "JOB_RETRY_INTERVALS": _env("JOB_RETRY_INTERVALS", "30,120,600"),
        "JOB_FAILURE_TTL_SECONDS": _env_int("JOB_FAILURE_TTL_SECONDS", 7 * 86_400),
        "TWILIO_DELETE_ATTEMPTS": _env_int("TWILIO_DELETE_ATTEMPTS", 20),
        # The organisation root key's public half (docs/keys.md): base64 / public key file
        # text, or a path outside the instance folder. Never read from the database.
        "KEYS_ROOT_PUBLIC": _env("KEYS_ROOT_PUBLIC", ""),
        "KEYS_ROOT_PUBLIC_FILE": _env("KEYS_ROOT_PUBLIC_FILE", ""),
        # Small installations only: the root key file kept online, so new keys are signed
        # at once. The app warns at every start while this is set.
        "KEYS_ONLINE_ROOT_FILE": _env("KEYS_ONLINE_ROOT_FILE", ""),
        "KEYS_ONLINE_ROOT_PASSPHRASE": _env("KEYS_ONLINE_ROOT_PASSPHRASE", ""),
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_HTTPONLY": True,
    }
    explicit_secrets = {name: overrides.pop(name) for name in _SECRET_NAMES if name in overrides}
    config.update(overrides)
    if "SESSION_COOKIE_SECURE" not in overrides:
        # Secure by default: only development serves plain HTTP (HOTLINE_COOKIE_SECURE decides
        # when set, e.g. 0 for a small service reached only on this machine).
        plain_http = str(config["ENV"]).lower() == "development"
        config["SESSION_COOKIE_SECURE"] = _env("COOKIE_SECURE", "0" if plain_http else "1") == "1"
    if not config["MAIL_OUTBOX"] and not config["SMTP_HOST"]:
        config["MAIL_OUTBOX"] = str(Path(config["INSTANCE_PATH"]) / "outbox")
    # Whole requests may carry the files, padded to their buckets and encrypted (the largest
    # allowed file fills its bucket); JSON bodies are capped separately (MAX_JSON_BYTES).
    config.setdefault(
        "MAX_CONTENT_LENGTH",
        int(config["MAX_ATTACHMENTS"]) * encrypted_size(int(config["MAX_ATTACHMENT_BYTES"])) + MiB,
    )
    config.update(_load_secrets(Path(config["INSTANCE_PATH"]), explicit_secrets))
    production.check(config, str(config["SECRET_SOURCES"]["PEPPER"]))
    return config


def _load_secrets(instance: Path, explicit: Mapping[str, Any]) -> dict[str, Any]:
    """Each secret: explicit override, else HOTLINE_<NAME>, else the file HOTLINE_<NAME>_FILE
    names, else the instance file (made if absent). SECRET_SOURCES says which, per secret."""
    path = instance / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    result: dict[str, Any] = {}
    sources: dict[str, str] = {}
    result["SECRET_SOURCES"] = sources
    for name in _SECRET_NAMES:
        if name in explicit:
            result[name], sources[name] = explicit[name], "override"
            continue
        env_value = os.environ.get(f"HOTLINE_{name}")
        if env_value is not None:
            result[name], sources[name] = env_value, "environment"
            continue
        file_name = os.environ.get(f"HOTLINE_{name}_FILE")
        if file_name:
            try:
                result[name] = Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise RuntimeError(f"HOTLINE_{name}_FILE cannot be read") from exc
            sources[name] = f"file:{file_name}"
            continue
        sources[name] = "instance"
        if name not in stored:
            stored[name] = secrets.token_hex(_SECRET_SIZES[name])
            changed = True
        result[name] = stored[name]
    if changed:
        _write_private(path, json.dumps(stored, indent=2))
    return result


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def secret_bytes(value: str | bytes, name: str, size: int) -> bytes:
    """Secrets are given as hex; decode and check length."""
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = bytes.fromhex(value)
        except ValueError as exc:
            raise RuntimeError(f"HOTLINE_{name} must be hex") from exc
    if len(raw) < size:
        raise RuntimeError(f"HOTLINE_{name} must be at least {size} bytes")
    return raw
