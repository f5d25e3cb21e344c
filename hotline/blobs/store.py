"""Attachment ciphertext in the database, written and read in chunks so memory stays bounded.

An upload is streamed in while the form is parsed, before the case exists: each chunk is
committed on its own connection, and a `pending_blobs` row marks the blob as unclaimed.
The attachment row claims it (deletes that mark) in the transaction that stores the case or
message, so a refused or failed request leaves only an unclaimed blob, which the request's
teardown discards and the daily sweep removes if a crash got in the way. No file is written,
so no file time tells when an attachment arrived. Only ciphertext is ever stored here.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from hotline.models import Attachment, BlobChunk, PendingBlob
from hotline.services.dates import today

CHUNK_BYTES = 256 * 1024
# An upload still unclaimed after this many days was abandoned (a crash mid-request).
ORPHAN_DAYS = 2


class BlobMissing(LookupError):
    """The blob was discarded or never finished: nothing to attach."""


class BlobWriter:
    """Buffers at most one chunk in memory; every full chunk is committed at once."""

    def __init__(self, engine: Engine, blob_id: str) -> None:
        self._engine = engine
        self.blob_id = blob_id
        self._buffer = bytearray()
        self._seq = 0
        self.written = 0
        with engine.begin() as conn:
            conn.execute(insert(PendingBlob).values(blob_id=blob_id, started_on=today()))

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= CHUNK_BYTES:
            self._put(bytes(self._buffer[:CHUNK_BYTES]))
            del self._buffer[:CHUNK_BYTES]

    def close(self) -> None:
        if self._buffer:
            self._put(bytes(self._buffer))
            self._buffer = bytearray()

    def _put(self, chunk: bytes) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(BlobChunk).values(blob_id=self.blob_id, seq=self._seq, data=chunk))
        self._seq += 1
        self.written += len(chunk)


class BlobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def writer(self, blob_id: str) -> BlobWriter:
        return BlobWriter(self.engine, blob_id)

    def claim(self, session: Session, blob_id: str) -> None:
        """Mark the blob as owned by an attachment, in the caller's transaction."""
        claimed = session.execute(
            delete(PendingBlob)
            .where(PendingBlob.blob_id == blob_id)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise BlobMissing(blob_id)

    def discard(self, blob_id: str) -> None:
        """Remove an unclaimed blob (refused upload, request over); a claimed one stays."""
        with self.engine.begin() as conn:
            unclaimed = conn.execute(
                delete(PendingBlob).where(PendingBlob.blob_id == blob_id)
            ).rowcount
            if unclaimed:
                conn.execute(delete(BlobChunk).where(BlobChunk.blob_id == blob_id))

    def delete(self, session: Session, blob_ids: Iterable[str]) -> None:
        """Delete claimed blobs in the caller's transaction (a purge)."""
        ids = list(blob_ids)
        for start in range(0, len(ids), 500):
            session.execute(
                delete(BlobChunk)
                .where(BlobChunk.blob_id.in_(ids[start : start + 500]))
                .execution_options(synchronize_session=False)
            )

    def chunks(self, blob_id: str) -> Iterator[bytes]:
        """The ciphertext, one chunk per query: never the whole blob in memory."""
        seq = 0
        while True:
            with self.engine.connect() as conn:
                data = conn.scalar(
                    select(BlobChunk.data).where(BlobChunk.blob_id == blob_id, BlobChunk.seq == seq)
                )
            if data is None:
                return
            yield bytes(data)
            seq += 1

    def size(self, blob_id: str) -> int:
        with self.engine.connect() as conn:
            total = conn.scalar(
                select(func.coalesce(func.sum(func.length(BlobChunk.data)), 0)).where(
                    BlobChunk.blob_id == blob_id
                )
            )
        return int(total or 0)

    def sweep(self, session: Session, day: date, dry_run: bool) -> int:
        """Remove abandoned uploads and any chunk no attachment or pending upload owns."""
        stale = list(
            session.scalars(
                select(PendingBlob.blob_id).where(
                    PendingBlob.started_on <= day - timedelta(days=ORPHAN_DAYS)
                )
            )
        )
        stray = list(
            session.scalars(
                select(BlobChunk.blob_id)
                .where(
                    BlobChunk.blob_id.not_in(select(Attachment.id)),
                    BlobChunk.blob_id.not_in(select(PendingBlob.blob_id)),
                )
                .distinct()
            )
        )
        found = sorted(set(stale) | set(stray))
        if dry_run or not found:
            session.rollback()
            return len(found)
        for start in range(0, len(found), 500):
            part = found[start : start + 500]
            session.execute(delete(PendingBlob).where(PendingBlob.blob_id.in_(part)))
            session.execute(delete(BlobChunk).where(BlobChunk.blob_id.in_(part)))
        session.commit()
        return len(found)
