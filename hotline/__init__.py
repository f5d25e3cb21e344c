"""The hotline's Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline import (
    argon2_gate,
    cli_lazy,
    db,
    http_errors,
    limits,
    logs,
    metrics,
    pepper_check,
    security,
    uploads,
    wiring,
)
from hotline.assets import AssetHashes
from hotline.blobs.images import ImageCleaner
from hotline.blobs.store import BlobStore
from hotline.config import flask_overrides, load_settings
from hotline.kv import make_store
from hotline.services import audit
from hotline.services.context import ServiceContext
from hotline.services.proof_of_work import ProofOfWork
from hotline.services.throttle import ReceiptThrottle
from hotline.views import words
from hotline.views.admin import make_admin_blueprint
from hotline.views.api import make_api_blueprint
from hotline.views.chat import make_chat_blueprint
from hotline.views.fragments import Fragments
from hotline.views.handler_cases import make_handler_cases_blueprint
from hotline.views.handler_files import make_handler_files_blueprint
from hotline.views.handler_signin import make_handler_blueprint
from hotline.views.health import make_health_blueprint
from hotline.views.keys import make_keys_blueprint
from hotline.views.reporter import LANGUAGES, make_reporter_blueprint
from hotline.views.sms import make_sms_blueprint, make_sms_line
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
    """The app, from the environment's settings and `config`'s overrides (tests). Refuses
    to start (`ConfigError`, one line per problem) when a setting is unusable or the
    pepper does not match the database's."""
    settings = load_settings(config)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
    )
    app.config.update(settings.flask_config())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(WEB_DIR / "translations")
    app.config.update(flask_overrides(config))
    if settings.proxy_count > 0:
        hops = settings.proxy_count
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    logs.configure(settings.log_level)
    argon2_gate.bound(settings.argon2_concurrency)
    argon2_gate.share_pool(settings.argon2_socket)

    context = ServiceContext.from_settings(settings)
    database = db.Database(settings.database_url, audit.session_info(context.keyring.pepper))
    try:
        pepper_check.verify(database.sessions, context.keyring.pepper, settings.pepper_adopt)
    except BaseException:
        database.dispose()
        raise
    db.register(app)
    store = make_store(settings.redis_url, settings.redis_prefix)
    rasa = RasaGateway(settings.rasa_url, settings.rasa_timeout_seconds)
    sms_line, twilio_cleaner = make_sms_line(settings, context, store, rasa)
    wiring.attach(
        app,
        settings,
        wiring.Services(
            context=context,
            database=database,
            kv=store,
            blobs=BlobStore(database.engine),
            images=ImageCleaner(settings.image_max_pixels, settings.image_concurrency),
            pow=ProofOfWork(
                settings.secret("SECRET_KEY"), store, settings.pow_bits, settings.pow_ttl_seconds
            ),
            throttle=ReceiptThrottle(
                store, settings.receipt_free_failures, settings.receipt_max_delay_seconds
            ),
            # Failed handler sign-ins: keyed by hashed username + client, its own delay.
            login_throttle=ReceiptThrottle(
                store, settings.login_free_failures, settings.receipt_max_delay_seconds
            ),
            limiter=limits.make_limiter(app, settings),
            rasa=rasa,
            sms=sms_line,
            twilio_cleaner=twilio_cleaner,
            assets=AssetHashes(WEB_DIR / "static"),
        ),
    )
    limiter = wiring.services(app).limiter

    Babel(app, locale_selector=select_locale)
    csrf = CSRFProtect(app)
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
    chat_bp = make_chat_blueprint(limiter)
    csrf.exempt(chat_bp)  # JSON only (415 otherwise), same origin
    app.register_blueprint(chat_bp)
    sms_bp = make_sms_blueprint(limiter)
    csrf.exempt(sms_bp)  # Twilio's signature authenticates these posts
    app.register_blueprint(sms_bp)
    app.register_blueprint(make_health_blueprint())

    def sri(relative: str) -> str:
        return wiring.services(app).assets.integrity(relative)

    app.jinja_env.globals["sri"] = sri

    uploads.register(app)
    http_errors.register(app)
    security.register(app)
    metrics.register(app)
    cli_lazy.register(app)
    words.register(app)

    keys = context.keys
    # The page globals per locale. Lifetime: while the app's settings object is the same
    # (tests replace it on a running app). Reason: they are the only values a page
    # fragment may use (hotline/views/fragments.py), and they are the same on every page.
    fixed: dict[str, tuple[Any, dict[str, Any]]] = {}

    def page_globals(lang: str) -> dict[str, Any]:
        settings = wiring.settings(app)
        found = fixed.get(lang)
        if found is None or found[0] is not settings:
            found = fixed[lang] = (
                settings,
                {
                    "lang": lang,
                    "other_lang": "ja" if lang == "en" else "en",
                    "sms_number": settings.sms_number,
                    "max_attachments": settings.max_attachments,
                    "max_attachment_mb": f"{settings.max_attachment_bytes / 2**20:.3g}",
                    "max_attachment_bytes": settings.max_attachment_bytes,
                    "max_field_chars": settings.max_field_chars,
                    "ack_days": settings.acknowledge_days,
                    "feedback_months": settings.feedback_months,
                    "handler_idle_minutes": settings.handler_idle_minutes,
                    "root_key": keys.root_b64,
                    "root_fingerprint": keys.fingerprint,
                },
            )
        return found[1]

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return page_globals(select_locale())

    app.jinja_env.globals["fragment"] = Fragments(app.jinja_env, page_globals)

    return app
