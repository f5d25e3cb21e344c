"""Attachment ciphertext, kept in the database in chunks rather than in files.

A file on disk carries times the filesystem sets (ctime cannot be reset), so a file per
attachment would tell when each one arrived. Rows carry no times. On SQLite the tables have
no rowid: rows sit in key order, and the keys are random, so even their order says nothing
of arrival.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class BlobChunk(Base):
    """One piece of a blob's ciphertext, in order (`seq` from 0); never plaintext."""

    __tablename__ = "blob_chunks"
    __table_args__ = ({"sqlite_with_rowid": False},)

    blob_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PendingBlob(Base):
    """An upload no attachment row has claimed yet. Claiming deletes this row in the same
    transaction that adds the attachment; unclaimed blobs are swept after a day or two."""

    __tablename__ = "pending_blobs"
    __table_args__ = ({"sqlite_with_rowid": False},)

    blob_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Day-granular, and gone once the upload is claimed: only for sweeping abandoned uploads.
    started_on: Mapped[date] = mapped_column(Date, index=True)
