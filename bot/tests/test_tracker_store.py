"""Our tracker store is the one Rasa loads, keeps nothing on disk, and forgets on cue."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
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
