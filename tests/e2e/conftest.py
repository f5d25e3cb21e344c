"""The real app on a free local port in a thread, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Playwright, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from hotline import create_app, db, migrate
from hotline.models import BlobChunk
from hotline.services import accounts, routing
from tests.support import LogCapture, config_for, raw_database_bytes

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_HANDLERS = {
    "comp.one": ("compliance", "compliance-one-pass-7x!", "Aiko Sato", "Compliance officer"),
    "audit.one": ("audit_committee", "audit-one-pass-9z!!", "Kenji Ito", "Audit chair"),
    "ombuds.one": ("ombudsperson", "ombudsperson-pass-3c!", "Dr. Mori", "Outside counsel"),
}


class BodyRecorder:
    """WSGI middleware keeping every request body, to prove what the server received."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        with self.lock:
            self.bodies.append(environ.get("PATH_INFO", "").encode() + b" " + body)
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def all(self) -> bytes:
        with self.lock:
            return b"\n".join(self.bodies)


@dataclass
class LiveServer:
    app: Flask
    url: str
    database_url: str
    instance: Path
    recorder: BodyRecorder
    logs: LogCapture
    handler_ids: dict[str, int] = field(default_factory=dict)

    def stored(self) -> dict[str, bytes]:
        """Everything this server wrote: the raw database, its log lines, its blobs' ciphertext
        (in the database too, and also read back whole so no chunk boundary hides a match)."""
        self.app.extensions["hotline.db"].dispose()  # flush SQLite's WAL to the file
        store = self.app.extensions["hotline.blobs"]
        with self.app.app_context():
            ids = db.session().scalars(select(BlobChunk.blob_id).distinct()).all()
        return {
            "database": raw_database_bytes(self.database_url),
            "logs": self.logs.text.encode(),
            "blobs": b"".join(b"".join(store.chunks(blob_id)) for blob_id in ids),
        }


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'hotline.db'}"
    migrate.upgrade(url)
    app = create_app(
        config_for(
            url,
            folder / "instance",
            POW_BITS=8,
            REPORT_RATE_LIMIT="1000 per minute",
            RECEIPT_RATE_LIMIT="1000 per minute",
            PAGE_RATE_LIMIT="10000 per minute",
            LOGIN_RATE_LIMIT="1000 per minute",
            MAX_ATTACHMENT_BYTES=2 * 1024 * 1024,
            SMS_NUMBER="+81 50 0000 0000",
        )
    )
    ids: dict[str, int] = {}
    with app.app_context():
        routing.load_policy(db.session(), Path(app.config["ROUTING_FILE"]))
        for username, (desk, password, name, role) in E2E_HANDLERS.items():
            ids[username] = accounts.create_handler(
                db.session(),
                app.extensions["hotline.services"],
                username,
                desk,
                password,
                name,
                role,
            ).handler_id
    recorder = BodyRecorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with LogCapture() as logs:
        thread.start()
        try:
            yield LiveServer(
                app,
                f"http://127.0.0.1:{server.server_port}",
                url,
                folder / "instance",
                recorder,
                logs,
                ids,
            )
        finally:
            server.shutdown()
            app.extensions["hotline.db"].dispose()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
