"""The expiring store's contract, in memory and in Redis: set-once, counters, sealed bytes,
expiry, delete."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis

from hotline.kv import ExpiringStore, MemoryStore, RedisStore
from tests.support import REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[ExpiringStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    prefix = f"hotline-test-{secrets.token_hex(6)}:"
    yield RedisStore(REDIS_URL, prefix)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_contract(store: ExpiringStore) -> None:
    store.ping()
    assert store.add("a", 60) and not store.add("a", 60)
    assert store.incr("n", 60) == 1 and store.incr("n", 60) == 2 and store.get_int("n") == 2
    store.set_int("m", 7, 60)
    assert store.get_int("m") == 7 and store.get_int("missing") == 0
    store.put_bytes("b", b"\x00sealed\xff", 60)
    assert store.get_bytes("b") == b"\x00sealed\xff" and store.get_bytes("nope") is None
    store.delete("b")
    store.delete("m")
    assert store.get_bytes("b") is None and store.get_int("m") == 0


def test_entries_expire(store: ExpiringStore) -> None:
    store.put_bytes("short", b"x", 1)
    store.set_int("short-n", 3, 1)
    time.sleep(1.2)
    assert store.get_bytes("short") is None and store.get_int("short-n") == 0
