"""Padding to power-of-two buckets from 1 KiB."""

from __future__ import annotations

import pytest

from crypto.errors import DecryptionError
from crypto.padding import MIN_BUCKET, bucket_size, pad, unpad


def _data(length: int) -> bytes:
    return bytes((i * 7 + 3) % 256 for i in range(length))


@pytest.mark.parametrize(
    ("length", "padded_length"),
    [
        (0, 1024),
        (1, 1024),
        (1019, 1024),
        (1020, 1024),
        (1021, 2048),
        (5000, 8192),
        (100000, 131072),
    ],
)
def test_round_trip(length: int, padded_length: int) -> None:
    data = _data(length)
    padded = pad(data)
    assert len(padded) == padded_length
    assert unpad(padded) == data


def test_layout_is_length_header_data_zeros() -> None:
    padded = pad(b"abc")
    assert padded[:4] == (3).to_bytes(4, "big")
    assert padded[4:7] == b"abc"
    assert padded[7:] == bytes(1024 - 7)


def test_every_length_in_first_bucket_pads_to_1024() -> None:
    assert MIN_BUCKET == 1024
    for length in range(0, 1021):
        assert bucket_size(length) == 1024
        assert len(pad(bytes(length))) == 1024, length
    assert len(pad(bytes(1021))) == 2048


def test_every_length_in_second_bucket_pads_to_2048() -> None:
    for length in range(1021, 2045):
        assert bucket_size(length) == 2048, length
    assert bucket_size(2045) == 4096


def test_buckets_double() -> None:
    for exponent in range(10, 25):
        size = 2**exponent
        assert bucket_size(size - 4) == size  # largest content that fits the bucket
        assert bucket_size(size - 3) == 2 * size  # one more byte goes to the next bucket
    sizes = sorted({bucket_size(n) for n in range(0, 70000, 13)})
    assert sizes == [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]


def test_pad_length_is_bucket_size() -> None:
    for length in (0, 500, 1020, 1021, 3000, 4092, 4093, 65532, 65533):
        assert len(pad(bytes(length))) == bucket_size(length)


@pytest.mark.parametrize("declared", [1021, 1022, 2**31, 2**32 - 1])
def test_unpad_rejects_length_out_of_range(declared: int) -> None:
    padded = bytearray(pad(b"hello"))
    padded[:4] = declared.to_bytes(4, "big")
    with pytest.raises(DecryptionError):
        unpad(bytes(padded))


def test_unpad_accepts_largest_in_range_length() -> None:
    padded = bytearray(pad(b"hello"))
    padded[:4] = (1020).to_bytes(4, "big")
    assert unpad(bytes(padded)) == b"hello" + bytes(1015)


@pytest.mark.parametrize("short", [b"", b"\x00", b"\x00\x00\x00"])
def test_unpad_rejects_too_short(short: bytes) -> None:
    with pytest.raises(DecryptionError):
        unpad(short)


def test_unpad_of_bare_header() -> None:
    assert unpad(bytes(4)) == b""
    with pytest.raises(DecryptionError):
        unpad((1).to_bytes(4, "big"))
