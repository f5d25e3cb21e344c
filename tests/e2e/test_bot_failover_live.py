"""Two real Rasa servers sharing one Redis (tracker and lock store, one seal key) and one
action server behind Flask's /chat: the conversation's own instance is killed mid-report and
the conversation continues on the other one, through to the filed report."""

from __future__ import annotations

import base64
import os
import secrets

import pytest
import redis

from hotline import wiring
from integrations.rasa import RasaGateway
from tests.e2e.test_chat_live import Chat
from tests.support.botprocs import another_rasa, running_bot
from tests.support.live_server import LiveServer

REDIS_URL = "redis://127.0.0.1:6379/5"  # this test's own database index


def test_a_conversation_survives_its_instance_being_killed(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    seal_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    shared = {"BOT_TRACKER_REDIS_URL": REDIS_URL, "BOT_TRACKER_SEAL_KEY": seal_key}
    story = f"The site manager bills for shifts nobody worked {secrets.token_hex(4)}"
    with (
        running_bot(
            live_server.url,
            wiring.settings(live_server.app).channel_token,
            tmp_path_factory.mktemp("bot-a"),
            extra_env=shared,
        ) as first,
        another_rasa(first, tmp_path_factory.mktemp("bot-b")) as second,
    ):
        gateway = RasaGateway(f"{first.url},{second.url}", 30)
        previous = wiring.services(live_server.app).rasa
        wiring.services(live_server.app).rasa = gateway
        try:
            chat = Chat(live_server)
            home_url = gateway.order_for(chat.sender_id())[0]
            home, other = (first, second) if home_url == first.url else (second, first)
            assert "What happened?" in chat.say("I want to report something")
            chat.say(story)
            assert home.tracker_events(chat.sender_id()), "served by its own instance"
            assert redis.Redis.from_url(REDIS_URL).get(f"hotline:tracker:{chat.sender_id()}")

            rasa_process = home.processes[-1]
            rasa_process.kill()
            rasa_process.wait(timeout=20)
            assert gateway.instance_health() == {
                "1": home is second,
                "2": home is first,
            }

            for answer in ["1", "since last spring", "the depot", "don't know", "I saw it", "no"]:
                read_back = chat.say(answer)
            assert story in read_back  # the answers given before the kill were kept
            chat.say("yes")
            assert chat.receipt, "the report was filed by the other instance"
            texts = [e.get("text") for e in other.tracker_events(chat.sender_id()) if e.get("text")]
            assert story not in texts  # forgotten once filed, on the instance that filed it
        finally:
            wiring.services(live_server.app).rasa = previous
    logs = first.log_bytes() + second.log_bytes()
    assert logs.count(b"hotline-lock-store active (redis)") == 2
    assert story.encode() not in logs
