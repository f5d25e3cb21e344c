"""Logs never tie a case to the time a reporter acted on it: reporter-side events carry no
case id, their timestamps are days, and at the default level they are not written at all."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from hotline.logs import REPORTER_EVENTS, ContentFreeFormatter
from tests.support import LogCapture
from tests.support.world import World


@contextmanager
def captured(level: int) -> Iterator[LogCapture]:
    ours = logging.getLogger("hotline")
    before = ours.level
    ours.setLevel(level)
    try:
        with LogCapture() as logs:
            yield logs
    finally:
        ours.setLevel(before)


def reporter_journey(world: World) -> str:
    """Report, retry, come back, answer: everything a reporter does over the channel API."""
    client = world.app.test_client()
    report = {
        "category": "harassment",
        "body": "timing journey",
        "channel": "chat",
        "language": "en",
        "idempotency_key": secrets.token_hex(24),
    }
    first = client.post("/api/v1/channel/reports", headers=world.auth(), json=report)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/channel/reports", headers=world.auth(), json=report)
    assert again.status_code == 200
    receipt = first.get_json()["receipt"]
    opened = client.post(
        "/api/v1/channel/followup", headers=world.auth(), json={"receipt": receipt}
    )
    assert opened.status_code == 200
    answered = client.post(
        "/api/v1/channel/followup/messages",
        headers=world.auth(),
        json={"receipt": receipt, "body": "more detail"},
    )
    assert answered.status_code == 201
    return str(first.get_json()["case_id"])


def lines(logs: LogCapture) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.text.splitlines() if line.startswith("{")]


def test_reporter_events_name_no_case_and_no_time_finer_than_the_day(world: World) -> None:
    with captured(logging.DEBUG) as logs:
        case_id = reporter_journey(world)
    written = lines(logs)
    seen = {e["event"] for e in written if e.get("event") in REPORTER_EVENTS}
    assert {"case.received", "case.reporter_opened", "case.reporter_message"} <= seen
    assert case_id not in logs.text
    for entry in written:
        if entry.get("event") in REPORTER_EVENTS:
            assert len(entry["ts"]) == len("2026-12-01"), entry
            assert "case_id" not in entry


def test_at_the_default_level_nothing_marks_when_a_report_arrived(world: World) -> None:
    with captured(logging.INFO) as logs:
        case_id = reporter_journey(world)
    assert case_id not in logs.text
    assert not [e for e in lines(logs) if e.get("event") in REPORTER_EVENTS]


@pytest.mark.parametrize("event", sorted(REPORTER_EVENTS))
def test_formatter_strips_case_and_time_from_reporter_events(event: str) -> None:
    record = logging.LogRecord("hotline.intake", logging.INFO, __file__, 1, event, None, None)
    record.created = 1_796_132_143.0  # 2026-12-01 13:35:43 UTC
    record.case_id = "HL-0123456789"
    entry = json.loads(ContentFreeFormatter().format(record))
    assert entry["ts"] == "2026-12-01" and "case_id" not in entry
    handler_side = logging.LogRecord(
        "hotline.workflow", logging.INFO, __file__, 1, "case.status", None, None
    )
    handler_side.case_id = "HL-0123456789"
    assert "case_id" in json.loads(ContentFreeFormatter().format(handler_side))
