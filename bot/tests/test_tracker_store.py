"""Our tracker store is the one Rasa loads, keeps nothing on disk, and forgets on cue."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
from pathlib import Path

import pytest
import redis

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from ephemeral_tracker_store import EphemeralTrackerStore

BOT = Path(__file__).resolve().parents[1]


def store_from_endpoints(monkeypatch) -> TrackerStore:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BOT_ACTIONS_PORT", "5055")
    monkeypatch.setenv("BOT_TRACKER_TTL_SECONDS", "60")
    config = read_endpoint_config(str(BOT / "endpoints.yml"), "tracker_store")
    return TrackerStore.create(config, Domain.load(str(BOT / "domain.yml")))


def test_endpoints_load_our_store(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = store_from_endpoints(monkeypatch)
    # Rasa silently falls back to its in-memory (or SQL) store when a custom one fails to
    # import: insist on ours, and on its TTL from the environment.
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, EphemeralTrackerStore), type(inner)
    assert inner.ttl == 60


def test_forget_action_drops_the_conversation(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = store_from_endpoints(monkeypatch)
    tracker = DialogueStateTracker("s1", [])
    tracker.update(UserUttered("my secret report text"))
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("s1")) is not None
    tracker.update(ActionExecuted("action_forget_conversation"))
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("s1")) is None
    assert "s1" not in list(asyncio.run(store.keys()))


def test_ttl_expiry(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ephemeral_tracker_store as module

    store = EphemeralTrackerStore(Domain.empty(), ttl_seconds=10)
    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    tracker = DialogueStateTracker("s2", [])
    tracker.update(UserUttered("hello"))
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("s2")) is not None
    now[0] += 11
    assert asyncio.run(store.retrieve("s2")) is None
    assert store.stored_count() == 0


def test_nothing_written_to_disk(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    store = EphemeralTrackerStore(Domain.empty(), ttl_seconds=10)
    tracker = DialogueStateTracker("s3", [])
    tracker.update(UserUttered("nothing on disk"))
    asyncio.run(store.save(tracker))
    assert list(tmp_path.iterdir()) == []


# -- Redis (production): values sealed under a key held only in memory -------------------
REDIS_URL = "redis://127.0.0.1:6379/0"


def conversation_tracker(sender: str, story: str, receipt: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, [])
    tracker.update(UserUttered(story))
    tracker.update(SlotSet("what_happened", story))
    tracker.update(UserUttered("since April, at the Kobe warehouse"))
    tracker.update(BotUttered(f"Your receipt is: {receipt}"))
    tracker.update(SlotSet("receipt", receipt))
    return tracker


def said(tracker: DialogueStateTracker) -> list:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def plain_forms(text: str) -> list:
    return [text.encode("utf-8"), json.dumps(text).encode("ascii")[1:-1],
            text.replace(" ", "").encode()]


def test_redis_holds_only_sealed_values(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BOT_TRACKER_REDIS_URL", REDIS_URL)
    monkeypatch.delenv("BOT_TRACKER_SEAL_KEY", raising=False)
    store = EphemeralTrackerStore(Domain.empty(), ttl_seconds=120)
    raw_redis = redis.Redis.from_url(REDIS_URL)
    sender = "test-" + secrets.token_hex(8)
    story, receipt = "部長が取引先から賄賂を受け取っています 4711", "1234 5678 9012 3452"
    try:
        asyncio.run(store.save(conversation_tracker(sender, story, receipt)))
        raw = raw_redis.get(f"hotline:tracker:{sender}")
        assert raw and 0 < raw_redis.ttl(f"hotline:tracker:{sender}") <= 120
        for needle in [*plain_forms(story), *plain_forms(receipt), b"what_happened", b"4711"]:
            assert needle not in raw
        again = asyncio.run(store.retrieve(sender))
        assert again is not None and said(again) == [story, "since April, at the Kobe warehouse"]
        # Another process (or this one after a restart) has another key: nothing opens.
        other = EphemeralTrackerStore(Domain.empty(), ttl_seconds=120)
        assert asyncio.run(other.retrieve(sender)) is None
        # A value moved to another conversation does not open either.
        raw_redis.set(f"hotline:tracker:{sender}-moved", raw, ex=60)
        assert asyncio.run(store.retrieve(f"{sender}-moved")) is None
    finally:
        raw_redis.delete(f"hotline:tracker:{sender}", f"hotline:tracker:{sender}-moved")


def test_instances_share_a_configured_key(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BOT_TRACKER_REDIS_URL", REDIS_URL)
    key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    monkeypatch.setenv("BOT_TRACKER_SEAL_KEY", key)
    first = EphemeralTrackerStore(Domain.empty(), ttl_seconds=60)
    second = EphemeralTrackerStore(Domain.empty(), ttl_seconds=60)
    sender = "test-" + secrets.token_hex(8)
    try:
        asyncio.run(first.save(conversation_tracker(sender, "shared story 42", "0")))
        again = asyncio.run(second.retrieve(sender))
        assert again is not None and said(again)[0] == "shared story 42"
    finally:
        redis.Redis.from_url(REDIS_URL).delete(f"hotline:tracker:{sender}")
    monkeypatch.setenv("BOT_TRACKER_SEAL_KEY", "too-short")
    with pytest.raises(ValueError):
        EphemeralTrackerStore(Domain.empty(), ttl_seconds=60)
