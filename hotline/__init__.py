"""The hotline's Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline import argon2_gate, cli, db, http_errors, limits, logs, metrics, security, uploads
from hotline.assets import AssetHashes
from hotline.blobs.images import ImageCleaner
from hotline.blobs.store import BlobStore
from hotline.cli_backup import backup_group
from hotline.cli_jobs import jobs_group
from hotline.cli_keys import keys_group
from hotline.cli_sms import sms_group
from hotline.cli_web import web_group
from hotline.config import load_config, secret_bytes
from hotline.kv import make_store
from hotline.services import audit
from hotline.services.context import ServiceContext
from hotline.services.proof_of_work import ProofOfWork
from hotline.services.throttle import ReceiptThrottle
from hotline.views import words
from hotline.views.admin import make_admin_blueprint
from hotline.views.api import make_api_blueprint
from hotline.views.chat import make_chat_blueprint
from hotline.views.handler_cases import make_handler_cases_blueprint
from hotline.views.handler_files import make_handler_files_blueprint
from hotline.views.handler_signin import make_handler_blueprint
from hotline.views.health import make_health_blueprint
from hotline.views.keys import make_keys_blueprint
from hotline.views.reporter import LANGUAGES, make_reporter_blueprint
from hotline.views.sms import configure as configure_sms
from hotline.views.sms import make_sms_blueprint
from hotline.views.web_api import make_web_api_blueprint
from integrations.rasa import RasaGateway

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def select_locale() -> str:
    """The reporter's explicit choice, else the browser's stated preference; never tracked."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
    )
    app.config.update(settings)
    if int(app.config["PROXY_COUNT"]) > 0:
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(WEB_DIR / "translations"))
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)  # we send no Referer by policy
    logs.configure(app.config["LOG_LEVEL"])
    argon2_gate.bound(int(app.config["ARGON2_CONCURRENCY"]))

    services = ServiceContext.from_config(app.config)
    app.extensions["hotline.services"] = services
    database = db.init_app(app, audit.session_info(services.keyring.pepper))
    store = make_store(app.config["REDIS_URL"], str(app.config["REDIS_PREFIX"]))
    app.extensions["hotline.kv"] = store
    app.extensions["hotline.blobs"] = BlobStore(database.engine)
    app.extensions["hotline.images"] = ImageCleaner(
        int(app.config["IMAGE_MAX_PIXELS"]), int(app.config["IMAGE_CONCURRENCY"])
    )
    app.extensions["hotline.pow"] = ProofOfWork(
        secret_bytes(app.config["SECRET_KEY"], "SECRET_KEY", 32),
        store,
        int(app.config["POW_BITS"]),
        int(app.config["POW_TTL_SECONDS"]),
    )
    app.extensions["hotline.throttle"] = ReceiptThrottle(
        store,
        int(app.config["RECEIPT_FREE_FAILURES"]),
        int(app.config["RECEIPT_MAX_DELAY_SECONDS"]),
    )
    # Failed handler sign-ins: keyed by hashed username + client, its own growing delay.
    app.extensions["hotline.login_throttle"] = ReceiptThrottle(
        store, 5, int(app.config["RECEIPT_MAX_DELAY_SECONDS"])
    )

    Babel(app, locale_selector=select_locale)
    csrf = CSRFProtect(app)
    limiter = limits.make_limiter(app)
    app.extensions["hotline.limiter"] = limiter
    api = make_api_blueprint(limiter)
    web_api = make_web_api_blueprint(limiter)
    csrf.exempt(api)  # JSON only (415 otherwise), token- or ciphertext-authenticated
    csrf.exempt(web_api)
    app.register_blueprint(api)
    app.register_blueprint(web_api)
    app.register_blueprint(make_keys_blueprint(limiter))
    app.register_blueprint(make_reporter_blueprint(limiter))
    app.register_blueprint(make_admin_blueprint(limiter))  # HTML forms: CSRF-protected
    for handler_bp in (
        make_handler_blueprint(limiter),
        make_handler_cases_blueprint(limiter),
        make_handler_files_blueprint(limiter),
    ):
        csrf.exempt(handler_bp)  # JSON only (415 otherwise), SameSite=Strict session cookie
        app.register_blueprint(handler_bp)
    app.extensions["hotline.rasa"] = RasaGateway(
        app.config["RASA_URL"], float(app.config["RASA_TIMEOUT_SECONDS"])
    )
    chat_bp = make_chat_blueprint(limiter)
    csrf.exempt(chat_bp)  # JSON only (415 otherwise), same origin
    app.register_blueprint(chat_bp)
    sms_bp = make_sms_blueprint(limiter)
    csrf.exempt(sms_bp)  # Twilio's signature authenticates these posts
    app.register_blueprint(sms_bp)
    app.register_blueprint(make_health_blueprint())
    configure_sms(app)
    app.cli.add_command(sms_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(web_group)
    assets = AssetHashes(WEB_DIR / "static")
    app.extensions["hotline.assets"] = assets
    app.jinja_env.globals["sri"] = assets.integrity

    uploads.register(app)
    http_errors.register(app)
    security.register(app)
    metrics.register(app)
    cli.register(app)
    words.register(app)

    keys = app.extensions["hotline.services"].keys

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        lang = select_locale()
        return {
            "lang": lang,
            "other_lang": "ja" if lang == "en" else "en",
            "sms_number": app.config["SMS_NUMBER"],
            "max_attachments": app.config["MAX_ATTACHMENTS"],
            "max_attachment_mb": f"{int(app.config['MAX_ATTACHMENT_BYTES']) / 2**20:.3g}",
            "max_attachment_bytes": int(app.config["MAX_ATTACHMENT_BYTES"]),
            "max_field_chars": app.config["MAX_FIELD_CHARS"],
            "ack_days": app.config["ACKNOWLEDGE_DAYS"],
            "feedback_months": app.config["FEEDBACK_MONTHS"],
            "root_key": keys.root_b64,
            "root_fingerprint": keys.fingerprint,
        }

    return app
