"""The app with the host's Argon2id pool (HOTLINE_ARGON2_SOCKET): every receipt derivation
goes to the pool; without it the worker runs Argon2id itself, counts that and logs nothing
while reports are filed (a line's second would date them), and stays ready; /readyz says
which, and logs a pool that is down."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from crypto import primitives
from hotline import argon2_gate, wiring
from tests.support import receipt_forms
from tests.support.argon2_pool import running_pool
from tests.support.world import small_app


@pytest.fixture(autouse=True)
def _no_pool_after() -> Iterator[None]:
    yield
    primitives.delegate_argon2id(None)  # the delegate is per process; leave none behind


def report_and_follow_up(app: Flask) -> list[str]:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}
    made = client.post(
        "/api/v1/channel/reports",
        headers=auth,
        json={
            "category": "fraud_accounting",
            "body": "the till is short",
            "channel": "web",
            "language": "en",
        },
    )
    assert made.status_code == 201, made.json
    receipt = made.json["receipt"]
    opened = client.post("/api/v1/channel/followup", headers=auth, json={"receipt": receipt})
    assert opened.status_code == 200
    assert opened.json["report"]["what_happened"] == "the till is short"
    return receipt_forms(receipt)


def readyz(app: Flask) -> str:
    state: str = app.test_client().get("/readyz").json["argon2_pool"]
    return state


def test_every_derivation_goes_to_the_pool(tmp_path: Path) -> None:
    socket = tmp_path / "run" / "argon2.sock"
    with running_pool(socket) as pool:
        app = small_app(tmp_path, ARGON2_SOCKET=str(socket))
        before = argon2_gate.fallbacks.count
        report_and_follow_up(app)
        assert pool.stats.runs >= 2  # the new receipt, then the follow-up's
        assert argon2_gate.fallbacks.count == before
        assert readyz(app) == "ok"


def test_without_the_pool_the_worker_runs_argon2id_counts_it_and_logs_nothing_timed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = small_app(tmp_path, ARGON2_SOCKET=str(tmp_path / "run" / "argon2.sock"))
    before = argon2_gate.fallbacks.count
    caplog.clear()
    with caplog.at_level(logging.INFO):
        receipts = report_and_follow_up(app) + report_and_follow_up(app)
    assert argon2_gate.fallbacks.count - before >= 4
    # A line written while the reports were filed would mark, to the second, when they were.
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
    local = app.test_client()
    local.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    scrape = local.get("/metrics").get_data(as_text=True)
    assert "hotline_argon2_pool_fallbacks_total" in scrape
    with caplog.at_level(logging.WARNING):
        ready = app.test_client().get("/readyz")
    assert ready.json["argon2_pool"] == "down"
    assert b"argon2.sock" not in ready.data and str(tmp_path).encode() not in ready.data
    degraded = [r for r in caplog.records if r.getMessage() == "health.degraded"]
    assert [getattr(r, "kind", None) for r in degraded] == ["argon2_pool"]
    logged = caplog.text
    assert not any(form in logged for form in receipts)
    assert "the till is short" not in logged and "argon2.sock" not in logged


def test_a_pool_that_comes_back_is_used_again(tmp_path: Path) -> None:
    socket = tmp_path / "run" / "argon2.sock"
    app = small_app(tmp_path, ARGON2_SOCKET=str(socket))
    report_and_follow_up(app)  # no pool yet: made here
    with running_pool(socket) as pool:
        before = argon2_gate.fallbacks.count
        report_and_follow_up(app)
        assert pool.stats.runs >= 2 and argon2_gate.fallbacks.count == before
        assert readyz(app) == "ok"


def test_no_pool_configured_is_off(tmp_path: Path) -> None:
    app = small_app(tmp_path)
    report_and_follow_up(app)
    assert readyz(app) == "off"
