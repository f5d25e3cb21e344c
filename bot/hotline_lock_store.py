"""The lock store: Rasa's Redis lock store when BOT_TRACKER_REDIS_URL is set, else its
in-memory one.

With several Rasa instances behind the gateway, a conversation moves to another instance when
its own is down; the ticket lock in Redis keeps two instances from handling one conversation
at once. It reads the same variable as the tracker store (one Redis URL for the bot, so one
setting cannot be forgotten) and keeps its keys under `hotline:lock:`; a lock holds only the
pseudonymous sender id and ticket numbers, and Rasa drops it once served (its lifetime,
TICKET_LOCK_LIFETIME, bounds a crashed instance's). Rasa's `type: redis` takes a host, not a
URL, and endpoints.yml cannot leave a variable optional, hence this small factory.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)
LOADED_MARKER = "hotline-lock-store"
KEY_PREFIX = "hotline"  # Rasa appends ":lock:"; it accepts only letters and digits


class HotlineLockStore(LockStore):
    """Builds Rasa's own lock store from the environment (see the module docstring)."""

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None,
                **kwargs: Any) -> LockStore:  # type: ignore[misc]
        url = os.environ.get("BOT_TRACKER_REDIS_URL", "")
        if not url:
            log.info("%s active (memory)", LOADED_MARKER)
            return InMemoryLockStore()
        from redis.connection import SSLConnection, parse_url

        parts = parse_url(url)
        store = RedisLockStore(
            host=parts.get("host", "localhost"),
            port=int(parts.get("port", 6379)),
            db=int(parts.get("db", 0)),
            username=parts.get("username"),
            password=parts.get("password"),
            use_ssl=parts.get("connection_class") is SSLConnection,
            key_prefix=KEY_PREFIX,
        )
        log.info("%s active (redis)", LOADED_MARKER)
        return store
