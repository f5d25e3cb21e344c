"""The hotline's Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from hotline import cli, db, http_errors, limits, logs, security
from hotline.config import load_config
from hotline.services.context import ServiceContext
from hotline.views.api import make_api_blueprint

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
    )
    app.config.update(settings)
    logs.configure(app.config["LOG_LEVEL"])
    app.extensions["hotline.services"] = ServiceContext.from_config(app.config)
    db.init_app(app)
    limiter = limits.make_limiter(app)
    app.extensions["hotline.limiter"] = limiter
    app.register_blueprint(make_api_blueprint(limiter))
    http_errors.register(app)
    security.register(app)
    cli.register(app)
    return app
