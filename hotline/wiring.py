"""The one way to reach the app's settings and long-lived services: `settings()` and
`services()` (for the current app, or the app given).

`create_app` builds both once and attaches them here; nothing else keeps objects in
`app.extensions` under our name, and nothing else reads configuration from `app.config`
(that holds only what Flask and its extensions read, see `Settings.flask_config`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

from hotline.config import Settings

if TYPE_CHECKING:
    from flask_limiter import Limiter

    from hotline.assets import AssetHashes
    from hotline.blobs.images import ImageCleaner
    from hotline.blobs.store import BlobStore
    from hotline.db import Database
    from hotline.kv import ExpiringStore
    from hotline.services.context import ServiceContext
    from hotline.services.proof_of_work import ProofOfWork
    from hotline.services.sms import SmsLine
    from hotline.services.throttle import ReceiptThrottle
    from integrations.rasa import RasaGateway
    from integrations.twilio.deletion import TwilioCleaner

_KEY = "hotline"


@dataclass
class Services:
    """Every long-lived object the app made at start. Not frozen: a test may swap one (a
    bot gateway that points nowhere, a Twilio client that fails)."""

    context: ServiceContext  # what the service layer needs: keyring, key trust, policy
    database: Database
    kv: ExpiringStore  # shared short-lived state (Redis, or process memory)
    blobs: BlobStore
    images: ImageCleaner
    pow: ProofOfWork
    throttle: ReceiptThrottle  # wrong receipts
    login_throttle: ReceiptThrottle  # wrong handler sign-ins
    limiter: Limiter
    rasa: RasaGateway
    sms: SmsLine
    twilio_cleaner: TwilioCleaner | None  # None: bodies cannot be deleted at Twilio
    assets: AssetHashes


@dataclass
class Wiring:
    settings: Settings
    services: Services


def attach(app: Flask, settings: Settings, services: Services) -> None:
    """Done once by `create_app` (and by tests that replace the settings of a running app)."""
    app.extensions[_KEY] = Wiring(settings, services)


def wiring_of(app: Flask | None = None) -> Wiring:
    """Both, as attached (tests patch `.settings` on it with pytest's monkeypatch)."""
    found = (app if app is not None else current_app).extensions.get(_KEY)
    if not isinstance(found, Wiring):
        raise RuntimeError("this Flask app was not made by hotline.create_app")
    return found


def settings(app: Flask | None = None) -> Settings:
    """The settings of `app`, else of the current app."""
    return wiring_of(app).settings


def services(app: Flask | None = None) -> Services:
    """The services of `app`, else of the current app."""
    return wiring_of(app).services
