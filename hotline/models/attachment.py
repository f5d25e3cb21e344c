"""An encrypted file on a case. Its ciphertext lives in `blob_chunks` under the same id; its
key and its name/type/size are sealed under the case key (the description always in one 1 KiB
bucket), so the server knows only the stored size, which is the padded file's: it tells the
size bucket, not the size (`crypto.attachments.bucket_size`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base
from hotline.models.message import Author


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[Author] = mapped_column(
        Enum(Author, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    sealed_file_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_meta: Mapped[bytes] = mapped_column(LargeBinary)
    stored_bytes: Mapped[int] = mapped_column(Integer)
    added_on: Mapped[date] = mapped_column(Date)
