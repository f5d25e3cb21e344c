"""Attachments are padded to size buckets, and a download is checked whole before it starts.

The database holds an attachment's ciphertext (in chunks), its stored size and its sealed
description: none of them may tell a file's exact size or name length, only its bucket. The
no-JavaScript download decrypts on the server: it must authenticate every block and the
FINAL tag before the first plaintext byte leaves, so a damaged file is an error page and
never partial content.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from crypto import attachments as file_crypto
from crypto import sealing
from hotline import db, wiring
from hotline.models import Attachment, BlobChunk
from hotline.services import attachments, followup
from hotline.services.errors import UnreadableFile
from tests.support import GENEROUS_LIMITS, tamper
from tests.support.world import World, build_world

pytestmark = pytest.mark.postgres

CONFIG: dict[str, Any] = {**GENEROUS_LIMITS, "MAX_ATTACHMENT_BYTES": 400_000}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with build_world(request.param, tmp_path_factory.mktemp(f"pad-{request.param}"), **CONFIG) as w:
        yield w


def csrf_token(client: FlaskClient, path: str = "/report") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert page.status_code == 200 and found
    return found.group(1)


def report_with(world: World, client: FlaskClient, files: list[tuple[bytes, str]]) -> str:
    token = csrf_token(client)
    form = {
        "csrf_token": token,
        "category": "fraud_accounting",
        "what_happened": world.ledger.marker("padding report"),
        "external_only": "0",
        "files": [(io.BytesIO(data), name, "application/pdf") for data, name in files],
    }
    r = client.post("/report", data=form, content_type="multipart/form-data")
    found = re.search(r'id="receipt-code"[^>]*>\s*(\d{4} \d{4} \d{4} \d{4})\s*<', r.text)
    assert r.status_code == 201 and found, r.text[:500]
    world.ledger.receipt(found.group(1))
    return found.group(1)


def file_of(world: World, size: int, label: str) -> bytes:
    """`size` bytes that are not zeros and carry a marker the scan looks for."""
    head = b"%PDF-1.4\n% " + world.ledger.marker(label).encode() + b"\n"
    body = bytes((i * 7 + 1) % 251 + 1 for i in range(size))
    return (head + body)[:size]


def newest_case_files(world: World, case_id: str) -> list[Attachment]:
    with world.app.app_context():
        return list(db.session().scalars(select(Attachment).where(Attachment.case_id == case_id)))


def case_id_of(world: World, client: FlaskClient, receipt: str) -> tuple[str, str, list[str]]:
    token = csrf_token(client, "/followup")
    page = client.post("/followup", data={"csrf_token": token, "receipt": receipt})
    slot = re.search(r'data-slot="case_id">(HL-[^<]+)<', page.text)
    assert page.status_code == 200 and slot, page.text[:500]
    return slot.group(1), token, re.findall(r'action="/followup/files/([0-9a-f]{32})"', page.text)


def chunk_count(world: World, blob_id: str) -> int:
    with world.app.app_context():
        return int(
            db.session().scalar(
                select(func.count()).select_from(BlobChunk).where(BlobChunk.blob_id == blob_id)
            )
            or 0
        )


def test_server_sealed_files_in_one_bucket_store_one_length(world: World) -> None:
    client = world.app.test_client()
    # Two pairs of files, each pair in one bucket (64 KiB; 320 KiB, several 256 KiB chunks),
    # with names of very different lengths.
    sizes = {"a.pdf": 10, "n" * 150 + ".pdf": 60_000, "b.pdf": 300_000, "c.pdf": 320_000}
    contents = {name: file_of(world, size, name) for name, size in sizes.items()}
    receipt = report_with(world, client, list((data, name) for name, data in contents.items()))
    case_id, token, ids = case_id_of(world, client, receipt)
    rows = {row.id: row for row in newest_case_files(world, case_id)}
    assert set(ids) == set(rows) and len(rows) == 4
    blobs = wiring.services(world.app).blobs

    by_size: dict[int, Attachment] = {}
    for attachment_id in ids:
        r = client.post(
            f"/followup/files/{attachment_id}", data={"csrf_token": token, "receipt": receipt}
        )
        assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(r.data)
        by_size[len(r.data)] = rows[attachment_id]
        assert r.data in contents.values()
    small, small2, big, big2 = (by_size[n] for n in sorted(sizes.values()))
    for one, other, bucket in ((small, small2, 65_536), (big, big2, 327_680)):
        assert one.stored_bytes == other.stored_bytes == file_crypto.stream_size(bucket + 8)
        assert blobs.size(one.id) == blobs.size(other.id) == one.stored_bytes
        assert chunk_count(world, one.id) == chunk_count(world, other.id)
        assert len(one.sealed_meta) == len(other.sealed_meta)
    assert chunk_count(world, big.id) > 1
    assert {len(r.sealed_meta) for r in rows.values()} == {24 + 16 + 1024}
    assert small.stored_bytes != big.stored_bytes


def plant_file(world: World, case_id: str, case_key: bytes, data: bytes, padded: bool) -> str:
    """Store a file on a case as intake would (padded), or as an earlier release did."""
    meta = file_crypto.describe_file("ledger.pdf", "application/pdf", len(data), False)
    sealed_meta = sealing.seal_attachment_meta(case_key, meta, case_id)
    return tamper.plant_file(world.app, case_id, case_key, data, sealed_meta, padded=padded)


def reporter_case_key(world: World, receipt: str) -> bytes:
    """The case key, as the reporter's receipt opens it (what the no-JS download uses)."""
    with world.app.app_context():
        _case, case_key = followup._unlock(
            db.session(), wiring.services(world.app).context, receipt
        )
    return case_key


