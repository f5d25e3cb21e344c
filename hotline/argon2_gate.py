"""A bound on concurrent Argon2id runs in this process.

Each run holds its whole memory cost (64 MiB for a receipt, 256 MiB for a password) while
it works, so sixteen concurrent server-sealed submissions would take a gigabyte. The gate
lets at most `slots` run at once and makes the others wait their turn; since libsodium
releases the GIL, two slots on two cores lose no throughput. Wait time is recorded for the
metrics. Set once per process at start (`bound`, which hooks it into crypto.primitives.argon2id);
unbounded until then.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from crypto import primitives


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
