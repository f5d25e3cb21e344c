"""A tiny expiring key-value store for short-lived server state (spent proofs of work,
receipt-failure counters). Redis when configured, so several workers share it; otherwise
process memory. Keys are always hashes; values are small counters or markers."""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis


class ExpiringStore(Protocol):
    def add(self, key: str, ttl_seconds: int) -> bool:
        """Set the key if absent; True when this call set it (single-use tokens)."""

    def incr(self, key: str, ttl_seconds: int) -> int: ...

    def get_int(self, key: str) -> int: ...

    def set_int(self, key: str, value: int, ttl_seconds: int) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[int, float] | None:
        item = self._data.get(key)
        if item is not None and item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item

    def _sweep(self) -> None:
        if len(self._data) > 10_000:
            now = time.monotonic()
            for key in [k for k, (_, exp) in self._data.items() if exp <= now]:
                del self._data[key]

    def add(self, key: str, ttl_seconds: int) -> bool:
        with self._lock:
            self._sweep()
            if self._live(key) is not None:
                return False
            self._data[key] = (1, time.monotonic() + ttl_seconds)
            return True

    def incr(self, key: str, ttl_seconds: int) -> int:
        with self._lock:
            self._sweep()
            item = self._live(key)
            value = (item[0] if item else 0) + 1
            self._data[key] = (value, time.monotonic() + ttl_seconds)
            return value

    def get_int(self, key: str) -> int:
        with self._lock:
            item = self._live(key)
            return item[0] if item else 0

    def set_int(self, key: str, value: int, ttl_seconds: int) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl_seconds)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisStore:
    def __init__(self, url: str, prefix: str = "hotline:kv:") -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def add(self, key: str, ttl_seconds: int) -> bool:
        return bool(self._redis.set(self._prefix + key, 1, nx=True, ex=ttl_seconds))

    def incr(self, key: str, ttl_seconds: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, ttl_seconds)
        value, _ = pipe.execute()
        return int(value)

    def get_int(self, key: str) -> int:
        value = self._redis.get(self._prefix + key)
        return int(value) if value is not None else 0

    def set_int(self, key: str, value: int, ttl_seconds: int) -> None:
        self._redis.set(self._prefix + key, value, ex=ttl_seconds)

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


def make_store(url: str) -> ExpiringStore:
    return RedisStore(url) if url else MemoryStore()
