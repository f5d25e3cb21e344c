"""Metrics after real journeys hold counts only: no case id, receipt, pseudonym, text or
address; the endpoint answers a direct loopback peer only, never through a proxy."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from hotline import create_app, migrate, wiring
from integrations.rasa import RasaGateway
from tests.support import config_for, receipt_forms
from tests.support.sms import AUTH_TOKEN, PUBLIC_URL, text
from tests.support.world import small_app

CLIENT = "198.51.100.23"
NUMBER = "+819055556666"


def test_scrape_after_journeys_identifies_nothing(tmp_path: Path) -> None:
    app = small_app(
        tmp_path,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PUBLIC_URL=PUBLIC_URL,
        REPORT_RATE_LIMIT="3 per minute",
    )
    wiring.services(app).rasa = RasaGateway("http://127.0.0.1:9", 1)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT
    auth = {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}
    secrets_seen: list[str] = [CLIENT, NUMBER]
    what = f"the cash box is short {secrets.token_hex(4)}"
    secrets_seen.append(what)
    made = client.post(
        "/api/v1/channel/reports",
        headers=auth,
        json={"category": "fraud_accounting", "body": what, "channel": "web", "language": "en"},
    )
    assert made.status_code == 201
    case_id, receipt = made.json["case_id"], made.json["receipt"]
    secrets_seen += [case_id, *receipt_forms(receipt)]
    assert (
        client.post("/api/v1/channel/followup", headers=auth, json={"receipt": receipt}).status_code
        == 200
    )
    for _ in range(3):  # the third trips the per-client limit
        client.post("/api/v1/channel/reports", headers=auth, json={"category": "other"})
    sms_client = app.test_client()
    for body in ("hello", "the forklift", "1", "YES"):
        replies = text(sms_client, NUMBER, body)
    sms_receipt = re.search(r"\d{4} \d{4} \d{4} \d{4}", replies[0])
    assert sms_receipt
    secrets_seen += [*receipt_forms(sms_receipt.group(0)), "the forklift"]
    pseudonym = wiring.services(app).sms.pseudonym(NUMBER).hex()
    secrets_seen += [pseudonym, pseudonym[:24]]

    local = app.test_client()
    local.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    scrape = local.get("/metrics")
    assert scrape.status_code == 200
    page = scrape.get_data(as_text=True)
    assert 'hotline_submissions_total{channel="channel_api"}' in page
    assert 'hotline_followups_total{channel="channel_api"}' in page
    assert "hotline_rate_limited_total" in page and "hotline_sms_messages_total" in page
    assert "hotline_argon2_wait_seconds" in page
    for secret in secrets_seen:
        assert secret not in page, secret
    assert not re.search(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", page)
    assert "HL-" not in page


def test_metrics_only_for_a_direct_loopback_peer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    migrate.upgrade(url)
    app = create_app(config_for(url, tmp_path / "instance", PROXY_COUNT=1))
    remote = app.test_client()
    remote.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    assert remote.get("/metrics").status_code == 404
    local = app.test_client()
    local.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert local.get("/metrics").status_code == 200
    # Through a proxy on the same host: the balancer adds X-Forwarded-For.
    proxied = local.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert proxied.status_code == 404
