"""Unfinished SMS reports of the built-in conversation (used while the bot is down).

A draft lives in the shared expiring store (Redis in production), so whichever worker on
whichever host receives Twilio's next request carries the conversation on. It is sealed
under a key derived from the pepper and the texter's number, and stored under a slot
derived the same way with another label; the number itself is never stored, so the store
alone opens nothing and names nobody. A draft expires after a timeout and is dropped when
the report is filed or cancelled. Losing one (a Redis restart without persistence) is safe
by design: the texter was told up front that a report is filed only when a receipt comes.
"""

from __future__ import annotations

import json
from typing import Any

from crypto.pepper import Pepper
from crypto.primitives import open_sealed, seal
from hotline.kv import ExpiringStore

_PURPOSE = "hotline:sms-draft:v1"


class DraftStore:
    def __init__(self, store: ExpiringStore, pepper: Pepper, ttl_seconds: int = 1800) -> None:
        self._store = store
        self._pepper = pepper
        self._ttl = ttl_seconds

    def _slot(self, number: str) -> str:
        return "sms-draft:" + self._pepper.tag("sms-draft-slot", number.encode()).hex()

    def _key(self, number: str) -> bytes:
        return self._pepper.tag("sms-draft-key", number.encode())

    def get(self, number: str) -> dict[str, Any] | None:
        sealed = self._store.get_bytes(self._slot(number))
        if sealed is None:
            return None
        document: dict[str, Any] = json.loads(open_sealed(self._key(number), sealed, _PURPOSE))
        return document

    def put(self, number: str, draft: dict[str, Any]) -> None:
        plain = json.dumps(draft, ensure_ascii=False).encode()
        sealed = seal(self._key(number), plain, _PURPOSE)
        self._store.put_bytes(self._slot(number), sealed, self._ttl)

    def drop(self, number: str) -> None:
        self._store.delete(self._slot(number))
