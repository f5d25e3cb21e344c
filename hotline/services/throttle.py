"""Growing delay after wrong receipts: a few free tries, then 2, 4, 8 … seconds, up to a cap.

Keyed by the hashed client key the rate limiter uses, so no address is kept. Failures are
counted in fixed slices of the window and fade out slice by slice: nothing but time lowers
the count. A valid receipt does not wipe it, or anyone holding one receipt could reset
their budget between guesses.
"""

from __future__ import annotations

import time

from hotline.kv import ExpiringStore
from hotline.services.errors import ServiceError

SLICES = 4


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
        self._slice = max(1, window // SLICES)

    @property
    def store(self) -> ExpiringStore:
        return self._store

    def check(self, client: str) -> None:
        until = self._store.get_int(f"rt:until:{client}")
        wait = until - int(time.time())
        if wait > 0:
            raise Throttled(wait)

    def failures(self, client: str) -> int:
        """Failures in the current slice and the ones before it, back one window."""
        current = int(time.time()) // self._slice
        return sum(
            self._store.get_int(f"rt:fail:{client}:{n}")
            for n in range(current - SLICES + 1, current + 1)
        )

    def failed(self, client: str) -> None:
        current = int(time.time()) // self._slice
        self._store.incr(f"rt:fail:{client}:{current}", self.window)
        failures = self.failures(client)
        if failures > self.free_failures:
            delay = min(2 ** (failures - self.free_failures), self.max_delay)
            self._store.set_int(f"rt:until:{client}", int(time.time()) + delay, delay)

    def succeeded(self, client: str) -> None:
        """Sign-in only (the key there is username and client, so only the account's owner
        can succeed): a right password forgets that pair's failures. Never for receipts."""
        current = int(time.time()) // self._slice
        for n in range(current - SLICES + 1, current + 1):
            self._store.delete(f"rt:fail:{client}:{n}")
