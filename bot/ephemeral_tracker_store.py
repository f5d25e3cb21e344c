"""A tracker store that never writes a conversation to disk.

Conversations live in this process's memory (or in Redis with a TTL when
BOT_TRACKER_REDIS_URL is set, for several Rasa instances) and are dropped:
- as soon as the bot runs `action_forget_conversation` (after a report is filed, a reply is
  sent or the reporter says goodbye), and
- after `ttl_seconds` without activity.
Rasa silently falls back to its default store if this module fails to import, so the test
suite checks that this class is the one loaded (see bot/tests/test_tracker_store.py).

In Redis every value is sealed (ChaCha20-Poly1305, bound to its sender id) under a key held
only in process memory: from BOT_TRACKER_SEAL_KEY (32 bytes, URL-safe base64; give every Rasa
instance the same one) or, without it, random at start. Redis, its snapshots and its
append-only file therefore hold no readable conversation or receipt; after a restart with a
new key the old values no longer open and those conversations start afresh.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
from typing import Any, Dict, Iterable, Optional, Text, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)
FORGET_ACTION = "action_forget_conversation"
LOADED_MARKER = "hotline-ephemeral-tracker-store"
SEAL_KEY_ENV = "BOT_TRACKER_SEAL_KEY"
_SEAL_VERSION = b"t1"
_NONCE = 12


class TrackerSeal:
    """Seals tracker values for Redis under a key that never leaves this process."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self._aead = ChaCha20Poly1305(key if key is not None else os.urandom(32))

    @classmethod
    def from_environment(cls) -> "TrackerSeal":
        configured = os.environ.get(SEAL_KEY_ENV, "")
        if not configured:
            return cls()
        try:
            key = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ValueError(f"{SEAL_KEY_ENV} must be 32 bytes in URL-safe base64")
        return cls(key)

    @staticmethod
    def _context(sender_id: Text) -> bytes:
        return b"hotline:tracker:v1:" + sender_id.encode("utf-8")

    def seal(self, sender_id: Text, text: Text) -> bytes:
        nonce = os.urandom(_NONCE)
        return _SEAL_VERSION + nonce + self._aead.encrypt(nonce, text.encode("utf-8"),
                                                          self._context(sender_id))

    def open(self, sender_id: Text, blob: bytes) -> Optional[Text]:
        """The value, or None if it was sealed under another key (a restart) or altered."""
        if not blob.startswith(_SEAL_VERSION) or len(blob) < len(_SEAL_VERSION) + _NONCE:
            return None
        nonce = blob[len(_SEAL_VERSION):len(_SEAL_VERSION) + _NONCE]
        try:
            plain = self._aead.decrypt(nonce, blob[len(_SEAL_VERSION) + _NONCE:],
                                       self._context(sender_id))
        except InvalidTag:
            return None
        return plain.decode("utf-8")


class EphemeralTrackerStore(TrackerStore, SerializedTrackerAsText):
    def __init__(self, domain: Domain, ttl_seconds: Any = 1800,
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        super().__init__(domain, event_broker, **kwargs)
        self.ttl = int(ttl_seconds or 1800)
        self._memory: Dict[Text, Tuple[float, Text]] = {}
        self._redis = None
        self._seal: Optional[TrackerSeal] = None
        url = os.environ.get("BOT_TRACKER_REDIS_URL", "")
        if url:
            import redis  # only needed in production

            self._redis = redis.Redis.from_url(url)
            self._seal = TrackerSeal.from_environment()
        log.info("%s active (ttl %ss, %s)", LOADED_MARKER, self.ttl,
                 "redis, sealed" if self._redis else "memory")

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._memory.items() if expires <= now]:
            del self._memory[key]

    def _drop(self, sender_id: Text) -> None:
        self._memory.pop(sender_id, None)
        if self._redis is not None:
            self._redis.delete(f"hotline:tracker:{sender_id}")

    async def save(self, tracker: DialogueStateTracker) -> None:
        if any(isinstance(e, ActionExecuted) and e.action_name == FORGET_ACTION
               for e in tracker.events):
            self._drop(tracker.sender_id)
            return
        serialised = self.serialise_tracker(tracker)
        if self._redis is not None and self._seal is not None:
            self._redis.set(f"hotline:tracker:{tracker.sender_id}",
                            self._seal.seal(tracker.sender_id, serialised), ex=self.ttl)
            return
        self._sweep()
        self._memory[tracker.sender_id] = (time.monotonic() + self.ttl, serialised)

    async def _load(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        if self._redis is not None and self._seal is not None:
            raw = self._redis.get(f"hotline:tracker:{sender_id}")
            text = self._seal.open(sender_id, raw) if raw else None
            return self.deserialise_tracker(sender_id, text) if text else None
        self._sweep()
        item = self._memory.get(sender_id)
        return self.deserialise_tracker(sender_id, item[1]) if item else None

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._load(sender_id)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._load(sender_id)

    async def keys(self) -> Iterable[Text]:
        if self._redis is not None:
            return [k.decode()[len("hotline:tracker:"):] for k in
                    self._redis.scan_iter("hotline:tracker:*")]
        self._sweep()
        return list(self._memory)

    def stored_count(self) -> int:
        return len(self._memory)

    def describe(self) -> Dict[str, Any]:
        return json.loads(json.dumps({"marker": LOADED_MARKER, "ttl": self.ttl}))
