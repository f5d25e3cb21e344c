"""No file on disk tells when an attachment arrived (a file's ctime cannot be reset).

The ciphertext lives in the database in chunks: uploading attachments creates no file and
names none after an attachment, whichever path the file came by, and the files that do
change (the database's own) are shared by every case.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotline import db, wiring
from hotline.models import Attachment, BlobChunk, PendingBlob
from tests.support.world import World

pytestmark = pytest.mark.postgres


def files_under(folder: Path) -> dict[str, os.stat_result]:
    return {str(p.relative_to(folder)): p.stat() for p in folder.rglob("*") if p.is_file()}


def post_report(world: World, files: list[tuple[bytes, str, str]]) -> str:
    client = world.app.test_client()
    page = client.get("/report").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {
        "csrf_token": token.group(1),
        "category": "fraud_accounting",
        "what_happened": "attachment files test",
        "external_only": "0",
        "files": [(io.BytesIO(data), name, kind) for data, name, kind in files],
    }
    r = client.post("/report", data=form, content_type="multipart/form-data")
    found = re.search(r'id="receipt-code"[^>]*>\s*(\d{4} \d{4} \d{4} \d{4})\s*<', r.text)
    assert r.status_code == 201 and found, r.text[:500]
    return found.group(1)


def test_attachments_leave_no_file_of_their_own(world: World) -> None:
    instance = Path(wiring.settings(world.app).instance_path)
    folder = instance.parent  # the world's folder: the SQLite database and the instance
    before = files_under(folder)
    pdf = b"%PDF-1.4\n" + os.urandom(300_000) + b"%%EOF\n"  # several chunks
    post_report(world, [(pdf, "scan.pdf", "application/pdf"), (b"notes", "a.txt", "text/plain")])
    post_report(world, [(b"one more", "b.txt", "text/plain")])
    after = files_under(folder)

    with world.app.app_context():
        session = db.session()
        ids = set(session.scalars(select(Attachment.id)))
        chunked = set(session.scalars(select(BlobChunk.blob_id).distinct()))
        pending = session.scalar(select(func.count()).select_from(PendingBlob))
    assert len(ids) >= 3 and ids <= chunked and pending == 0
    # No new file: nothing named after an attachment, nothing per upload. What changed is
    # the database's own files (SQLite and its WAL), written for every case alike.
    new = set(after) - set(before)
    assert new <= {"hotline.db-wal", "hotline.db-shm"}, new
    assert not [name for name in after for blob_id in ids if blob_id in name]
    assert not (instance / "blobs").exists() or not any((instance / "blobs").iterdir())
