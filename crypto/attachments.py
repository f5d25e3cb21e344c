"""Attachments: each file under its own key with libsodium's secretstream, streamed in chunks.

The file key is sealed under the case key and bound to the case's id, so whoever holds the
case key can read the file, and the stream never needs the whole file in memory.

Files are padded before they are encrypted, so the stored ciphertext tells only a size
bucket (`bucket_size`): 64 KiB for anything up to 64 KiB, then four buckets per doubling
(4, 5, 6 and 7 times a quarter of the power of two below), so a bucket is at most 25 % larger
than the file in it. The padded plaintext is the file, zero bytes up to its bucket, and the
file's length as an 8-byte big-endian trailer; it is cut into 64 KiB blocks, the first
tagged PUSH (which marks a padded file: unpadded files of earlier releases begin with a
MESSAGE or FINAL block), the last FINAL. The length is in the last block, which is why a
reader first checks the whole stream (`check_file`) and only then reads it (`read_file`).

`encrypt_stream` / `decrypt_stream` are the bare, unpadded stream (backups use it).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import nacl.bindings as sodium

from crypto.errors import DecryptionError
from crypto.primitives import KEY_BYTES, open_sealed, random_bytes, seal
from crypto.sealing import FILE_KEY, case_context

CHUNK_BYTES = 64 * 1024
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_PUSH = sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL

MIN_BUCKET = 64 * 1024
TRAILER_BYTES = 8
# A file's description (name, type, size) is sealed as one document padded to 1 KiB
# (crypto/padding.py: 4-byte length + 1020 bytes), so its ciphertext length is always the same.
DESCRIPTION_MAX_BYTES = 1024 - 4
NAME_MAX_CHARS = 200
TYPE_MAX_CHARS = 100


def new_file_key() -> bytes:
    return random_bytes(KEY_BYTES)


def seal_file_key(case_key: bytes, file_key: bytes, case_id: str) -> bytes:
    """The file key under the case key, bound to its case (a moved row does not open)."""
    return seal(case_key, file_key, FILE_KEY, *case_context(case_id))


def open_file_key(case_key: bytes, sealed: bytes, case_id: str) -> bytes:
    return open_sealed(case_key, sealed, FILE_KEY, *case_context(case_id))


# --- padding ---------------------------------------------------------------------------


def bucket_size(length: int) -> int:
    """The padded size of a file of `length` bytes (the trailer comes on top)."""
    if length < 0:
        raise ValueError("a length is not negative")
    if length <= MIN_BUCKET:
        return MIN_BUCKET
    step = 1 << (length.bit_length() - 3)  # a quarter of the power of two at or below length
    return -(-length // step) * step


def stream_size(plain_bytes: int) -> int:
    """Ciphertext bytes of the bare stream over `plain_bytes`: header, one block per full
    64 KiB, and the FINAL block with the remainder (possibly empty)."""
    return HEADER_BYTES + plain_bytes + (plain_bytes // CHUNK_BYTES + 1) * ABYTES


def encrypted_size(length: int) -> int:
    """Stored ciphertext bytes of a padded file of `length` bytes: a function of its bucket."""
    return stream_size(bucket_size(length) + TRAILER_BYTES)


def encrypted_sizes(most: int) -> list[int]:
    """Every stored size a padded file of at most `most` bytes can have, smallest first."""
    sizes = []
    bucket = MIN_BUCKET
    while True:
        sizes.append(stream_size(bucket + TRAILER_BYTES))
        if bucket >= most:
            return sizes
        bucket = bucket_size(bucket + 1)


def describe_file(
    name: str, content_type: str, size: int, metadata_stripped: bool
) -> dict[str, Any]:
    """A file's description, its name shortened until the document fits one padding bucket
    (so the sealed description has the same length for every file)."""
    document: dict[str, Any] = {
        "name": name[:NAME_MAX_CHARS],
        "type": content_type[:TYPE_MAX_CHARS],
        "size": size,
        "metadata_stripped": metadata_stripped,
    }
    while len(_serialised(document)) > DESCRIPTION_MAX_BYTES and document["name"]:
        document["name"] = document["name"][:-1]
    if len(_serialised(document)) > DESCRIPTION_MAX_BYTES:
        raise ValueError("file description does not fit")
    return document


def _serialised(document: dict[str, Any]) -> bytes:
    # As crypto.sealing.seal_document writes it.
    return json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


# --- encryption ------------------------------------------------------------------------


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    yield bytes(buffer)


def encrypt_stream(file_key: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the header, then one encrypted block per 64 KiB of input; the last is FINAL."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    yield sodium.crypto_secretstream_xchacha20poly1305_init_push(state, file_key)
    pending: bytes | None = None
    for block in _rechunk(chunks, CHUNK_BYTES):
        if pending is not None:
            yield sodium.crypto_secretstream_xchacha20poly1305_push(
                state, pending, None, _TAG_MESSAGE
            )
        pending = block
    yield sodium.crypto_secretstream_xchacha20poly1305_push(state, pending or b"", None, _TAG_FINAL)


class FileEncryptor:
    """Encrypts a padded file as it arrives, without knowing its length in advance: the
    length goes into the trailer, in the last block. Holds at most 64 KiB of plaintext."""

    def __init__(self, file_key: bytes) -> None:
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self._header: bytes | None = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, file_key
        )
        self._buffer = bytearray()
        self._blocks = 0
        self.plain_bytes = 0
        self._done = False

    def update(self, data: bytes) -> list[bytes]:
        """Add file bytes; return the ciphertext ready so far (the header comes first)."""
        if self._done:
            raise ValueError("the file is already finished")
        self.plain_bytes += len(data)
        self._buffer += data
        return self._full_blocks()

    def finish(self) -> list[bytes]:
        """Pad to the bucket, add the trailer, and return the rest, ending with FINAL."""
        if self._done:
            raise ValueError("the file is already finished")
        self._done = True
        out: list[bytes] = []
        zeros = bucket_size(self.plain_bytes) - self.plain_bytes
        while zeros:
            piece = min(zeros, CHUNK_BYTES)
            self._buffer += bytes(piece)
            zeros -= piece
            out += self._full_blocks()
        self._buffer += self.plain_bytes.to_bytes(TRAILER_BYTES, "big")
        out += self._full_blocks()
        # A bucket is a multiple of 16 KiB, so the last block is never empty nor the first.
        out.append(self._push(bytes(self._buffer), _TAG_FINAL))
        self._buffer = bytearray()
        return out

    def _full_blocks(self) -> list[bytes]:
        out = []
        if self._header is not None:
            out.append(self._header)
            self._header = None
        while len(self._buffer) >= CHUNK_BYTES:
            out.append(self._push(bytes(self._buffer[:CHUNK_BYTES]), None))
            del self._buffer[:CHUNK_BYTES]
        return out

    def _push(self, block: bytes, tag: int | None) -> bytes:
        if tag is None:
            tag = _TAG_PUSH if self._blocks == 0 else _TAG_MESSAGE
        self._blocks += 1
        return sodium.crypto_secretstream_xchacha20poly1305_push(self._state, block, None, tag)


def encrypt_file(file_key: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The padded file's ciphertext, piece by piece."""
    encryptor = FileEncryptor(file_key)
    for chunk in chunks:
        yield from encryptor.update(chunk)
    yield from encryptor.finish()


