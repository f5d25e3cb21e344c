"""gunicorn's error log never carries a client address or a request line."""

from __future__ import annotations

import io
import logging
import runpy
from pathlib import Path

import pytest

from hotline.gunicorn_logging import AddressFreeFilter, scrub

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "message",
    [
        "Invalid request from ip=203.0.113.9: Request Line is too large (8190 > 4094)",
        "Invalid request from ip=2001:db8::17: Invalid HTTP method: 'GET /?q=secret'",
        "Error handling request GET /followup?receipt=1234",
        "Worker exiting (pid: 12) after a client 198.51.100.4 went away",
        "peer fe80::1ff:fe23:4567:890a reset",
    ],
)
def test_addresses_and_request_lines_are_withheld(message: str) -> None:
    cleaned = scrub(message)
    for secret in ("203.0.113.9", "2001:db8::17", "secret", "1234", "198.51.100.4", "fe80"):
        assert secret not in cleaned


def test_filter_rewrites_records_with_arguments() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(AddressFreeFilter())
    logger = logging.getLogger("test.gunicorn.scrub")
    logger.addHandler(handler)
    logger.warning("client %s said %s", "192.0.2.55", "hello")
    logger.removeHandler(handler)
    assert "192.0.2.55" not in stream.getvalue() and "hello" in stream.getvalue()


def test_config_has_no_access_log_and_bounded_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("HOTLINE_WORKERS", "4")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["accesslog"] is None and settings["workers"] == 4
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] > 0
    assert settings["logger_class"] == "hotline.gunicorn_logging.AddressFreeLogger"
    monkeypatch.delenv("HOTLINE_REDIS_URL")

    warnings: list[str] = []

    class Server:
        class cfg:
            workers = 2

        class log:
            warning = warnings.append

    with pytest.raises(RuntimeError, match="HOTLINE_REDIS_URL"):
        settings["on_starting"](Server())
    Server.cfg.workers = 1  # `make run`'s one worker needs no Redis
    settings["on_starting"](Server())
    # pytest runs without -OO: gunicorn started that way says how to start it
    assert any("python -OO -m gunicorn" in warning for warning in warnings)


def test_the_metrics_folder_exists_before_the_logger_class_loads_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """systemd's RuntimeDirectory makes only the parent of PROMETHEUS_MULTIPROC_DIR; the
    logger class imports the `hotline` package, whose metrics write their files there."""
    folder = tmp_path / "hotline-web-8001" / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert folder.is_dir()
