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
from crypto.attachments import (
    check_file,
    describe_file,
    is_padded_size,
    open_file_key,
    read_file,
    seal_file_key,
)
from crypto.errors import CryptoError, DecryptionError
from hotline.blobs.store import BlobMissing, BlobStore
from hotline.blobs.streams import UploadedFile
from hotline.models import Attachment, Author
from hotline.services.errors import InvalidInput, UnreadableFile

# Every description is sealed into one 1 KiB padding bucket (nonce, tag, bucket): its length
# says nothing of the file's name.
META_BYTES = 24 + 16 + 1024
META_MIN_BYTES = META_MAX_BYTES = META_BYTES
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
    # False when the sealed description does not open (or is not a description): the views
    # show a plain "file" entry for it instead of failing the whole case (as for a message).
    readable: bool = True


def seal_uploads(
    case_key: bytes, case_id: str, uploads: Sequence[UploadedFile]
) -> list[SealedFile]:
    """The server-sealed half: seal each upload's file key and description in memory, both
    bound to the case."""
    sealed = []
    for upload in uploads:
        if upload.file_key is None:
            raise ValueError("server-sealed upload without its file key")
        meta = describe_file(
            upload.filename, upload.content_type, upload.plain_bytes, upload.metadata_stripped
        )
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
        if len(item.sealed_meta) != META_BYTES:
            raise InvalidInput("sealed file description has the wrong size", field="attachments")
        if not is_padded_size(item.upload.stored_bytes):
            # Only a padded file's ciphertext has one of the bucket sizes; anything else
            # would tell its exact size to whoever reads the database.
            raise InvalidInput(
                "a file was not padded before it was encrypted; please reload the page and "
                "attach it again",
                field="attachments",
            )
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
    """The file's description; a placeholder (`readable=False`, named "file") when it does
    not open against this case or does not hold a name, type and size: whoever sealed it (a
    reporter's browser) or moved the row (a database writer) cannot break the whole case."""
    try:
        meta: dict[str, Any] = sealing.open_attachment_meta(
            case_key, attachment.sealed_meta, attachment.case_id
        )
        name, content_type, size = meta.get("name"), meta.get("type"), meta.get("size")
        if (
            not isinstance(name, str)
            or not isinstance(content_type, str)
            or isinstance(size, bool)
            or not isinstance(size, int)
            or size < 0
        ):
            raise DecryptionError("not a file description")
    except CryptoError:
        return AttachmentView(
            attachment.id, attachment.author.value, attachment.added_on, "file", "", 0, False,
            readable=False,
        )
    return AttachmentView(
        attachment.id,
        attachment.author.value,
        attachment.added_on,
        name or "file",
        content_type,
        size,
        bool(meta.get("metadata_stripped")),
    )


@dataclass(frozen=True)
class PlainFile:
    """A stored file that was checked whole: its length, and its bytes to stream."""

    length: int
    chunks: Iterator[bytes]


def open_plaintext(blobs: BlobStore, case_key: bytes, attachment: Attachment) -> PlainFile:
    """Check the whole stored file first (every block, the FINAL tag, the padding), keeping
    no plaintext, then hand out a second, streaming pass: nothing of a truncated or altered
    file is ever sent, and nothing is written to disk. Raises UnreadableFile."""
    try:
        file_key = open_file_key(case_key, attachment.sealed_file_key, attachment.case_id)
        checked = check_file(file_key, blobs.chunks(attachment.id))
    except DecryptionError as exc:
        raise UnreadableFile() from exc
    return PlainFile(checked.length, read_file(file_key, blobs.chunks(attachment.id), checked))


def ciphertext_chunks(blobs: BlobStore, attachment: Attachment) -> Iterator[bytes]:
    return blobs.chunks(attachment.id)
