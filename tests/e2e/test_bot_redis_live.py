"""The bot with its production tracker store in Redis: after a real conversation through
Flask's /chat, the raw Redis value holds no word of it (sealed under a key held only in the
bot's memory), and filing the report removes it."""

from __future__ import annotations

import json
import secrets

import pytest
import redis

from hotline import wiring
from integrations.rasa import RasaGateway
from tests.e2e.test_chat_live import Chat
from tests.support import receipt_forms
from tests.support.botprocs import running_bot
from tests.support.live_server import LiveServer

REDIS_URL = "redis://127.0.0.1:6379/0"


def plain_forms(text: str) -> list[bytes]:
    return [text.encode(), json.dumps(text).encode()[1:-1]]


def test_tracker_values_in_redis_are_sealed(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw_redis = redis.Redis.from_url(REDIS_URL)
    story = f"The buyer takes kickbacks from the cleaning contractor {secrets.token_hex(4)}"
    where = f"販売部の会議室 {secrets.token_hex(4)}"
    with running_bot(
        live_server.url,
        wiring.settings(live_server.app).channel_token,
        tmp_path_factory.mktemp("redis-bot-logs"),
        extra_env={"BOT_TRACKER_REDIS_URL": REDIS_URL},
    ) as bot:
        previous = wiring.services(live_server.app).rasa
        wiring.services(live_server.app).rasa = RasaGateway(bot.url, 30)
        try:
            chat = Chat(live_server)
            for text in [story, "yes", "last spring", where, "-", "I saw it", "no"]:
                read_back = chat.say(text)
            assert story in read_back and where in read_back
            key = f"hotline:tracker:{chat.sender_id()}"
            raw = raw_redis.get(key)
            assert raw, "the conversation is in Redis while it lasts"
            for needle in [
                *plain_forms(story),
                *plain_forms(where),
                b"kickbacks",
                b"what_happened",
            ]:
                assert needle not in raw
            chat.say("yes")
            assert chat.receipt
            assert raw_redis.get(key) is None  # dropped as soon as the report is filed
            for other in raw_redis.scan_iter("hotline:tracker:*"):
                value = raw_redis.get(other) or b""
                assert not [f for f in receipt_forms(chat.receipt) if f.encode() in value]
        finally:
            wiring.services(live_server.app).rasa = previous
    assert b"redis, sealed" in bot.log_bytes()
