"""Content-free digests: counts and a link, one message per handler, once a day; written to
the local outbox in development and sent through a real SMTP server (STARTTLS + AUTH)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, select, update

from hotline import db, mailer, wiring
from hotline.config import load_settings
from hotline.models import Case, CaseGrant, Handler
from hotline.services import dates, notifications
from integrations.mail import (
    MailError,
    OutboxSender,
    SmtpSender,
    SmtpSettings,
)
from tests.support import find_plaintext
from tests.support.config import change_settings
from tests.support.world import World, build_world

pytestmark = pytest.mark.postgres

EMAILS = {
    "comp.one": "comp.one@example.org",
    "audit.one": "audit.one@example.org",
    "harass.one": "harass.one@example.org",
}
URL = "https://hotline.example.org"
CATEGORY_WORDS = ("fraud", "accounting", "harassment", "bullying", "不正", "ハラスメント")


@dataclass
class Setup:
    fraud: list[str]
    harassment: str
    texts: list[str]


def execute(world: World, statement: Any) -> None:
    engine = create_engine(world.url)
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    finally:
        engine.dispose()


def set_case(world: World, case_id: str, **values: Any) -> None:
    table = Case.__table__
    execute(world, update(table).where(table.c.id == case_id).values(**values))


def reset_digests(world: World) -> None:
    execute(world, update(Handler.__table__).values(last_digest_on=None))


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A world per test: digests count every case and grant in the database, and tests here
    escalate cases and mark digests sent."""
    with build_world(request.param, tmp_path) as w:
        yield w


@pytest.fixture
def setup(world: World) -> Setup:
    table = Handler.__table__
    for username, address in EMAILS.items():
        execute(world, update(table).where(table.c.username == username).values(email=address))
    client = world.app.test_client()
    texts: list[str] = []

    def submit(category: str) -> str:
        text = world.ledger.marker("digest report", "山田さんの件")
        texts.append(text)
        r = client.post(
            "/api/v1/channel/reports",
            json={"category": category, "body": text, "channel": "sms", "language": "ja"},
            headers=world.auth(),
        )
        assert r.status_code == 201, r.json
        case_id: str = r.json["case_id"]  # type: ignore[index]
        return case_id

    made = Setup([submit("fraud_accounting") for _ in range(3)], submit("harassment"), texts)
    today = dates.today()
    # Relative to tomorrow: the first is overdue, the second due within two days.
    set_case(
        world,
        made.fraud[0],
        acknowledge_by=today - timedelta(days=1),
        next_deadline=today - timedelta(days=1),
    )
    set_case(
        world,
        made.fraud[1],
        acknowledge_by=today + timedelta(days=2),
        next_deadline=today + timedelta(days=2),
    )
    return made


