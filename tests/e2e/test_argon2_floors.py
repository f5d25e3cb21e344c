"""Issue 11 item 11 in a real browser: the served page bundle (web/static/build, real floors)
refuses receipt parameters below 3 passes / 64 MiB that a server sends, before any
derivation and before any case lookup; the other browser tests' server serves the test
build (web/build/test/site), whose floors are libsodium's minimum."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from crypto import receipts
from hotline import create_app, migrate, wiring
from tests.support import config_for
from tests.support.live_server import TEST_STATIC, BodyRecorder, LiveServer


@pytest.fixture(scope="module")
def weak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BodyRecorder]]:
    """A test-mode server (cheap Argon2id) serving the real page bundles."""
    folder = tmp_path_factory.mktemp("weak")
    url = f"sqlite:///{folder / 'hotline.db'}"
    migrate.upgrade(url)
    app = create_app(config_for(url, folder / "instance", RECEIPT_RATE_LIMIT="1000 per minute"))
    assert app.static_folder is not None and Path(app.static_folder).name == "static"
    recorder = BodyRecorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", recorder
    finally:
        server.shutdown()
        wiring.services(app).database.dispose()


def test_served_bundle_refuses_weak_receipt_parameters(
    browser: Browser, weak_server: tuple[str, BodyRecorder]
) -> None:
    url, recorder = weak_server
    page = browser.new_page()
    page.goto(f"{url}/followup")
    mark = recorder.mark()
    page.fill("#receipt", receipts.format_receipt(receipts.generate()))
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#form-error")).to_be_visible(timeout=30_000)
    sent = recorder.since(mark)
    assert b"/api/v1/receipt-params" in sent  # it asked for the parameters ...
    assert b"/api/v1/followup " not in sent  # ... and looked nothing up with them
    assert page.evaluate("performance.getEntriesByName('hotline-argon2id').length") == 0
    page.close()


def test_browser_tests_serve_the_test_build(live_server: LiveServer) -> None:
    assert live_server.app.static_folder == str(TEST_STATIC)
