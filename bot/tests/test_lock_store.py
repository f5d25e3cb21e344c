"""The lock store Rasa loads from endpoints.yml: Redis (shared by every instance) when
BOT_TRACKER_REDIS_URL is set, in memory otherwise."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import redis

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

BOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/3"


def store_from_endpoints(monkeypatch) -> LockStore:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BOT_ACTIONS_PORT", "5055")
    monkeypatch.setenv("BOT_TRACKER_TTL_SECONDS", "60")
    return LockStore.create(read_endpoint_config(str(BOT / "endpoints.yml"), "lock_store"))


def test_without_redis_the_lock_store_is_in_memory(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BOT_TRACKER_REDIS_URL", raising=False)
    assert type(store_from_endpoints(monkeypatch)) is InMemoryLockStore


def test_with_redis_two_instances_share_one_lock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BOT_TRACKER_REDIS_URL", REDIS_URL)
    first, second = store_from_endpoints(monkeypatch), store_from_endpoints(monkeypatch)
    assert isinstance(first, RedisLockStore) and isinstance(second, RedisLockStore)
    sender = f"lock-test-{secrets.token_hex(8)}"
    raw = redis.Redis.from_url(REDIS_URL)

    async def hold_and_look() -> None:
        async with first.lock(sender, wait_time_in_seconds=0.01):
            assert raw.get(f"hotline:lock:{sender}"), "the lock lives in Redis under our prefix"
            ticket = second.issue_ticket(sender)  # the other instance queues behind it
            assert ticket == 1 and second.is_someone_waiting(sender)
            second.finish_serving(sender, ticket)

    asyncio.run(hold_and_look())
    assert raw.get(f"hotline:lock:{sender}") is None  # dropped once served
