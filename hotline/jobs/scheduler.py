"""One scheduler: fires each periodic job once per period, however many run.

Run one (`flask jobs scheduler`); a second is a hot standby. Two guards make a double
firing impossible: the leader lease (only the holder ticks; it expires if the holder dies)
and a set-once marker per job and period (even two leaders would enqueue a period once).
Periods are aligned to the epoch, so daily jobs fire just after midnight UTC.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from hotline.jobs.tasks import SCHEDULE

log = logging.getLogger("hotline.jobs")
LEASE_SECONDS = 30


@dataclass(frozen=True)
class NextRun:
    name: str
    interval: int
    last_period_fired: int | None
    next_at: float


class Scheduler:
    def __init__(
        self, connection: redis.Redis, prefix: str, fire: Callable[[str, str], object]
    ) -> None:
        self._redis = connection
        self._prefix = prefix
        self._fire = fire  # (job name, job id)
        self._token = secrets.token_hex(8)

    def _key(self, *parts: str) -> str:
        return self._prefix + "jobs:" + ":".join(parts)

    def lead(self) -> bool:
        """Take or renew the leader lease; False while another scheduler holds it."""
        key = self._key("leader")
        if self._redis.set(key, self._token, nx=True, ex=LEASE_SECONDS):
            return True
        if self._redis.get(key) == self._token.encode():
            self._redis.expire(key, LEASE_SECONDS)
            return True
        return False

    def tick(self, at: float | None = None) -> list[str]:
        """Fire every job whose current period has not been fired; return their names."""
        at = time.time() if at is None else at
        if not self.lead():
            return []
        fired = []
        for name, (_task, interval) in SCHEDULE.items():
            period = int(at // interval)
            marker = self._key("fired", name, str(period))
            if self._redis.set(marker, 1, nx=True, ex=interval * 2):
                self._redis.set(self._key("last", name), period, ex=interval * 4)
                self._fire(name, f"{name}-{period}")
                fired.append(name)
        return fired

    def next_runs(self, at: float | None = None) -> list[NextRun]:
        at = time.time() if at is None else at
        runs = []
        for name, (_task, interval) in SCHEDULE.items():
            raw = self._redis.get(self._key("last", name))
            last = int(raw) if raw is not None else None
            runs.append(NextRun(name, interval, last, (int(at // interval) + 1) * interval))
        return runs

    def leader_alive(self) -> bool:
        return bool(self._redis.exists(self._key("leader")))

    def run_forever(self, stop: threading.Event, every: float = 5.0) -> None:
        log.info("jobs.scheduler_started")
        while not stop.is_set():
            try:
                self.tick()
            except redis.RedisError as error:  # Redis restarting: try again next tick
                log.warning("jobs.scheduler_redis", extra={"kind": type(error).__name__})
            stop.wait(every)
        if self._redis.get(self._key("leader")) == self._token.encode():
            self._redis.delete(self._key("leader"))
