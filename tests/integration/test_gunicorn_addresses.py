"""gunicorn as `make run` and production start it writes no client address and no request
line anywhere, even for requests it refuses itself (an 8,000-character URL, a bad header),
and keeps no access log."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from hotline import migrate
from hotline.devserver import ROOT, web_command
from tests.support import CHEAP_ARGON
from tests.support.botprocs import free_port


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_refused_requests_leave_no_address_in_the_logs(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate.upgrade(database)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOTLINE_INSTANCE_PATH": str(tmp_path),
        "HOTLINE_DATABASE_URL": database,
        **{f"HOTLINE_{k}": str(v) for k, v in CHEAP_ARGON.items()},
    }
    log_path = tmp_path / "web.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            web_command("127.0.0.1", port), cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.5)
        long_url = b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status_line = raw_request(port, long_url).split(b"\r\n", 1)[0]
        assert b" 414 " in status_line or b" 400 " in status_line, status_line
        raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\x01: y\r\n\r\n")
        raw_request(port, b"NOT-HTTP\r\n\r\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/report", timeout=10) as r:
            assert r.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Invalid request" in text  # gunicorn did log the refusals ...
    assert "127.0.0.1" not in text  # ... without the client's (or any) address
    assert "aaaaaaaaaa" not in text and "Bad Header" not in text  # nor the request line
    assert "GET /report" not in text  # no access log