@pytest.mark.parametrize("padded", [True, False], ids=["padded", "earlier-release"])
def test_truncated_file_gives_an_error_and_no_plaintext(world: World, padded: bool) -> None:
    client = world.app.test_client()
    receipt = report_with(world, client, [])
    case_id, token, _ = case_id_of(world, client, receipt)
    marker = world.ledger.marker("truncated file").encode()
    data = (marker + b" " + bytes(range(1, 256))) * 2500  # ~700 KB: three 256 KiB chunks
    blob_id = plant_file(world, case_id, reporter_case_key(world, receipt), data, padded)
    path = f"/followup/files/{blob_id}"
    whole = client.post(path, data={"csrf_token": token, "receipt": receipt})
    assert whole.status_code == 200 and whole.data == data

    last = chunk_count(world, blob_id) - 1
    assert last >= 2
    with world.app.app_context():
        session = db.session()
        session.execute(
            delete(BlobChunk).where(BlobChunk.blob_id == blob_id, BlobChunk.seq == last)
        )
        session.commit()
    r = client.post(path, data={"csrf_token": token, "receipt": receipt})
    sent = r.get_data()
    assert r.status_code == 500 and r.mimetype == "text/html"
    assert "damaged or incomplete" in r.text
    # Not one byte of the file, not even the blocks before the missing one.
    assert marker not in sent and bytes(range(1, 256)) not in sent
    assert "Content-Disposition" not in r.headers


def test_altered_block_is_refused_before_anything_is_sent(world: World) -> None:
    client = world.app.test_client()
    receipt = report_with(world, client, [])
    case_id, token, _ = case_id_of(world, client, receipt)
    case_key = reporter_case_key(world, receipt)
    data = world.ledger.marker("altered file").encode() * 20_000
    blob_id = plant_file(world, case_id, case_key, data, True)
    last = chunk_count(world, blob_id) - 1
    with world.app.app_context():
        session = db.session()
        row = session.get(BlobChunk, (blob_id, last))
        assert row is not None and last >= 1
        changed = bytearray(row.data)
        changed[-10] ^= 1  # in the FINAL block, which holds the length
        row.data = bytes(changed)
        session.commit()
        item = session.get(Attachment, blob_id)
        assert item is not None
        with pytest.raises(UnreadableFile):
            attachments.open_plaintext(wiring.services(world.app).blobs, case_key, item)
    r = client.post(f"/followup/files/{blob_id}", data={"csrf_token": token, "receipt": receipt})
    assert r.status_code == 500 and "damaged or incomplete" in r.text
    assert data[:40] not in r.get_data()
