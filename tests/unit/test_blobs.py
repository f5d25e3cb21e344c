"""Blob files keep only the day in their timestamps, and images are sniffed by content."""

from __future__ import annotations

import os
from pathlib import Path

from hotline.blobs.images import sniff_image
from hotline.blobs.store import BlobStore


def test_committed_blob_times_are_day_granular(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    blob_id = store.new_id()
    store.part_path(blob_id).write_bytes(b"ciphertext")
    store.commit(blob_id)
    stat = os.stat(store.path(blob_id))
    assert stat.st_mtime % 86_400 == 0 and stat.st_atime % 86_400 == 0
    assert not store.part_path(blob_id).exists()


def test_sniff_image() -> None:
    assert sniff_image(b"\xff\xd8\xff\xe0\x00\x10JF") == "image/jpeg"
    assert sniff_image(b"\x89PNG\r\n\x1a\n") == "image/png"
    assert sniff_image(b"%PDF-1.7") is None