# --- decryption ------------------------------------------------------------------------


def _blocks(file_key: bytes, chunks: Iterable[bytes]) -> Iterator[tuple[bytes, int]]:
    """(plaintext, tag) of each block; raise if the stream is cut short, reordered, altered
    or goes on after its FINAL block."""
    pieces = _rechunk(chunks, CHUNK_BYTES + ABYTES)
    first = next(pieces, b"")
    if len(first) < HEADER_BYTES:
        raise DecryptionError("file too short")
    header, rest = first[:HEADER_BYTES], first[HEADER_BYTES:]
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, file_key)
    except Exception as exc:
        raise DecryptionError("file header invalid") from exc
    finished = False
    for block in _rechunk(itertools.chain([rest], pieces), CHUNK_BYTES + ABYTES):
        if not block:
            continue
        if finished:
            raise DecryptionError("data after the end of the file")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, block, None)
        except Exception as exc:
            raise DecryptionError("file block did not open") from exc
        finished = tag == _TAG_FINAL
        yield plain, tag
    if not finished:
        raise DecryptionError("file is truncated")


def decrypt_stream(file_key: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the bare stream's plaintext blocks; raise if it is cut short or altered."""
    for plain, _tag in _blocks(file_key, chunks):
        yield plain


@dataclass(frozen=True)
class CheckedFile:
    """What a full check of a stored file found: every block opened, FINAL reached."""

    length: int  # the file's own bytes
    padded: bool  # False for a file stored unpadded by an earlier release
    stream_bytes: int  # plaintext bytes in the stream, padding and trailer included


def check_file(file_key: bytes, chunks: Iterable[bytes]) -> CheckedFile:
    """Authenticate the whole file, keeping no plaintext beyond one block; raise
    DecryptionError if any block fails, the FINAL block is missing, or the padding is wrong."""
    total = 0
    padded = False
    tail = b""  # the last TRAILER_BYTES of plaintext so far
    content_end = 0  # one past the last non-zero byte before the tail
    for index, (plain, tag) in enumerate(_blocks(file_key, chunks)):
        if index == 0:
            padded = tag == _TAG_PUSH
        elif tag == _TAG_PUSH or (padded and tag not in (_TAG_MESSAGE, _TAG_FINAL)):
            raise DecryptionError("file block out of place")
        if padded:
            joined = tail + plain
            body, tail = joined[:-TRAILER_BYTES], joined[-TRAILER_BYTES:]
            start = total - (len(joined) - len(plain))  # where `joined` begins in the stream
            nonzero = len(body.rstrip(b"\0"))
            if nonzero:
                content_end = start + nonzero
        total += len(plain)
    if not padded:
        return CheckedFile(total, False, total)
    if total < TRAILER_BYTES + MIN_BUCKET:
        raise DecryptionError("padded file too short")
    length = int.from_bytes(tail, "big")
    if not content_end <= length <= total - TRAILER_BYTES:
        raise DecryptionError("file padding invalid")
    return CheckedFile(length, True, total)


def read_file(file_key: bytes, chunks: Iterable[bytes], checked: CheckedFile) -> Iterator[bytes]:
    """Yield the file's own bytes of a stream `check_file` accepted, block by block. The
    stream is authenticated again as it is read; raise if it changed since the check."""
    left = checked.length
    total = 0
    for plain, _tag in _blocks(file_key, chunks):
        total += len(plain)
        if left:
            part = plain[:left]
            left -= len(part)
            yield part
    if total != checked.stream_bytes:
        raise DecryptionError("file changed since it was checked")


def decrypt_file(file_key: bytes, chunks: Iterable[bytes]) -> bytes:
    """A whole (small) file in memory, padded or not, checked before anything is returned."""
    pieces = list(chunks)
    return b"".join(read_file(file_key, pieces, check_file(file_key, pieces)))


def is_padded_size(stored: int) -> bool:
    """Whether `stored` ciphertext bytes are what some padded file gives."""
    bucket = MIN_BUCKET
    while (size := stream_size(bucket + TRAILER_BYTES)) <= stored:
        if size == stored:
            return True
        bucket = bucket_size(bucket + 1)
    return False
