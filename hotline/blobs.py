"""Ciphertext files on disk, and the upload streams that fill them.

Only ciphertext is ever written here. Uploads from the browser are already encrypted and
are written as they arrive; uploads from the no-JavaScript form are encrypted chunk by chunk
with secretstream as they arrive (images excepted: they are held in memory, up to the size
limit, so Pillow can strip their metadata before they are encrypted).
"""

from __future__ import annotations

import io
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings as sodium
from PIL import Image, ImageOps
from werkzeug.exceptions import RequestEntityTooLarge

from crypto.attachments import CHUNK_BYTES, encrypt_stream, new_file_key

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
Image.MAX_IMAGE_PIXELS = 40_000_000


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


class UnreadableImage(ValueError):
    pass


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


class _UploadBase(io.RawIOBase):
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
        self.error: str | None = None
        self._out = open(store.part_path(self.blob_id), "wb")  # noqa: SIM115

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
            raise RequestEntityTooLarge()
        self._accept(bytes(data))
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0 and self.finished is None and self.error is None:
            try:
                self._finish()
            except UnreadableImage as exc:
                self.error = str(exc)
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
        if not self._out.closed:
            self._out.close()
        self.store.discard(self.blob_id)

    def _accept(self, data: bytes) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _result(self) -> UploadedFile:
        raise NotImplementedError


class CiphertextUpload(_UploadBase):
    """A file the browser already encrypted: written as it arrives."""

    def _accept(self, data: bytes) -> None:
        self._out.write(data)

    def _finish(self) -> None:
        self._out.flush()

    def _result(self) -> UploadedFile:
        return UploadedFile(self.blob_id, self.received, self.received, None, "", "", False)


class EncryptingUpload(_UploadBase):
    """A plaintext file from the no-JavaScript form: encrypted before any byte is written."""

    def __init__(self, store: BlobStore, max_bytes: int, content_type: str, filename: str) -> None:
        super().__init__(store, max_bytes, content_type, filename)
        self.file_key = new_file_key()
        # Decided from the file's first bytes, never from the type the browser declared: a
        # JPEG labelled application/octet-stream must lose its GPS data all the same.
        self.image_type: str | None = None
        self._decided = False
        self._buffer = bytearray()
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self._stripped = False
        self._plain_bytes = 0
        self._stored = 0

    @property
    def is_image(self) -> bool:
        return self.image_type is not None

    def _decide(self) -> None:
        self._decided = True
        self.image_type = sniff_image(bytes(self._buffer[:8]))
        if self.image_type is not None:
            self.content_type = self.image_type
        else:
            self._emit(
                sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, self.file_key)
            )

    def _emit(self, block: bytes) -> None:
        self._out.write(block)
        self._stored += len(block)

    def _accept(self, data: bytes) -> None:
        self._buffer += data
        if not self._decided and len(self._buffer) >= 8:
            self._decide()
        if not self._decided or self.is_image:
            return
        while len(self._buffer) > CHUNK_BYTES:
            chunk = bytes(self._buffer[:CHUNK_BYTES])
            del self._buffer[:CHUNK_BYTES]
            self._plain_bytes += len(chunk)
            self._emit(
                sodium.crypto_secretstream_xchacha20poly1305_push(
                    self._state,
                    chunk,
                    None,
                    sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
                )
            )

    def _finish(self) -> None:
        if not self._decided:
            self._decide()
        if self.is_image:
            cleaned = strip_image_metadata(bytes(self._buffer), self.content_type)
            self._stripped = True
            self._buffer = bytearray()
            self._plain_bytes = len(cleaned)
            for block in encrypt_stream(self.file_key, [cleaned]):
                self._emit(block)
        else:
            last = bytes(self._buffer)
            self._buffer = bytearray()
            self._plain_bytes += len(last)
            self._emit(
                sodium.crypto_secretstream_xchacha20poly1305_push(
                    self._state, last, None, sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
                )
            )
        self._out.flush()

    def _result(self) -> UploadedFile:
        return UploadedFile(
            self.blob_id,
            self._stored,
            self._plain_bytes,
            self.file_key,
            self.content_type,
            self.filename,
            self._stripped,
        )


def sniff_image(head: bytes) -> str | None:
    """The image type by magic number, for the formats we re-encode."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def strip_image_metadata(data: bytes, content_type: str) -> bytes:
    """Re-encode the pixels only: EXIF (GPS, camera serials), XMP and comments are dropped."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = ImageOps.exif_transpose(opened)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            # A fresh image from raw pixels carries no EXIF, XMP, ICC text or comments.
            pixels = Image.frombytes(image.mode, image.size, image.tobytes())
            out = io.BytesIO()
            fmt = IMAGE_TYPES[content_type]
            if fmt == "JPEG":
                pixels = pixels.convert("RGB")
                pixels.save(out, format="JPEG", quality=90)
            else:
                pixels.save(out, format="PNG")
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableImage("the image could not be read") from exc
