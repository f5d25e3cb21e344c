"""Unfinished SMS reports of the built-in conversation (used while the bot is down).

A draft is held only in this process's memory, sealed under a key that exists only in
memory, and dropped after a timeout or when the report is filed or cancelled. A restart
loses drafts by design: the reporter was told up front that a report is filed only when
they receive a receipt.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from crypto.primitives import open_sealed, random_bytes, seal

_PURPOSE = "hotline:sms-draft:v1"


class DraftStore:
    def __init__(self, ttl_seconds: int = 1800) -> None:
        self._key = random_bytes()
        self._ttl = ttl_seconds
        self._items: dict[bytes, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._items.items() if exp <= now]:
            del self._items[key]

    def get(self, pseudonym: bytes) -> dict[str, Any] | None:
        with self._lock:
            self._sweep()
            item = self._items.get(pseudonym)
        if item is None:
            return None
        document: dict[str, Any] = json.loads(open_sealed(self._key, item[1], _PURPOSE))
        return document

    def put(self, pseudonym: bytes, draft: dict[str, Any]) -> None:
        sealed = seal(self._key, json.dumps(draft, ensure_ascii=False).encode(), _PURPOSE)
        with self._lock:
            self._sweep()
            self._items[pseudonym] = (time.monotonic() + self._ttl, sealed)

    def drop(self, pseudonym: bytes) -> None:
        with self._lock:
            self._items.pop(pseudonym, None)

    def __len__(self) -> int:
        with self._lock:
            self._sweep()
            return len(self._items)
