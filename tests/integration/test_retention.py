"""Retention with `flask cases purge`: warn once, then purge every row and blob of a closed
case, and nothing of any other case; abandoned uploads and old idempotency keys go too."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Connection, create_engine, func, select, update

from crypto.attachments import encrypt_file, new_file_key
from hotline import db, wiring
from hotline.blobs.store import BlobStore
from hotline.blobs.streams import UploadedFile
from hotline.models import (
    Attachment,
    AuditEvent,
    BlobChunk,
    Case,
    CaseExclusion,
    CaseGrant,
    Channel,
    Handler,
    Message,
    Note,
    PendingBlob,
)
from hotline.services import dates, handler_access, intake, workflow
from tests.support import find_plaintext, raw_database_bytes
from tests.support.console import note_through_services
from tests.support.world import HANDLERS, World

pytestmark = pytest.mark.postgres

TABLES = {
    "cases": Case.__table__.c.id,
    "case_grants": CaseGrant.__table__.c.case_id,
    "messages": Message.__table__.c.case_id,
    "notes": Note.__table__.c.case_id,
    "case_exclusions": CaseExclusion.__table__.c.case_id,
    "attachments": Attachment.__table__.c.case_id,
}
EMAILS = {
    "comp.one": "comp.one@example.org",
    "comp.two": "comp.two@example.org",
    "audit.one": "audit.one@example.org",
}
DAY = 24 * 3600


@dataclass
class Cases:
    purge_me: str
    warned_only: str
    recent: str
    open_old: str
    idem_old: str
    idem_new: str
    texts: list[str]


@contextmanager
def raw(world: World) -> Iterator[Connection]:
    engine = create_engine(world.url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def blobs(world: World) -> BlobStore:
    store: BlobStore = wiring.services(world.app).blobs
    return store


def put_blob(world: World, data: bytes, started_days_ago: int | None = None) -> str:
    """An upload's ciphertext in the store: unclaimed (pending since that many days ago)."""
    store = blobs(world)
    blob_id = store.new_id()
    writer = store.writer(blob_id)
    writer.write(data)
    writer.close()
    if started_days_ago is not None:
        with raw(world) as conn:
            conn.execute(
                update(PendingBlob.__table__)
                .where(PendingBlob.__table__.c.blob_id == blob_id)
                .values(started_on=dates.today() - timedelta(days=started_days_ago))
            )
    return blob_id


def stored_blobs(world: World) -> set[str]:
    with raw(world) as conn:
        return set(conn.scalars(select(BlobChunk.__table__.c.blob_id).distinct())) | set(
            conn.scalars(select(PendingBlob.__table__.c.blob_id))
        )


def outbox(world: World) -> Path:
    return Path(wiring.settings(world.app).mail_outbox)


