"""Ciphertext files on disk, one per attachment. Only ciphertext is ever written here."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def part_path(self, blob_id: str) -> Path:
        return self.root / f"{blob_id}.part"

    def path(self, blob_id: str) -> Path:
        if not blob_id.isalnum():
            raise ValueError("bad blob id")
        return self.root / f"{blob_id}.bin"

    def commit(self, blob_id: str) -> None:
        part = self.part_path(blob_id)
        if not part.exists() and self.path(blob_id).exists():
            return  # committed by an earlier attempt of the same transaction
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        # The file's times would tell when a report came in, to the second: keep the day only.
        midnight = int(time.time()) // 86_400 * 86_400
        os.utime(part, (midnight, midnight))
        os.replace(part, self.path(blob_id))

    def discard(self, blob_id: str) -> None:
        for path in (self.part_path(blob_id), self.path(blob_id)):
            path.unlink(missing_ok=True)

    def size(self, blob_id: str) -> int:
        return self.path(blob_id).stat().st_size
