"""Growing delay after wrong receipts: a few free tries, then 2, 4, 8 … seconds, up to a cap.

Keyed by the hashed client key the rate limiter uses, so no address is kept.
"""

from __future__ import annotations

import time

from hotline.kv import ExpiringStore
from hotline.services.errors import ServiceError


class Throttled(ServiceError):
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong receipts; wait {retry_after} seconds and try again")
        self.retry_after = retry_after


class ReceiptThrottle:
    def __init__(
        self, store: ExpiringStore, free_failures: int = 3, max_delay: int = 300, window: int = 3600
    ) -> None:
        self._store = store
        self.free_failures = free_failures
        self.max_delay = max_delay
        self.window = window

    def check(self, client: str) -> None:
        until = self._store.get_int(f"rt:until:{client}")
        wait = until - int(time.time())
        if wait > 0:
            raise Throttled(wait)

    def failed(self, client: str) -> None:
        failures = self._store.incr(f"rt:fail:{client}", self.window)
        if failures > self.free_failures:
            delay = min(2 ** (failures - self.free_failures), self.max_delay)
            self._store.set_int(f"rt:until:{client}", int(time.time()) + delay, delay)

    def succeeded(self, client: str) -> None:
        self._store.delete(f"rt:fail:{client}")
