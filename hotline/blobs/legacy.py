"""Moving ciphertext files of the old one-file-per-attachment store into the database.

Releases before the database store kept each attachment as `<id>.bin` in the instance's
`blobs` folder; a file's ctime told when it arrived. `flask db upgrade` calls `import_files`
after the schema migration: each file that belongs to an attachment is copied into
`blob_chunks` chunk by chunk, then overwritten with zeros and unlinked, and so are partial
and orphan files. The folder is removed when empty. Safe to run again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy import Engine, func, insert, select

from hotline.blobs.store import CHUNK_BYTES
from hotline.models import Attachment, BlobChunk

_ZEROS = bytes(1024 * 1024)


def import_files(engine: Engine, root: Path) -> int:
    """Copy every attachment's file into the database and shred the folder; return the count."""
    if not root.is_dir():
        return 0
    moved = 0
    for path in sorted(root.iterdir()):
        if path.is_file() and path.suffix == ".bin" and path.stem.isalnum():
            moved += _copy(engine, path)
        if path.is_file():
            shred(path)
    with contextlib.suppress(OSError):  # something else lives there: leave it
        root.rmdir()
    return moved


def _copy(engine: Engine, path: Path) -> int:
    blob_id = path.stem
    with engine.begin() as conn:
        owned = conn.scalar(select(func.count()).where(Attachment.id == blob_id))
        present = conn.scalar(select(func.count()).where(BlobChunk.blob_id == blob_id))
        if not owned or present:
            return 0
        with open(path, "rb") as handle:
            seq = 0
            while chunk := handle.read(CHUNK_BYTES):
                conn.execute(insert(BlobChunk).values(blob_id=blob_id, seq=seq, data=chunk))
                seq += 1
    return 1


def shred(path: Path) -> bool:
    """Overwrite a file with zeros, sync it to disk, unlink it. False if it was not there."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        remaining = os.fstat(fd).st_size
        while remaining > 0:
            remaining -= os.write(fd, _ZEROS[: min(remaining, len(_ZEROS))])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)
    return True
