"""The real app on a free local port in a thread, for browser and live-bot tests: what the
server received, what it stored, and the ledger its fixture scans when it ends."""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from hotline import wiring
from hotline.assets import AssetHashes
from tests.support.plaintext import Ledger
from tests.support.stores import LogCapture, blob_bytes, folder_bytes, raw_database_bytes

ROOT = Path(__file__).resolve().parents[2]
# The page bundles built with libsodium's minimum as Argon2id floors (web/package.json), so
# browser tests can use cheap parameters; the real pages never get these.
TEST_STATIC = ROOT / "web" / "build" / "test" / "site"
ARTIFACTS = ROOT / "test-artifacts"
E2E_HANDLERS = {
    "comp.one": ("compliance", "compliance-one-pass-7x!", "Aiko Sato", "Compliance officer"),
    "audit.one": ("audit_committee", "audit-one-pass-9z!!", "Kenji Ito", "Audit chair"),
    "ombuds.one": ("ombudsperson", "ombudsperson-pass-3c!", "Dr. Mori", "Outside counsel"),
}


def serve_test_bundles(app: Flask) -> None:
    """Serve the test build of the page scripts (low Argon2id floors) instead of the real
    one, with their integrity hashes. Tests only: the app itself has no such switch."""
    if not (TEST_STATIC / "build" / "reporter.js").exists():
        raise RuntimeError(f"{TEST_STATIC} is missing: run `npm --prefix web run build`")
    # The styles are the served ones (the build writes only scripts).
    shutil.copytree(ROOT / "web" / "static" / "css", TEST_STATIC / "css", dirs_exist_ok=True)
    app.static_folder = str(TEST_STATIC)
    wiring.services(app).assets = AssetHashes(TEST_STATIC)


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
        return self.since(0)

    def mark(self) -> int:
        """Where the bodies received from now on start (for `since`)."""
        with self.lock:
            return len(self.bodies)

    def since(self, mark: int) -> bytes:
        """The bodies received after `mark`: what one test's own requests carried."""
        with self.lock:
            return b"\n".join(self.bodies[mark:])


@dataclass
class LiveServer:
    app: Flask
    url: str
    database_url: str
    instance: Path
    recorder: BodyRecorder
    logs: LogCapture
    handler_ids: dict[str, int] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    # More stores to scan at the end, such as a live bot's log files.
    other_stores: list[Callable[[], dict[str, bytes]]] = field(default_factory=list)

    def stored(self) -> dict[str, bytes]:
        """Everything this server wrote: the raw database, its log lines, its instance files."""
        wiring.services(self.app).database.dispose()  # flush SQLite's WAL to the file
        found = {
            "database": raw_database_bytes(self.database_url),
            "logs": self.logs.text.encode(),
            "blobs": blob_bytes(self.app),
            **folder_bytes(self.instance),
        }
        for more in self.other_stores:
            found.update(more())
        return found

    def scan(self) -> None:
        """Fail if any recorded plaintext, receipt, number or test address was stored."""
        self.ledger.assert_clean(self.stored())
