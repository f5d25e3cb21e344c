"""A bound on concurrent Argon2id runs in this process.

Each run holds its whole memory cost (64 MiB for a receipt, 256 MiB for a password) while
it works, so sixteen concurrent server-sealed submissions would take a gigabyte. The gate
lets at most `slots` run at once and makes the others wait their turn; since libsodium
releases the GIL, two slots on two cores lose no throughput. Wait time is recorded for the
metrics. Set once per process at start (`bound`, which hooks it into crypto.primitives.argon2id);
unbounded until then.

With HOTLINE_ARGON2_SOCKET set (`share_pool`), every run goes to the host's Argon2id pool
(crypto/argon2_pool.py) instead, which bounds runs per host and keeps their memory out of
the workers; the pool's wait for a slot is what the metrics record then. A worker that
cannot reach the pool runs Argon2id here, inside this gate, and counts it (the metrics):
a pool that is down costs memory, never a request. It logs nothing then: a log line's
second, written while a report is filed or reopened, would mark when that happened
(hotline/logs.py); `/readyz` says and logs that the pool is down instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from crypto import primitives
from crypto.argon2_pool import PoolClient, PoolUnavailable, Request


@dataclass
class GateStats:
    runs: int = 0
    waited: int = 0
    wait_seconds: float = 0.0
    active: int = 0
    max_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Gate:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._semaphore = threading.BoundedSemaphore(slots) if slots > 0 else None
        self.stats = GateStats()

    @contextmanager
    def slot(self) -> Iterator[None]:
        started = time.perf_counter()
        waited = False
        if self._semaphore is not None and not self._semaphore.acquire(blocking=False):
            waited = True
            self._semaphore.acquire()
        wait = time.perf_counter() - started
        stats = self.stats
        with stats.lock:
            stats.runs += 1
            stats.waited += int(waited)
            stats.wait_seconds += wait
            stats.active += 1
            stats.max_active = max(stats.max_active, stats.active)
        for observer in list(_OBSERVERS):
            observer(wait)
        try:
            yield
        finally:
            with stats.lock:
                stats.active -= 1
            if self._semaphore is not None:
                self._semaphore.release()


_OBSERVERS: list[Callable[[float], None]] = []
_current = Gate(0)


def bound(slots: int) -> Gate:
    """At most `slots` concurrent Argon2id runs in this process from now on (0: no bound)."""
    global _current
    _current = Gate(slots)
    primitives.gate_argon2id(lambda: current().slot())
    return _current


def current() -> Gate:
    return _current


def observe_waits(observer: Callable[[float], None]) -> None:
    """Call `observer(seconds waited)` for every run (the metrics' histogram)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)


_FALLBACK_OBSERVERS: list[Callable[[], None]] = []


@dataclass
class _Fallbacks:
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


fallbacks = _Fallbacks()


def observe_fallbacks(observer: Callable[[], None]) -> None:
    """Call `observer()` whenever a run falls back from the pool to this process."""
    if observer not in _FALLBACK_OBSERVERS:
        _FALLBACK_OBSERVERS.append(observer)


def _fell_back() -> None:
    with fallbacks.lock:
        fallbacks.count += 1
    for observer in list(_FALLBACK_OBSERVERS):
        observer()


def share_pool(path: str) -> None:
    """Send every Argon2id run of this process to the pool at `path` ("" : run them here)."""
    if not path:
        primitives.delegate_argon2id(None)
        return
    client = PoolClient(path)

    def delegate(
        secret: bytes, salt: bytes, params: primitives.Argon2Params, size: int
    ) -> bytes | None:
        try:
            key, waited = client.derive(Request(params.ops, params.mem_bytes, size, salt, secret))
        except PoolUnavailable:
            _fell_back()
            return None
        for observer in list(_OBSERVERS):
            observer(waited)
        return key

    primitives.delegate_argon2id(delegate)
