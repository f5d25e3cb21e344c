"""Two app instances (two hosts: own instance folders, same secrets, database and Redis) serve
one texter's bot-down SMS conversation in turns: it reaches a receipt without starting over,
and Redis holds neither the number nor the text."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hotline import create_app, wiring
from integrations.rasa import RasaGateway
from tests.support import REDIS_URL, config_for, needle_forms, receipt_forms
from tests.support.sms import AUTH_TOKEN, PUBLIC_URL, text
from tests.support.world import World, build_world

pytestmark = pytest.mark.postgres
NUMBER = "+819087654321"
NUMBER_FORMS = [NUMBER, "09087654321", "819087654321", "9087654321"]
SECRETS = ("SECRET_KEY", "PEPPER", "CHANNEL_TOKEN", "RECEIPT_SALT", "PSEUDONYM_KEY")


@pytest.fixture
def prefix() -> Iterator[str]:
    value = f"hotline-test-{secrets.token_hex(6)}:"
    yield value
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(f"{value}*"):
        store.delete(key)


def shared_config(prefix: str) -> dict[str, object]:
    return {
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": prefix,
        "RATELIMIT_KEY_PREFIX": prefix + "limits",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "SMS_RATE_LIMIT": "1000 per minute",
        "RASA_URL": "http://127.0.0.1:9",  # the bot is down
        "RASA_TIMEOUT_SECONDS": 1,
    }


def redis_dump(prefix: str) -> bytes:
    store = redis.Redis.from_url(REDIS_URL)
    keys = list(store.scan_iter(f"{prefix}*"))
    return b"\n".join(keys + [store.dump(k) or b"" for k in keys])


def test_two_instances_carry_one_sms_conversation(tmp_path: Path, prefix: str) -> None:
    with build_world("postgresql", tmp_path / "a", **shared_config(prefix)) as world:
        other = create_app(
            config_for(
                world.url,
                tmp_path / "b" / "instance",
                **shared_config(prefix),
                **{name: getattr(wiring.settings(world.app), name.lower()) for name in SECRETS},
            )
        )
        try:
            assert isinstance(wiring.services(other).rasa, RasaGateway)
            first, second = world.app.test_client(), other.test_client()
            what = f"The forklift brakes fail {secrets.token_hex(4)}"
            assert "Nothing is filed" in text(first, NUMBER, "hello")[0]
            assert "category" in text(second, NUMBER, what)[0]
            draft_time = redis_dump(prefix)
            assert "YES or NO" in text(first, NUMBER, "3")[0]
            reply = text(second, NUMBER, "YES")[0]
            match = re.search(r"\d{4} \d{4} \d{4} \d{4}", reply)
            assert match, reply
            after = redis_dump(prefix)
            assert b"sms-draft:" in draft_time and b"sms-draft:" not in after
            needles = [what, *NUMBER_FORMS, *receipt_forms(match.group(0))]
            for dump in (draft_time, after):
                found = [n for n in needles for form in needle_forms(n) if form in dump]
                assert not found, found
            _check_case_filed(world, what)
        finally:
            wiring.services(other).database.dispose()


def _check_case_filed(world: World, what: str) -> None:
    from sqlalchemy import func, select

    from hotline import db
    from hotline.models import Case

    with world.app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Case)) == 1
