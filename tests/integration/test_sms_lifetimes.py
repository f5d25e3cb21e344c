"""SMS bookkeeping keeps nothing longer than its reason (issue 11 item 6): retry answers for
Twilio's retry window only and sealed with the pepper; replays after it get nothing; deletion
rows only while a deletion can still run; purges on a schedule and with the cases."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from twilio.http.response import Response as TwilioResponse

from crypto.primitives import DecryptionError, keyed_hash, open_sealed
from hotline import db, wiring
from hotline.models import SmsDelivery, TwilioDeletion
from hotline.services import dates, sms_records, twilio_cleanup
from integrations.rasa import RasaGateway
from integrations.twilio.deletion import TwilioCleaner
from tests.support.config import change_settings
from tests.support.sms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    RecordingHttpClient,
    signed_form,
    text,
)
from tests.support.world import World

pytestmark = pytest.mark.postgres


class FailingHttpClient(RecordingHttpClient):
    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        super().request(method, uri, *args, **kwargs)
        return TwilioResponse(503, '{"message": "unavailable", "status": 503}')


@pytest.fixture
def line(world: World) -> RecordingHttpClient:
    app = world.app
    change_settings(
        app,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        PUBLIC_URL=PUBLIC_URL,
        SMS_RATE_LIMIT="1000 per minute",
        TWILIO_CLEANUP_DELAY_SECONDS=3600,
    )
    wiring.services(app).rasa = RasaGateway("http://127.0.0.1:9", 1)  # bot down
    recorder = RecordingHttpClient()
    wiring.services(app).twilio_cleaner = TwilioCleaner(
        ACCOUNT_SID, AUTH_TOKEN, http_client=recorder
    )
    return recorder


def file_report(world: World, number: str, sid: str) -> list[str]:
    client = world.app.test_client()
    text(client, number, "hello")
    text(client, number, "The scales in store 12 are rigged")
    text(client, number, "1")
    return text(client, number, "YES", sid=sid)


def replay(world: World, number: str, body: str, sid: str) -> list[str]:
    form, signature = signed_form(number, body, sid)
    response = world.app.test_client().post(
        "/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    return [m.text or "" for m in ET.fromstring(response.data).iter("Message")]


def delivery(world: World, sid: str) -> SmsDelivery | None:
    with world.app.app_context():
        pepper = wiring.services(world.app).context.keyring.pepper
        return db.session().get(SmsDelivery, sms_records.sid_tag(pepper, sid))


def test_retry_answer_needs_the_pepper_and_lasts_the_window(
    world: World, line: RecordingHttpClient
) -> None:
    sid = "SM" + secrets.token_hex(16)
    first = file_report(world, "+12025550177", sid)
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", first[0])
    assert replay(world, "+12025550177", "YES", sid) == first  # Twilio's retry, in the window
    stored = delivery(world, sid)
    assert stored is not None and stored.sealed_reply is not None
    # Twilio's message log gives the SID; without the pepper that opens nothing.
    raw = sid.encode()
    sid_only = keyed_hash(raw[:64].ljust(16, b"\0"), "hotline:sms-reply-key:v1", raw)
    for purpose in ("hotline:sms-reply:v1", "hotline:sms-reply:v2"):
        with pytest.raises(DecryptionError):
            open_sealed(sid_only, stored.sealed_reply, purpose)
    assert stored.reply_until is not None
    assert stored.reply_until - sms_records.now() <= timedelta(minutes=10)
    with world.app.app_context():  # the window passes
        db.session().execute(
            update(SmsDelivery)
            .where(SmsDelivery.sid_tag == stored.sid_tag)
            .values(reply_until=sms_records.now() - timedelta(seconds=1))
        )
        db.session().commit()
    assert replay(world, "+12025550177", "YES", sid) == []  # a captured webhook, replayed
    text(world.app.test_client(), "+12025550177", "HELP")  # any later text erases it
    later = delivery(world, sid)
    assert later is not None and later.sealed_reply is None and later.reply_until is None


def test_a_replayed_status_request_tells_nothing_after_the_window(
    world: World, line: RecordingHttpClient
) -> None:
    sid = "SM" + secrets.token_hex(16)
    assert "Speak-up" in text(world.app.test_client(), "+12025550178", "HELP", sid=sid)[0]
    stored = delivery(world, sid)
    assert stored is not None
    past = sms_records.now() + timedelta(minutes=11)
    with world.app.app_context():
        assert sms_records.erase_expired_replies(db.session(), past) >= 1
        db.session().commit()
        pepper = wiring.services(world.app).context.keyring.pepper
        assert sms_records.earlier_answer(db.session(), pepper, sid, past) == []


def test_scheduled_purge_forgets_old_tags_and_expired_answers(
    world: World, line: RecordingHttpClient
) -> None:
    old_tag = secrets.token_bytes(32)
    with world.app.app_context():
        db.session().add(
            SmsDelivery(
                sid_tag=old_tag,
                day=dates.today() - timedelta(days=401),
                sealed_reply=b"sealed",
                reply_until=sms_records.now() - timedelta(minutes=1),
            )
        )
        db.session().commit()
    result = world.app.test_cli_runner().invoke(args=["sms", "purge"])
    assert result.exit_code == 0, result.output
    assert "tags forgotten" in result.output
    with world.app.app_context():
        assert db.session().get(SmsDelivery, old_tag) is None
        expired = db.session().scalar(
            select(func.count())
            .select_from(SmsDelivery)
            .where(SmsDelivery.reply_until <= sms_records.now())
        )
        assert expired == 0


def test_case_purge_purges_sms_bookkeeping(world: World, line: RecordingHttpClient) -> None:
    sid = "SM" + secrets.token_hex(16)
    text(world.app.test_client(), "+12025550179", "HELP", sid=sid)
    with world.app.app_context():
        db.session().execute(
            update(SmsDelivery).values(reply_until=sms_records.now() - timedelta(seconds=1))
        )
        db.session().commit()
    result = world.app.test_cli_runner().invoke(args=["cases", "purge"])
    assert result.exit_code == 0, result.output
    stored = delivery(world, sid)
    assert stored is not None and stored.sealed_reply is None


def deletion_rows(world: World) -> int:
    with world.app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(TwilioDeletion)) or 0)


def test_no_deletion_row_without_twilio_credentials(
    world: World, line: RecordingHttpClient
) -> None:
    wiring.services(world.app).twilio_cleaner = None
    change_settings(world.app, TWILIO_ACCOUNT_SID="")
    before = deletion_rows(world)
    text(world.app.test_client(), "+12025550180", "HELP")
    assert deletion_rows(world) == before
    with world.app.app_context():  # rows queued while credentials were set are dropped
        db.session().add(TwilioDeletion(sealed_sid=b"x" * 40, day=dates.today()))
        db.session().commit()
    assert (
        "deletion rows dropped" in world.app.test_cli_runner().invoke(args=["sms", "purge"]).output
    )
    assert deletion_rows(world) == 0


def test_deletion_row_removed_after_its_last_attempt(
    world: World, line: RecordingHttpClient
) -> None:
    failing = TwilioCleaner(ACCOUNT_SID, AUTH_TOKEN, http_client=FailingHttpClient())
    wiring.services(world.app).twilio_cleaner = failing
    with world.app.app_context():
        for row in db.session().scalars(select(TwilioDeletion)):
            db.session().delete(row)
        db.session().commit()
    text(world.app.test_client(), "+12025550181", "HELP")
    assert deletion_rows(world) == 1
    ctx = wiring.services(world.app).context
    with world.app.app_context():
        for attempt in range(1, twilio_cleanup.MAX_ATTEMPTS + 1):
            deleted, pending = twilio_cleanup.run_queue(db.session(), ctx, failing)
            assert deleted == 0
            assert pending == (0 if attempt == twilio_cleanup.MAX_ATTEMPTS else 1)
    assert deletion_rows(world) == 0
