"""The signed handler key directory and the signing requests that feed it.

Entries are appended only after the organisation root has signed them (offline with
`flask keys sign`, then `flask keys import`, or online when the install allows it). The
sequence is the primary key, so two writers cannot both append entry n. The rows are not
trusted: every encryptor re-verifies the chain against the root public key from
configuration (crypto/key_directory.py); `entry_hash` is kept only to serve the head.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class KeyEntry(Base):
    __tablename__ = "key_entries"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    handler_id: Mapped[int] = mapped_column(ForeignKey("handlers.id"), index=True)
    desk: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    x25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    mlkem_public: Mapped[bytes] = mapped_column(LargeBinary(1184))
    valid_from: Mapped[date] = mapped_column(Date)
    previous_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(3373))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Whether the desk's other handlers were sent the content-free key-change notice.
    notified: Mapped[bool] = mapped_column(Boolean, default=False)


class KeySigningRequest(Base):
    """A change waiting for the root: a new handler, new keys, or a deactivation."""

    __tablename__ = "key_signing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    handler_id: Mapped[int] = mapped_column(ForeignKey("handlers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "new", "rotate", "deactivate"
    desk: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # what the entry will say
    x25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    mlkem_public: Mapped[bytes] = mapped_column(LargeBinary(1184))
    requested_on: Mapped[date] = mapped_column(Date)
    # Set when the signed entry is imported; pending while None.
    signed_sequence: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
