"""All configuration: one typed, frozen `Settings`, built and checked once at start.

Each setting comes from, in order: its default, the environment (`HOTLINE_<NAME>`, a few
named otherwise), then the explicit overrides given to `create_app` (tests). Every value is
checked when the settings are built: a bad value stops the start with a message naming the
variable (`ConfigError`, every problem at once), never a traceback later in a request.
This module is the only one that reads the environment for the app's settings.

Secrets not given in the environment (or in a file it names) are generated on first run
and kept in `<instance>/secrets.json` (mode 0600); `HOTLINE_ENV=production` refuses that
for the pepper. The pepper must be backed up apart from the database: without it no reporter
can return and no handler can sign in (docs/operations.md).

`HOTLINE_ENV=production` also checks the whole shape (the production profile, below):
PostgreSQL, Redis, the pepper outside the instance folder, the organisation root key, TLS,
mail, and no test mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from crypto.attachments import encrypted_size
from hotline.config_values import ConfigError as ConfigError  # raised here, caught by callers
from hotline.config_values import check_value, parse_value
from hotline.instance_secrets import HEX_SECRETS, SECRET_SIZES, load_secrets, secret_bytes

MiB = 1024 * 1024

# Argon2id floors (issue 11 item 11): below these the start is refused outside test mode.
# The browser bundle carries the same floors (web/js/crypto/primitives.js, set at build time).
RECEIPT_FLOOR = (3, 64 * MiB)
PASSWORD_FLOOR = (3, 256 * MiB)

ENVIRONMENTS = ("development", "staging", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_INSTANCE = Path("instance")  # resolved at load: $HOTLINE_INSTANCE_PATH, else ./instance


def _s(
    default: Any,
    *,
    env: str = "",
    least: int | float | None = None,
    most: int | float | None = None,
    kind: str = "",
    secret: bool = False,
) -> Any:
    """A setting: default, environment variable (HOTLINE_<NAME> unless `env`), bounds and
    kind ("rate": a rate limit like "10 per minute;100 per hour")."""
    return field(
        default=default,
        repr=not secret,
        metadata={"env": env, "least": least, "most": most, "kind": kind},
    )


@dataclass(frozen=True)
class Settings:
    """Every setting of the app, typed. Build it with `load_settings`, never by hand."""

    # Where things are
    instance_path: Path = _s(_INSTANCE)  # noqa: RUF009 (_s is dataclasses.field)
    database_url: str = _s("")  # "" until loaded: sqlite:///<instance>/hotline.db
    routing_file: str = _s(str(Path(__file__).parent / "data" / "routing.json"))
    public_url: str = _s("http://127.0.0.1:8000")
    log_level: str = _s("INFO")
    env: str = _s("development")
    # Secrets (hex; see SECRET_SIZES), generated into the instance folder when not given.
    secret_key: str = _s("", secret=True)
    pepper: str = _s("", secret=True)
    channel_token: str = _s("", secret=True)
    receipt_salt: str = _s("", secret=True)
    pseudonym_key: str = _s("", secret=True)
    # Per secret: "override", "environment", "file:<path>" or "instance".
    secret_sources: Mapping[str, str] = field(default_factory=dict)
    test_mode: bool = _s(False)
    # One start only, after making sure: record the pepper's check value although the
    # database holds cases or handlers and has none (a database migrated without `flask db
    # upgrade`). Never needed otherwise.
    pepper_adopt: bool = _s(False)
    # Organisation root key (docs/keys.md)
    keys_root_public: str = _s("")
    keys_root_public_file: str = _s("")
    keys_online_root_file: str = _s("")
    keys_online_root_passphrase: str = _s("", secret=True)
    # Argon2id
    argon2_receipt_ops: int = _s(RECEIPT_FLOOR[0], least=1)
    argon2_receipt_mem: int = _s(RECEIPT_FLOOR[1], least=8192)
    argon2_password_ops: int = _s(PASSWORD_FLOOR[0], least=1)
    argon2_password_mem: int = _s(PASSWORD_FLOOR[1], least=8192)
    # Argon2id runs at once per worker process (receipts 64 MiB each, passwords 256 MiB):
    # more concurrent server-sealed submissions queue instead of multiplying memory. 0: no bound.
    argon2_concurrency: int = _s(2, least=0)
    # The host's Argon2id pool (crypto/argon2_pool.py): "" runs Argon2id in the workers.
    argon2_socket: str = _s("")
    # Shared state and limits
    redis_url: str = _s("")
    redis_prefix: str = _s("hotline:kv:")
    ratelimit_storage_uri: str = _s("")  # "": REDIS_URL when set, else process memory
    ratelimit_enabled: bool = _s(True)
    ratelimit_key_prefix: str = _s("hotline")
    receipt_rate_limit: str = _s("10 per minute;60 per hour", kind="rate")
    receipt_global_rate_limit: str = _s("300 per minute", kind="rate")
    report_rate_limit: str = _s("10 per minute;100 per hour", kind="rate")
    report_global_rate_limit: str = _s("120 per minute", kind="rate")
    page_rate_limit: str = _s("120 per minute", kind="rate")
    chat_rate_limit: str = _s("30 per minute;300 per hour", kind="rate")
    chat_global_rate_limit: str = _s("600 per minute", kind="rate")
    login_rate_limit: str = _s("10 per minute;50 per hour", kind="rate")
    sms_rate_limit: str = _s("20 per minute;200 per day", kind="rate")
    proxy_count: int = _s(0, least=0, most=10)
    # Input
    max_field_chars: int = _s(20_000, least=1)
    max_json_bytes: int = _s(512 * 1024, least=1024)
    max_attachment_bytes: int = _s(10 * MiB, least=1)
    max_attachments: int = _s(5, least=0)
    max_content_length: int = _s(0, least=0)  # 0 until loaded: attachments + 1 MiB
    image_max_pixels: int = _s(40_000_000, least=1)
    image_concurrency: int = _s(1, least=1)
    pow_bits: int = _s(16, least=0, most=32)
    pow_ttl_seconds: int = _s(600, least=1)
    # Wrong receipts and passwords
    receipt_free_failures: int = _s(3, least=0)
    receipt_max_delay_seconds: int = _s(300, least=0)
    login_free_failures: int = _s(5, least=0)
    # Sessions and cookies
    handler_idle_minutes: int = _s(30, least=1)
    handler_max_hours: int = _s(10, least=1)
    # Secure unless development (HOTLINE_COOKIE_SECURE decides when set).
    session_cookie_secure: bool = _s(False, env="HOTLINE_COOKIE_SECURE")
    # Deadlines and retention
    acknowledge_days: int = _s(7, least=1)
    feedback_months: int = _s(3, least=1)
    retention_days: int = _s(90, least=1)
    purge_warning_days: int = _s(14, least=0)
    digest_due_days: int = _s(2, least=0)
    # Chat bot
    rasa_url: str = _s("http://127.0.0.1:5005")
    rasa_timeout_seconds: float = _s(10.0, least=0.1)
    # Mail
    smtp_host: str = _s("")
    smtp_port: int = _s(587, least=1, most=65535)
    smtp_user: str = _s("")
    smtp_password: str = _s("", secret=True)
    smtp_from: str = _s("hotline@localhost")
    smtp_starttls: bool = _s(True)
    smtp_timeout_seconds: float = _s(30.0, least=0.1)
    smtp_ca_file: str = _s("")
    mail_outbox: str = _s("")  # "" with no SMTP host: <instance>/outbox
    # SMS line
    sms_number: str = _s("")
    twilio_auth_token: str = _s("", secret=True)
    twilio_account_sid: str = _s("")
    sms_session_ttl_seconds: int = _s(1800, least=1)
    sms_draft_ttl_seconds: int = _s(1800, least=1)
    sms_retry_window_minutes: int = _s(10, least=1)
    sms_replay_memory_days: int = _s(400, least=1)
    twilio_cleanup_delay_seconds: float = _s(5.0, least=0)
    twilio_delete_attempts: int = _s(20, least=1)
    # Jobs (RQ on REDIS_URL)
    jobs_queue: str = _s("hotline")
    job_retry_intervals: tuple[int, ...] = _s((30, 120, 600), kind="intervals")
    job_failure_ttl_seconds: int = _s(7 * 86_400, least=1)
    # Production profile switches: a one-host production on purpose
    allow_sqlite: bool = _s(False)
    allow_memory_stores: bool = _s(False)
    allow_mail_outbox: bool = _s(False)
    # `python -m hotline.devserver` (make run)
    host: str = _s("127.0.0.1")
    port: int = _s(8000, least=1, most=65535)
    bot_port: int = _s(5005, least=1, most=65535, env="BOT_PORT")
    bot_actions_port: int = _s(5055, least=1, most=65535, env="BOT_ACTIONS_PORT")

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def limiter_storage_uri(self) -> str:
        """Where the limiter counts: its own setting, else the shared Redis, else memory."""
        return self.ratelimit_storage_uri or self.redis_url or "memory://"

    def secret(self, name: str) -> bytes:
        """A hex secret as bytes (checked at load: hex, long enough)."""
        return secret_bytes(str(getattr(self, name.lower())), name, SECRET_SIZES[name])

    def flask_config(self) -> dict[str, Any]:
        """What Flask and its extensions read from `app.config` (nothing of ours does)."""
        return {
            "SECRET_KEY": self.secret_key,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "WTF_CSRF_SSL_STRICT": False,  # we send no Referer by policy
        }


def env_name(name: str) -> str:
    """The environment variable of a setting (its field name)."""
    for item in fields(Settings):
        if item.name == name:
            return str(item.metadata.get("env") or f"HOTLINE_{name.upper()}")
    raise KeyError(name)


def default_instance_path() -> Path:
    return Path(os.environ.get("HOTLINE_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Defaults, then the environment, then `overrides` (keys are the upper-case setting
    names, e.g. {"ARGON2_RECEIPT_OPS": 1}); checked all at once. Overrides that are not
    settings are ignored here (Flask's own keys: see `flask_overrides`)."""
    given = dict(overrides or {})
    values: dict[str, Any] = {}
    problems: list[str] = []
    explicit: set[str] = set()
    for item in fields(Settings):
        if item.name in ("secret_sources",) or item.name.upper() in SECRET_SIZES:
            continue
        key, variable = item.name.upper(), env_name(item.name)
        if key in given:
            raw: Any = given[key]
        elif os.environ.get(variable, "") != "":
            raw = os.environ[variable]
        else:
            continue
        explicit.add(item.name)
        try:
            values[item.name] = parse_value(item, raw)
        except ValueError as error:
            problems.append(f"{variable} {error}")
            continue
        trouble = check_value(item, values[item.name])
        if trouble:
            problems.append(f"{variable} {trouble}")
    if "SESSION_COOKIE_SECURE" in given:  # Flask's name for it, as tests give it
        values["session_cookie_secure"] = bool(given["SESSION_COOKIE_SECURE"])
        explicit.add("session_cookie_secure")

    instance = Path(values.get("instance_path") or default_instance_path()).resolve()
    values["instance_path"] = instance
    env = str(values.get("env", "development")).lower()
    values["env"] = env
    if env not in ENVIRONMENTS:
        problems.append(f"HOTLINE_ENV must be one of {', '.join(ENVIRONMENTS)} (got {env!r})")
    level = str(values.get("log_level", "INFO")).upper()
    values["log_level"] = level
    if level not in LOG_LEVELS:
        problems.append(f"HOTLINE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    values.setdefault("database_url", f"sqlite:///{instance / 'hotline.db'}")
    if "session_cookie_secure" not in explicit:
        values["session_cookie_secure"] = env != "development"
    if not values.get("mail_outbox") and not values.get("smtp_host"):
        values["mail_outbox"] = str(instance / "outbox")
    if not values.get("max_content_length"):
        # Whole requests may carry the files, padded to their buckets and encrypted (the
        # largest allowed file fills its bucket); JSON bodies are capped separately.
        attachments = values.get("max_attachments", Settings.max_attachments)
        size = values.get("max_attachment_bytes", Settings.max_attachment_bytes)
        values["max_content_length"] = attachments * encrypted_size(size) + MiB
    for name in ("public_url", "rasa_url"):
        url = str(values.get(name, getattr(Settings, name)))
        if not url.startswith(("http://", "https://")):
            problems.append(f"{env_name(name)} must be an http:// or https:// address")
    if problems:
        raise ConfigError(_message(problems))

    try:
        instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ConfigError(f"HOTLINE_INSTANCE_PATH cannot be made: {error}") from None
    secret_values, sources = load_secrets(instance, given)
    for name in HEX_SECRETS:
        try:
            secret_bytes(secret_values[name], name, SECRET_SIZES[name])
        except ConfigError as error:
            problems.append(str(error))
    values.update({name.lower(): value for name, value in secret_values.items()})
    settings = Settings(**values, secret_sources=sources)
    problems += _argon2_problems(settings)
    if settings.production:
        problems += production_problems(settings)
    if problems:
        raise ConfigError(_message(problems, settings.production))
    return settings


def flask_overrides(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The overrides that are not settings: Flask's own keys (TESTING, WTF_CSRF_ENABLED…)."""
    ours = {item.name.upper() for item in fields(Settings)} | {"SESSION_COOKIE_SECURE"}
    return {k: v for k, v in (overrides or {}).items() if k not in ours}


def _message(problems: list[str], production: bool = False) -> str:
    head = (
        "HOTLINE_ENV=production refuses to start:"
        if production
        else "the configuration is not usable:"
    )
    return head + "\n" + "\n".join(f"- {p}" for p in problems)


def _argon2_problems(settings: Settings) -> list[str]:
    """Floors for Argon2id, outside test mode; test mode never in production."""
    found: list[str] = []
    if settings.test_mode:
        if settings.production:
            found.append("HOTLINE_TEST_MODE is on (test-sized Argon2id and more)")
        return found
    for kind, floor in (("RECEIPT", RECEIPT_FLOOR), ("PASSWORD", PASSWORD_FLOOR)):
        ops = getattr(settings, f"argon2_{kind.lower()}_ops")
        mem = getattr(settings, f"argon2_{kind.lower()}_mem")
        if ops < floor[0] or mem < floor[1]:
            names = env_name(f"argon2_{kind.lower()}_ops") + "/_MEM"
            found.append(
                f"{names} are {ops} / {mem} bytes, below the floor of "
                f"{floor[0]} / {floor[1]} bytes (cheaper values are for tests only)"
            )
    return found


def _inside(path: str, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except OSError:
        return True


def production_problems(settings: Settings) -> list[str]:
    """Every reason these settings are not fit for production (`HOTLINE_ENV=production`)."""
    found: list[str] = []
    if settings.database_url.startswith("sqlite") and not settings.allow_sqlite:
        found.append("HOTLINE_DATABASE_URL is SQLite (use PostgreSQL or HOTLINE_ALLOW_SQLITE=1)")
    if not settings.redis_url and not settings.allow_memory_stores:
        found.append(
            "HOTLINE_REDIS_URL is not set: SMS drafts, proof-of-work spends and throttles "
            "would live in one process (or set HOTLINE_ALLOW_MEMORY_STORES=1 for one worker)"
        )
    if settings.limiter_storage_uri.startswith("memory") and not settings.allow_memory_stores:
        found.append("rate limits would count in process memory (set HOTLINE_REDIS_URL)")
    source = settings.secret_sources.get("PEPPER", "instance")
    if source == "instance":
        found.append(
            "the pepper comes from the instance folder: give HOTLINE_PEPPER or "
            "HOTLINE_PEPPER_FILE outside it, and back it up apart from the database"
        )
    elif source.startswith("file:") and _inside(source[5:], settings.instance_path):
        found.append("HOTLINE_PEPPER_FILE is inside the instance folder; keep it elsewhere")
    if not (
        settings.keys_root_public
        or settings.keys_root_public_file
        or settings.keys_online_root_file
    ):
        found.append(
            "no organisation root public key: set HOTLINE_KEYS_ROOT_PUBLIC_FILE (docs/keys.md); "
            "without it no handler key can be verified and no report can be sealed"
        )
    if not settings.session_cookie_secure:
        found.append("HOTLINE_COOKIE_SECURE must be 1 (TLS in front)")
    if not settings.public_url.startswith("https://"):
        found.append("HOTLINE_PUBLIC_URL must be an https:// address")
    if not settings.smtp_host and not settings.allow_mail_outbox:
        found.append("HOTLINE_SMTP_HOST is not set (notices would only be written to files)")
    if settings.argon2_concurrency < 1:
        found.append("HOTLINE_ARGON2_CONCURRENCY must be at least 1 in production")
    return found
