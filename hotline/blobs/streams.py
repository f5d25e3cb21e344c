"""The upload streams werkzeug fills with file parts: only ciphertext reaches the store.

Uploads from the browser are already padded and encrypted and are written as they arrive;
uploads from the no-JavaScript form are padded and encrypted chunk by chunk with secretstream
as they arrive (images excepted: they are held in memory, up to the size limit, so their
metadata can be stripped before they are encrypted).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from crypto.attachments import FileEncryptor, new_file_key
from hotline.blobs.images import ImageCleaner, sniff_image
from hotline.blobs.store import BlobStore
from hotline.services.errors import FileTooLarge, ServiceError


@dataclass
class UploadedFile:
    """What intake needs of a finished upload (server-sealed uploads carry their file key)."""

    blob_id: str
    stored_bytes: int
    plain_bytes: int
    file_key: bytes | None
    content_type: str
    filename: str
    metadata_stripped: bool


class UploadStream(io.RawIOBase):
    """Writable stream werkzeug fills with one file part; seek(0) marks the end of the part."""

    def __init__(self, store: BlobStore, max_bytes: int, content_type: str, filename: str) -> None:
        super().__init__()
        self.store = store
        self.max_bytes = max_bytes
        self.blob_id = store.new_id()
        self.content_type = content_type
        self.filename = filename
        self.received = 0
        self.finished: UploadedFile | None = None
        self.error: ServiceError | None = None
        self._out = store.writer(self.blob_id)

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.received += len(data)
        if self.received > self.max_bytes:
            self.abort()
            raise FileTooLarge(self.max_bytes)
        self._accept(bytes(data))
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0 and self.finished is None and self.error is None:
            try:
                self._finish()
            except ServiceError as exc:  # an image refused or unreadable: the view says which
                self.error = exc
                self.abort()
                return 0
            self._out.close()
            self.finished = self._result()
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int | None = -1) -> bytes:
        return b""

    def abort(self) -> None:
        self.store.discard(self.blob_id)

    def _accept(self, data: bytes) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _result(self) -> UploadedFile:
        raise NotImplementedError


class CiphertextUpload(UploadStream):
    """A file the browser already encrypted (and padded): written as it arrives."""

    def _accept(self, data: bytes) -> None:
        self._out.write(data)

    def _finish(self) -> None:
        pass

    def _result(self) -> UploadedFile:
        return UploadedFile(self.blob_id, self.received, self.received, None, "", "", False)


class EncryptingUpload(UploadStream):
    """A plaintext file from the no-JavaScript form: padded and encrypted before any byte is
    written (`crypto.attachments.FileEncryptor`; the length goes in the last block)."""

    def __init__(
        self,
        store: BlobStore,
        max_bytes: int,
        content_type: str,
        filename: str,
        cleaner: ImageCleaner,
    ) -> None:
        super().__init__(store, max_bytes, content_type, filename)
        self.cleaner = cleaner
        self.file_key = new_file_key()
        # Decided from the file's first bytes, never from the type the browser declared: a
        # JPEG labelled application/octet-stream must lose its GPS data all the same.
        self.image_type: str | None = None
        self._decided = False
        self._buffer = bytearray()
        self._encryptor = FileEncryptor(self.file_key)
        self._stripped = False
        self._stored = 0

    @property
    def is_image(self) -> bool:
        return self.image_type is not None

    def _decide(self) -> None:
        self._decided = True
        self.image_type = sniff_image(bytes(self._buffer[:8]))
        if self.image_type is not None:
            self.content_type = self.image_type

    def _emit(self, blocks: list[bytes]) -> None:
        for block in blocks:
            self._out.write(block)
            self._stored += len(block)

    def _accept(self, data: bytes) -> None:
        self._buffer += data
        if not self._decided and len(self._buffer) >= 8:
            self._decide()
        if not self._decided or self.is_image:
            return
        # Other files go straight through: the encryptor holds at most one block.
        self._emit(self._encryptor.update(bytes(self._buffer)))
        self._buffer = bytearray()

    def _finish(self) -> None:
        if not self._decided:
            self._decide()
        if self.is_image:
            cleaned = self.cleaner.strip(bytes(self._buffer), self.content_type)
            self._stripped = True
            self._buffer = bytearray()
            self._emit(self._encryptor.update(cleaned))
        else:
            self._emit(self._encryptor.update(bytes(self._buffer)))
            self._buffer = bytearray()
        self._emit(self._encryptor.finish())

    def _result(self) -> UploadedFile:
        return UploadedFile(
            self.blob_id,
            self._stored,
            self._encryptor.plain_bytes,
            self.file_key,
            self.content_type,
            self.filename,
            self._stripped,
        )
