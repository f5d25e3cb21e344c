"""Pad plaintext to size buckets so ciphertext length does not reveal content length.

Layout: 4-byte big-endian length, the data, zero bytes up to the bucket. Buckets are
powers of two from 1 KiB, so a reader of the ciphertext learns only the bucket.
"""

from __future__ import annotations

from crypto.errors import DecryptionError

MIN_BUCKET = 1024
_HEADER = 4


def bucket_size(length: int) -> int:
    needed = length + _HEADER
    size = MIN_BUCKET
    while size < needed:
        size *= 2
    return size


def pad(data: bytes) -> bytes:
    size = bucket_size(len(data))
    return len(data).to_bytes(_HEADER, "big") + data + bytes(size - len(data) - _HEADER)


def unpad(padded: bytes) -> bytes:
    if len(padded) < _HEADER:
        raise DecryptionError("padded data too short")
    length = int.from_bytes(padded[:_HEADER], "big")
    if length > len(padded) - _HEADER:
        raise DecryptionError("padding length out of range")
    return padded[_HEADER : _HEADER + length]
