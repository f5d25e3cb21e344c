"""Attachments: each file under its own key with libsodium's secretstream, streamed in chunks.

The file key is sealed under the case key and bound to the case's id, so whoever holds the
case key can read the file, and the stream never needs the whole file in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import nacl.bindings as sodium

from crypto.errors import DecryptionError
from crypto.primitives import KEY_BYTES, open_sealed, random_bytes, seal
from crypto.sealing import FILE_KEY, case_context

CHUNK_BYTES = 64 * 1024
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def new_file_key() -> bytes:
    return random_bytes(KEY_BYTES)


def seal_file_key(case_key: bytes, file_key: bytes, case_id: str) -> bytes:
    """The file key under the case key, bound to its case (a moved row does not open)."""
    return seal(case_key, file_key, FILE_KEY, *case_context(case_id))


def open_file_key(case_key: bytes, sealed: bytes, case_id: str) -> bytes:
    return open_sealed(case_key, sealed, FILE_KEY, *case_context(case_id))


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


def decrypt_stream(file_key: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield plaintext blocks; raise if the stream is cut short, reordered or altered."""
    blocks = _rechunk(chunks, CHUNK_BYTES + ABYTES)
    first = next(blocks, b"")
    if len(first) < HEADER_BYTES:
        raise DecryptionError("file too short")
    header, rest = first[:HEADER_BYTES], first[HEADER_BYTES:]
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, file_key)
    except Exception as exc:
        raise DecryptionError("file header invalid") from exc
    finished = False
    for block in _rechunk(itertools.chain([rest], blocks), CHUNK_BYTES + ABYTES):
        if not block:
            continue
        if finished:
            raise DecryptionError("data after the end of the file")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, block, None)
        except Exception as exc:
            raise DecryptionError("file block did not open") from exc
        finished = tag == _TAG_FINAL
        yield plain
    if not finished:
        raise DecryptionError("file is truncated")