def mails(world: World) -> list[EmailMessage]:
    folder = outbox(world)
    if not folder.exists():
        return []
    return [
        message_from_bytes(p.read_bytes(), policy=email_policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def purge(world: World, *extra: str) -> Result:
    return world.app.test_cli_runner().invoke(args=["cases", "purge", *extra])


def make_case(
    world: World,
    texts: list[str],
    files: int = 1,
    exclude: tuple[int, ...] = (),
    idempotency_key: str | None = None,
    close: bool = False,
) -> str:
    """A fraud report with encrypted files, a reply, a note and a reporter message."""
    what = world.ledger.marker("retention report", "経理の不正")
    texts.append(what)
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        store = blobs(world)
        uploads = []
        for i in range(files):
            key = new_file_key()
            plain = f"file {i} {secrets.token_hex(8)}".encode() * 50
            data = b"".join(encrypt_file(key, [plain]))
            blob_id = put_blob(world, data)
            uploads.append(
                UploadedFile(
                    blob_id, len(data), len(plain), key, "application/pdf", f"f{i}.pdf", False
                )
            )
        result = intake.submit(
            session,
            ctx,
            intake.IntakeRequest(
                category="fraud_accounting",
                channel=Channel.WEB,
                language="en",
                fields={"what_happened": what},
                excluded_handler_ids=exclude,
                idempotency_key=idempotency_key,
                attachments=tuple(uploads),
            ),
            store,
        )
        who = handler_access.unlock(session, ctx, "comp.one", HANDLERS["comp.one"][1])
        answer = world.ledger.marker("retention reply", "")
        texts.append(answer)
        handler_access.reply(session, ctx, who, result.case_id, answer)
        note_through_services(session, ctx, who.handler_id, result.case_id, os.urandom(120))
        if close:
            workflow.change_status(
                session, ctx, who.handler_id, result.case_id, "closed", "substantiated"
            )
        return result.case_id


def set_case(world: World, case_id: str, **values: Any) -> None:
    with raw(world) as conn:
        conn.execute(update(Case.__table__).where(Case.__table__.c.id == case_id).values(**values))


@pytest.fixture(scope="module")
def cases(world: World) -> Cases:
    with raw(world) as conn:
        for username, address in EMAILS.items():
            conn.execute(
                update(Handler.__table__)
                .where(Handler.__table__.c.username == username)
                .values(email=address)
            )
    texts: list[str] = []
    today = dates.today()
    made = Cases(
        purge_me=make_case(
            world, texts, files=2, exclude=(world.handler_ids["comp.two"],), close=True
        ),
        warned_only=make_case(world, texts, close=True),
        recent=make_case(world, texts, close=True),
        open_old=make_case(world, texts),
        idem_old=make_case(world, texts, files=0, idempotency_key=secrets.token_hex(20)),
        idem_new=make_case(world, texts, files=0, idempotency_key=secrets.token_hex(20)),
        texts=texts,
    )
    set_case(world, made.purge_me, closed_on=today - timedelta(days=120))
    set_case(world, made.warned_only, closed_on=today - timedelta(days=80))
    set_case(world, made.recent, closed_on=today - timedelta(days=10))
    set_case(world, made.open_old, received_on=today - timedelta(days=200))
    set_case(world, made.idem_old, received_on=today - timedelta(days=2))
    return made


def snapshot(world: World) -> dict[str, Any]:
    """Every row count per case and table, the case dates, the files, the mail, the log."""
    state: dict[str, Any] = {}
    with raw(world) as conn:
        for name, column in TABLES.items():
            state[name] = dict(
                conn.execute(select(column, func.count()).group_by(column)).all()  # type: ignore[arg-type]
            )
        state["cases_meta"] = [
            tuple(r)
            for r in conn.execute(
                select(
                    Case.__table__.c.id,
                    Case.__table__.c.purge_warned_on,
                    Case.__table__.c.idempotency_tag,
                    Case.__table__.c.idempotent_receipt,
                ).order_by(Case.__table__.c.id)
            )
        ]
        state["audit"] = conn.scalar(select(func.count()).select_from(AuditEvent.__table__))
    state["files"] = sorted(stored_blobs(world))
    state["mail"] = len(mails(world))
    return state


def attachment_ids(world: World, case_id: str) -> list[str]:
    with raw(world) as conn:
        return list(
            conn.scalars(
                select(Attachment.__table__.c.id).where(Attachment.__table__.c.case_id == case_id)
            )
        )


def dry_run_changes_nothing(world: World, cases: Cases) -> None:
    put_blob(world, b"\x01" * 100, started_days_ago=2)  # an upload abandoned by a crash
    before = snapshot(world)
    result = purge(world, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"{cases.purge_me}\twould be warned" in result.output
    assert f"{cases.warned_only}\twould be warned" in result.output
    assert cases.recent not in result.output and cases.open_old not in result.output
    assert "dry run: 2 warned (3 messages), 0 purged" in result.output
    assert "1 orphan files, 1 idempotency keys cleared" in result.output
    assert snapshot(world) == before


def warning_goes_out_once_and_carries_no_content(world: World, cases: Cases) -> None:
    today = dates.today()
    result = purge(world)
    assert result.exit_code == 0, result.output
    assert (
        "2 warned (3 messages), 0 purged (0 files), 1 orphan files, 1 idempotency keys cleared"
        in result.output
    )
    sent = mails(world)
    assert sorted(m["To"] for m in sent) == sorted(EMAILS.values())
    purge_on = (today + timedelta(days=14)).isoformat()
    for message in sent:
        body = message.get_content()
        assert cases.warned_only in body and purge_on in body
        # comp.two was excluded from purge_me by the reporter: not even its id reaches them.
        assert (cases.purge_me in body) == (message["To"] != EMAILS["comp.two"])
        for other in (cases.recent, cases.open_old, cases.idem_old, cases.idem_new):
            assert other not in body
        assert "fraud" not in body.lower() and "Fraud" not in message["Subject"]
        assert find_plaintext({"mail": message.as_bytes()}, cases.texts) == []
    with world.app.app_context():
        warned = {c.id: c.purge_warned_on for c in db.session().scalars(select(Case))}
    assert warned[cases.purge_me] == today and warned[cases.warned_only] == today
    assert warned[cases.recent] is None and warned[cases.open_old] is None

    again = purge(world)
    assert again.exit_code == 0, again.output
    assert "0 warned (0 messages), 0 purged" in again.output
    assert len(mails(world)) == len(sent)


def purge_removes_every_row_and_file_of_the_case_only(world: World, cases: Cases) -> None:
    today = dates.today()
    store = blobs(world)
    # Two weeks after the warning: purge_me is due; warned_only closed too recently.
    for case_id in (cases.purge_me, cases.warned_only):
        set_case(world, case_id, purge_warned_on=today - timedelta(days=14))
    doomed_files = attachment_ids(world, cases.purge_me)
    assert len(doomed_files) == 2 and set(doomed_files) <= stored_blobs(world)
    kept_files = {
        case_id: attachment_ids(world, case_id)
        for case_id in (cases.warned_only, cases.recent, cases.open_old)
    }
    # An upload still streaming in (pending today) is no orphan; one abandoned days ago is,
    # and so is a chunk nothing owns.
    fresh_upload = put_blob(world, b"\x02" * 100)
    stale_upload = put_blob(world, b"\x03" * 100, started_days_ago=3)
    with raw(world) as conn:
        stray = secrets.token_hex(16)
        conn.execute(BlobChunk.__table__.insert().values(blob_id=stray, seq=0, data=b"\x04"))
    with world.app.app_context():
        sealed = {c.id: c.sealed_report for c in db.session().scalars(select(Case))}
    before = snapshot(world)

    result = purge(world)
    assert result.exit_code == 0, result.output
    assert f"{cases.purge_me}\tpurged" in result.output
    assert "1 purged (2 files), 2 orphan files, 0 idempotency keys cleared" in result.output

    after = snapshot(world)
    for name in TABLES:
        assert cases.purge_me not in after[name], name
        expected = {k: v for k, v in before[name].items() if k != cases.purge_me}
        assert after[name] == expected, name
    assert before["case_grants"][cases.purge_me] == 2  # comp.one, audit.one (comp.two excluded)
    assert before["case_exclusions"][cases.purge_me] == 1
    assert before["notes"][cases.purge_me] == 1
    left = stored_blobs(world)
    assert not set(doomed_files) & left
    for files in kept_files.values():
        assert files and set(files) <= left
        assert all(b"".join(store.chunks(f)) for f in files)
    assert fresh_upload in left and stale_upload not in left and stray not in left
    assert len(left) == len(before["files"]) - 2 - 2

    with world.app.app_context():
        session = db.session()
        rows = {c.id: c for c in session.scalars(select(Case))}
        purged = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == cases.purge_me)
        ).all()
    assert rows[cases.idem_old].idempotency_tag is None
    assert rows[cases.idem_old].idempotent_receipt is None
    assert rows[cases.idem_new].idempotency_tag is not None
    assert rows[cases.idem_new].idempotent_receipt is not None
    assert [(e.action, e.actor_id) for e in purged][-1] == ("purged", None)
    assert world.app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0

    # Not a byte of the purged ciphertext is left in the stored database (SQLite: the file
    # and its WAL, with secure_delete on); the other cases' ciphertext is found as before.
    wiring.services(world.app).database.dispose()
    stored = raw_database_bytes(world.url)
    assert sealed[cases.purge_me][-64:] not in stored
    assert sealed[cases.recent][-64:] in stored

    # A second run has nothing left to do.
    again = purge(world)
    assert "0 warned (0 messages), 0 purged (0 files), 0 orphan files" in again.output


def test_dry_run_then_warning_then_purge(world: World, cases: Cases) -> None:
    """One retention cycle in its order: a dry run changes nothing, the warning goes out once
    without content, and two weeks later the purge removes that case and nothing else."""
    dry_run_changes_nothing(world, cases)
    warning_goes_out_once_and_carries_no_content(world, cases)
    purge_removes_every_row_and_file_of_the_case_only(world, cases)
