"""A tiny expiring key-value store for short-lived server state: spent proofs of work,
receipt-failure counters, SMS sessions and sealed SMS drafts.

Redis when configured, so every worker on every host shares it; otherwise process memory,
which is correct only for a single process (`make run`'s one gunicorn worker; the gunicorn
config and the production profile refuse more without Redis). Keys are always keyed hashes;
values are counters, markers or sealed bytes. Every entry expires: the lifetime is the
caller's reason for keeping it."""

from __future__ import annotations

import os
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

    def put_bytes(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    def get_bytes(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def ping(self) -> None:
        """Raise when the store cannot be reached (readiness checks)."""

    def secret(self, key: str, ttl_seconds: int) -> bytes:
        """32 random bytes under `key`, made by whichever worker asks first and shared by
        all until the key expires; never written anywhere but this store."""


class MemoryStore:
    def __init__(self) -> None:
        self._data: dict[str, tuple[int, float]] = {}
        self._bytes: dict[str, tuple[bytes, float]] = {}
        self._secrets: dict[str, tuple[bytes, float]] = {}
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
        if len(self._bytes) > 10_000:
            now = time.monotonic()
            for key in [k for k, (_, exp) in self._bytes.items() if exp <= now]:
                del self._bytes[key]

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

    def put_bytes(self, key: str, value: bytes, ttl_seconds: int) -> None:
        with self._lock:
            self._sweep()
            self._bytes[key] = (value, time.monotonic() + ttl_seconds)

    def get_bytes(self, key: str) -> bytes | None:
        with self._lock:
            item = self._bytes.get(key)
            if item is None:
                return None
            if item[1] <= time.monotonic():
                del self._bytes[key]
                return None
            return item[0]

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)
            self._bytes.pop(key, None)

    def ping(self) -> None:
        return None

    def secret(self, key: str, ttl_seconds: int) -> bytes:
        with self._lock:
            now = time.monotonic()
            for stale in [k for k, (_, exp) in self._secrets.items() if exp <= now]:
                del self._secrets[stale]
            if key not in self._secrets:
                self._secrets[key] = (os.urandom(32), now + ttl_seconds)
            return self._secrets[key][0]


class RedisStore:
    def __init__(self, url: str, prefix: str = "hotline:kv:") -> None:
        # Short timeouts and one retry: a Redis restart costs a request an error, never a hang.
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=5,
            socket_connect_timeout=5,
            retry_on_timeout=True,
            health_check_interval=30,
        )
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

    def put_bytes(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._redis.set(self._prefix + key, value, ex=ttl_seconds)

    def get_bytes(self, key: str) -> bytes | None:
        value = self._redis.get(self._prefix + key)
        if value is None:
            return None
        if not isinstance(value, bytes):  # never: the client is made without decode_responses
            raise TypeError("Redis answered text where bytes were stored")
        return value

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    def ping(self) -> None:
        self._redis.ping()

    def secret(self, key: str, ttl_seconds: int) -> bytes:
        made = os.urandom(32)
        self._redis.set(self._prefix + key, made, nx=True, ex=ttl_seconds)
        value = self._redis.get(self._prefix + key)
        return value if isinstance(value, bytes) else made


def make_store(url: str, prefix: str = "hotline:kv:") -> ExpiringStore:
    return RedisStore(url, prefix) if url else MemoryStore()