def read_box(folder: Path) -> list[EmailMessage]:
    if not folder.exists():
        return []
    return [
        message_from_bytes(p.read_bytes(), policy=email_policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def counts_in(body: str) -> tuple[int, int, int]:
    lines = {
        line.split(":")[0]: line.rsplit(":", 1)[1].strip()
        for line in body.splitlines()
        if ":" in line
    }
    return (
        int(lines["New cases since your last summary"]),
        int(lines["Acknowledgement due within 2 days"]),
        int(lines["Overdue"]),
    )


def assert_content_free(message: EmailMessage, made: Setup) -> None:
    body = message.get_content()
    raw = message.as_bytes()
    assert find_plaintext({"mail": raw}, made.texts) == []
    for case_id in [*made.fraud, made.harassment]:
        assert case_id not in body
    lowered = (body + str(message["Subject"])).lower()
    for word in CATEGORY_WORDS:
        assert word not in lowered, word
    for status in ("received", "acknowledged", "assessing", "investigating", "closed"):
        assert status not in lowered
    assert f"{URL}/console" in body


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    recipients = [str(m["To"]) for m in messages]
    assert len(recipients) == len(set(recipients)), "one message per handler"
    return dict(zip(recipients, messages, strict=True))


def test_digest_counts_once_a_day_into_the_outbox(
    world: World, setup: Setup, tmp_path: Path
) -> None:
    reset_digests(world)
    box = tmp_path / "outbox"
    tomorrow = dates.today() + timedelta(days=1)
    with world.app.app_context():
        run = notifications.send_digests(db.session(), OutboxSender(box), URL, today=tomorrow)
    assert run.sent == 3 and run.handlers == 3 and run.already_today == 0
    sent = by_recipient(read_box(box))
    assert set(sent) == set(EMAILS.values())  # comp.two has no address: nothing for them
    assert counts_in(sent[EMAILS["comp.one"]].get_content()) == (3, 1, 1)
    assert counts_in(sent[EMAILS["audit.one"]].get_content()) == (3, 1, 1)
    assert counts_in(sent[EMAILS["harass.one"]].get_content()) == (1, 0, 0)
    for message in sent.values():
        assert_content_free(message, setup)
        assert message["Auto-Submitted"] == "auto-generated"

    with world.app.app_context():
        again = notifications.send_digests(db.session(), OutboxSender(box), URL, today=tomorrow)
        handlers = {h.username: h.last_digest_on for h in db.session().query(Handler)}
    assert again.sent == 0 and again.already_today == 3
    assert len(read_box(box)) == 3
    assert all(handlers[u] == tomorrow for u in EMAILS)
    assert handlers["comp.two"] is None

    # The day after: nothing new was granted, but deadlines still count; harass.one has
    # nothing to hear about and gets nothing.
    day_after = tomorrow + timedelta(days=1)
    with world.app.app_context():
        third = notifications.send_digests(db.session(), OutboxSender(box), URL, today=day_after)
    assert third.sent == 2
    messages = read_box(box)
    assert len(messages) == 5
    newest = by_recipient([m for m in messages if counts_in(m.get_content())[0] == 0])
    assert set(newest) == {EMAILS["comp.one"], EMAILS["audit.one"]}
    assert counts_in(newest[EMAILS["comp.one"]].get_content()) == (0, 1, 1)


def test_cli_digest_writes_the_instance_outbox(world: World, setup: Setup) -> None:
    reset_digests(world)
    box = Path(wiring.settings(world.app).mail_outbox)
    assert box == Path(wiring.settings(world.app).instance_path) / "outbox"
    before = len(read_box(box))
    runner = world.app.test_cli_runner()
    result = runner.invoke(args=["notify", "digest"])
    assert result.exit_code == 0, result.output
    # Today: the reports came in today (new in tomorrow's digest); one overdue, one due.
    assert result.output.strip() == (
        "sent 2 digests (3 handlers with an address, 0 already had one today)"
    )
    messages = read_box(box)[before:]
    sent = by_recipient(messages)
    assert set(sent) == {EMAILS["comp.one"], EMAILS["audit.one"]}
    assert counts_in(sent[EMAILS["comp.one"]].get_content()) == (0, 1, 1)
    again = runner.invoke(args=["notify", "digest"])
    assert "sent 0 digests (3 handlers with an address, 3 already had one today)" in again.output
    assert len(read_box(box)) == before + 2


# -- a real SMTP server ------------------------------------------------------------------


@dataclass
class Received:
    messages: list[tuple[str, list[str], bytes, bool]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)


class Collector:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.ssl is not None)
        )
        return "250 OK"


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    port: int
    ca_file: Path
    received: Received


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1: STARTTLS required, AUTH LOGIN/PLAIN with one account."""
    cert, key = _certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    received = Received()

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth: Any
    ) -> AuthResult:
        ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
            b"hotline",
            b"relay-secret",
        )
        if ok:
            received.logins.append((auth.login, auth.password))
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(
        Collector(received),
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        loop=asyncio.new_event_loop(),
    )
    controller.start()
    try:
        yield SmtpServer(port, cert, received)
    finally:
        controller.stop()


def test_digest_through_a_real_smtp_server(
    world: World, setup: Setup, smtp_server: SmtpServer
) -> None:
    reset_digests(world)
    settings = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
        "SMTP_USER": "hotline",
        "SMTP_PASSWORD": "relay-secret",
        "SMTP_FROM": "hotline@example.org",
        "SMTP_STARTTLS": True,
        "SMTP_CA_FILE": str(smtp_server.ca_file),
        "MAIL_OUTBOX": "",
        "PUBLIC_URL": URL,
    }
    saved = change_settings(world.app, **settings)
    try:
        assert isinstance(mailer.sender(wiring.settings(world.app)), SmtpSender)
        result = world.app.test_cli_runner().invoke(args=["notify", "digest"])
    finally:
        wiring.attach(world.app, saved, wiring.services(world.app))
    assert result.exit_code == 0, result.output
    assert "sent 2 digests" in result.output
    got = smtp_server.received
    assert got.logins == [(b"hotline", b"relay-secret")]
    assert sorted(r for _, rcpts, _, _ in got.messages for r in rcpts) == sorted(
        [EMAILS["comp.one"], EMAILS["audit.one"]]
    )
    for mail_from, _, content, over_tls in got.messages:
        assert mail_from == "hotline@example.org"
        assert over_tls, "the message went over STARTTLS"
        message = message_from_bytes(content, policy=email_policy.default)
        assert isinstance(message, EmailMessage)
        assert counts_in(message.get_content()) == (0, 1, 1)
        assert_content_free(message, setup)


def test_unreachable_smtp_marks_nothing_sent(world: World, setup: Setup) -> None:
    reset_digests(world)
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=_free_port(), timeout=5))
    with world.app.app_context():
        with pytest.raises(MailError) as caught:
            notifications.send_digests(db.session(), sender, URL)
        db.session().rollback()
        assert all(h.last_digest_on is None for h in db.session().query(Handler))
    assert "example.org" not in str(caught.value)


def test_sender_choice_follows_config(tmp_path: Path) -> None:
    base = {"INSTANCE_PATH": str(tmp_path), "TEST_MODE": True}

    def sender_from_config(config: dict[str, str]) -> object:
        return mailer.sender(load_settings({**base, **config}))

    assert isinstance(sender_from_config({"SMTP_HOST": ""}), OutboxSender)
    assert isinstance(sender_from_config({"SMTP_HOST": "mail.example.org"}), SmtpSender)
    forced = sender_from_config(
        {"SMTP_HOST": "mail.example.org", "MAIL_OUTBOX": str(tmp_path / "box")}
    )
    assert isinstance(forced, OutboxSender) and forced.folder == tmp_path / "box"


def test_digest_text_has_only_numbers_and_the_link() -> None:
    counts = notifications.DigestCounts(handler_id=1, new_cases=4, due_soon=2, overdue=1)
    text = notifications.digest_text(counts, 2, URL + "/console")
    assert counts_in(text) == (4, 2, 1)
    assert "4 件" in text and URL + "/console" in text
    assert date.today().isoformat() not in text


def test_escalated_cases_are_new_to_the_escalation_desk(world: World, setup: Setup) -> None:
    """`flask cases escalate` releases held grants as of today: the next digest counts them."""
    reset_digests(world)
    today = dates.today()
    yesterday = today - timedelta(days=1)
    set_case(world, setup.harassment, acknowledge_by=yesterday, next_deadline=yesterday)
    result = world.app.test_cli_runner().invoke(args=["cases", "escalate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "escalated 2 cases"  # fraud[0] and the harassment case
    with world.app.app_context():
        grants = {
            (g.handler_id, g.released, g.granted_on)
            for g in db.session().scalars(
                select(CaseGrant).where(CaseGrant.case_id == setup.harassment)
            )
        }
    ids = world.handler_ids
    assert (ids["comp.one"], True, today) in grants and (ids["comp.two"], True, today) in grants
    box_counts = {}
    with world.app.app_context():
        for username in ("comp.one", "harass.one"):
            box_counts[username] = notifications.digest_counts(
                db.session(), ids[username], None, today + timedelta(days=1), 2
            )
    assert (box_counts["comp.one"].new_cases, box_counts["comp.one"].overdue) == (4, 2)
    assert (box_counts["harass.one"].new_cases, box_counts["harass.one"].overdue) == (1, 1)
    again = world.app.test_cli_runner().invoke(args=["cases", "escalate"])
    assert again.output.strip() == "escalated 0 cases"
