"""The real app on a free local port in a thread (scanned for plaintext when the module
ends), and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright
from werkzeug.serving import make_server

from hotline import create_app, db, migrate, wiring
from hotline.services import accounts, routing
from tests.support import LogCapture, config_for
from tests.support.live_server import (
    ARTIFACTS,
    E2E_HANDLERS,
    BodyRecorder,
    LiveServer,
    serve_test_bundles,
)

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
    serve_test_bundles(app)
    ids: dict[str, int] = {}
    with app.app_context():
        routing.load_policy(db.session(), Path(wiring.settings(app).routing_file))
        for username, (desk, password, name, role) in E2E_HANDLERS.items():
            ids[username] = accounts.create_handler(
                db.session(),
                wiring.services(app).context,
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
        live = LiveServer(
            app,
            f"http://127.0.0.1:{server.server_port}",
            url,
            folder / "instance",
            recorder,
            logs,
            ids,
        )
        live.ledger.add(*(password for _, password, _, _ in E2E_HANDLERS.values()))
        try:
            yield live
            live.scan()
        finally:
            server.shutdown()
            wiring.services(app).database.dispose()


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
