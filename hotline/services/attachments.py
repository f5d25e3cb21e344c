"""Attachments on a case: sealing their keys and descriptions, reading them back.

An upload's ciphertext is already in the blob store (unclaimed) when the case or message
is stored; the attachment row claims it in that same transaction, so a failure leaves an
unclaimed blob (discarded, or swept later) but never a row whose ciphertext is missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from crypto import sealing
from crypto.attachments import decrypt_stream, open_file_key, seal_file_key
from hotline.blobs.store import BlobMissing, BlobStore
from hotline.blobs.streams import UploadedFile
from hotline.models import Attachment, Author
from hotline.services.errors import InvalidInput

META_MAX_BYTES = 4096
META_MIN_BYTES = 24 + 16 + 1024  # nonce, tag, smallest padding bucket
SEALED_FILE_KEY_BYTES = 24 + 16 + 32


@dataclass(frozen=True)
class SealedFile:
    """A finished upload with its file key and description sealed under the case key."""

    upload: UploadedFile
    sealed_file_key: bytes
    sealed_meta: bytes


@dataclass(frozen=True)
class AttachmentView:
    attachment_id: str
    author: str
    added_on: date
    name: str
    content_type: str
    size: int
    metadata_stripped: bool


def seal_uploads(
    case_key: bytes, case_id: str, uploads: Sequence[UploadedFile]
) -> list[SealedFile]:
    """The server-sealed half: seal each upload's file key and description in memory, both
    bound to the case."""
    sealed = []
    for upload in uploads:
        if upload.file_key is None:
            raise ValueError("server-sealed upload without its file key")
        meta = {
            "name": upload.filename,
            "type": upload.content_type,
            "size": upload.plain_bytes,
            "metadata_stripped": upload.metadata_stripped,
        }
        sealed.append(
            SealedFile(
                upload,
                seal_file_key(case_key, upload.file_key, case_id),
                sealing.seal_attachment_meta(case_key, meta, case_id),
            )
        )
    return sealed


def store(
    session: Session,
    blobs: BlobStore | None,
    case_id: str,
    files: Sequence[SealedFile],
    author: Author,
    today: date,
) -> None:
    """Commit each file's blob and add its row, whichever side sealed it."""
    if not files:
        return
    if blobs is None:
        raise ValueError("attachments need a blob store")
    # Check every file before committing any, so a refusal leaves no blob behind.
    for item in files:
        if len(item.sealed_file_key) != SEALED_FILE_KEY_BYTES:
            raise InvalidInput("sealed file key has the wrong size", field="attachments")
        if not META_MIN_BYTES <= len(item.sealed_meta) <= META_MAX_BYTES:
            raise InvalidInput("sealed file description has the wrong size", field="attachments")
    for item in files:
        try:
            blobs.claim(session, item.upload.blob_id)
        except BlobMissing as exc:
            raise InvalidInput(
                "a file did not arrive whole; please attach it again", field="attachments"
            ) from exc
        session.add(
            Attachment(
                id=item.upload.blob_id,
                case_id=case_id,
                author=author,
                sealed_file_key=item.sealed_file_key,
                sealed_meta=item.sealed_meta,
                stored_bytes=item.upload.stored_bytes,
                added_on=today,
            )
        )


def describe(case_key: bytes, attachment: Attachment) -> AttachmentView:
    meta: dict[str, Any] = sealing.open_attachment_meta(
        case_key, attachment.sealed_meta, attachment.case_id
    )
    return AttachmentView(
        attachment.id,
        attachment.author.value,
        attachment.added_on,
        str(meta.get("name") or "file"),
        str(meta.get("type") or ""),
        int(meta.get("size") or 0),
        bool(meta.get("metadata_stripped")),
    )


def plaintext_chunks(blobs: BlobStore, case_key: bytes, attachment: Attachment) -> Iterator[bytes]:
    """Decrypt a file chunk by chunk straight into the response: never to disk."""
    file_key = open_file_key(case_key, attachment.sealed_file_key, attachment.case_id)
    return decrypt_stream(file_key, blobs.chunks(attachment.id))


def ciphertext_chunks(blobs: BlobStore, attachment: Attachment) -> Iterator[bytes]:
    return blobs.chunks(attachment.id)
