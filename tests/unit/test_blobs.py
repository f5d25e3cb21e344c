"""The blob store's edges: moving the old per-attachment files into the database (and
shredding them), and sniffing images by content."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, insert

from hotline.blobs import legacy
from hotline.blobs.images import sniff_image
from hotline.blobs.store import CHUNK_BYTES, BlobStore
from hotline.models import Attachment, Base


def test_old_blob_files_move_into_the_database_and_are_shredded(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    store = BlobStore(engine)
    owned, orphan = store.new_id(), store.new_id()
    with engine.begin() as conn:
        conn.execute(
            insert(Attachment).values(
                id=owned,
                case_id="HL-TESTTESTTE",
                author="reporter",
                sealed_file_key=b"k",
                sealed_meta=b"m",
                stored_bytes=1,
                added_on=date(2026, 1, 1),
            )
        )
    folder = tmp_path / "blobs"
    folder.mkdir()
    ciphertext = os.urandom(2 * CHUNK_BYTES + 123)
    (folder / f"{owned}.bin").write_bytes(ciphertext)
    (folder / f"{orphan}.bin").write_bytes(b"orphan")
    (folder / f"{orphan}.part").write_bytes(b"partial")

    assert legacy.import_files(engine, folder) == 1
    assert b"".join(store.chunks(owned)) == ciphertext
    assert list(store.chunks(orphan)) == []
    assert not folder.exists()
    assert legacy.import_files(engine, folder) == 0  # safe to run again
    engine.dispose()


def test_shred_overwrites_before_unlinking(tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    target.write_bytes(b"ciphertext" * 10_000)
    witness = tmp_path / "witness"
    os.link(target, witness)  # a second name for the same inode shows what was left on disk
    assert legacy.shred(target) is True
    assert not target.exists()
    assert witness.read_bytes() == bytes(100_000)
    assert legacy.shred(target) is False


def test_sniff_image() -> None:
    assert sniff_image(b"\xff\xd8\xff\xe0\x00\x10JF") == "image/jpeg"
    assert sniff_image(b"\x89PNG\r\n\x1a\n") == "image/png"
    assert sniff_image(b"%PDF-1.7") is None
