"""Attachments: secretstream encryption in 64 KiB blocks, file keys sealed under the case key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import nacl.bindings as sodium
import pytest

from crypto import attachments
from crypto.attachments import ABYTES, CHUNK_BYTES, HEADER_BYTES
from crypto.errors import DecryptionError
from crypto.primitives import open_sealed, random_bytes
from crypto.sealing import FILE_KEY, REPORTER_KEY

KIB64 = 64 * 1024
FILE_KEY_BYTES = bytes(range(32))


def _data(length: int) -> bytes:
    return bytes((i * 31 + i // 251) % 256 for i in range(length))


def _split(data: bytes, sizes: Iterable[int]) -> Iterator[bytes]:
    """Cut data into pieces whose sizes cycle through `sizes` (an odd, irregular pattern)."""
    pattern = list(sizes)
    position = 0
    index = 0
    while position < len(data):
        size = pattern[index % len(pattern)]
        yield data[position : position + size]
        position += size
        index += 1


def _encrypt(key: bytes, data: bytes) -> list[bytes]:
    return list(attachments.encrypt_stream(key, _split(data, [1, 7, 1000, 65537, 3, 12345])))


def _decrypt(key: bytes, ciphertext: bytes, sizes: Iterable[int] = (5, 17, 65553, 999)) -> bytes:
    return b"".join(attachments.decrypt_stream(key, _split(ciphertext, sizes)))


def test_constants() -> None:
    assert CHUNK_BYTES == KIB64
    assert HEADER_BYTES == 24
    assert ABYTES == 17


@pytest.mark.parametrize("length", [0, 1, KIB64 - 1, KIB64, KIB64 + 1, 300_000])
def test_round_trip_odd_chunks(length: int) -> None:
    data = _data(length)
    pieces = _encrypt(FILE_KEY_BYTES, data)
    ciphertext = b"".join(pieces)
    full_blocks = length // KIB64
    # Header, one block per full 64 KiB, then a FINAL block with the remainder (maybe empty).
    assert len(pieces) == 1 + full_blocks + 1
    assert len(ciphertext) == HEADER_BYTES + length + (full_blocks + 1) * ABYTES
    assert _decrypt(FILE_KEY_BYTES, ciphertext) == data
    if length < 2000:
        assert _decrypt(FILE_KEY_BYTES, ciphertext, [1]) == data
    assert _decrypt(FILE_KEY_BYTES, ciphertext, [len(ciphertext) or 1]) == data
    assert b"".join(attachments.decrypt_stream(FILE_KEY_BYTES, pieces)) == data


def test_round_trip_byte_by_byte_input_small() -> None:
    data = _data(3000)
    ciphertext = b"".join(attachments.encrypt_stream(FILE_KEY_BYTES, _split(data, [1])))
    assert _decrypt(FILE_KEY_BYTES, ciphertext, [1]) == data


def test_round_trip_with_empty_input_pieces() -> None:
    data = _data(KIB64 + 5)
    pieces = [b"", data[:10], b"", b"", data[10:], b""]
    ciphertext = b"".join(attachments.encrypt_stream(FILE_KEY_BYTES, pieces))
    assert _decrypt(FILE_KEY_BYTES, ciphertext) == data
    empty = b"".join(attachments.encrypt_stream(FILE_KEY_BYTES, []))
    assert len(empty) == HEADER_BYTES + ABYTES
    assert _decrypt(FILE_KEY_BYTES, empty) == b""


def test_ciphertext_is_randomised_and_hides_data() -> None:
    data = b"confidential scan " * 100
    a = b"".join(_encrypt(FILE_KEY_BYTES, data))
    b = b"".join(_encrypt(FILE_KEY_BYTES, data))
    assert a != b
    assert a[:HEADER_BYTES] != b[:HEADER_BYTES]
    assert b"confidential" not in a


@pytest.mark.parametrize("length", [0, 1, KIB64, KIB64 + 1, 300_000])
def test_dropping_last_block_fails(length: int) -> None:
    pieces = _encrypt(FILE_KEY_BYTES, _data(length))
    truncated = b"".join(pieces[:-1])
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, truncated)


def test_truncation_anywhere_fails() -> None:
    ciphertext = b"".join(_encrypt(FILE_KEY_BYTES, _data(KIB64 * 2 + 10)))
    block = CHUNK_BYTES + ABYTES
    cuts = [0, 1, HEADER_BYTES - 1, HEADER_BYTES, HEADER_BYTES + 1, HEADER_BYTES + block - 1]
    cuts += [HEADER_BYTES + block, HEADER_BYTES + 2 * block, len(ciphertext) - 1]
    for cut in cuts:
        with pytest.raises(DecryptionError):
            _decrypt(FILE_KEY_BYTES, ciphertext[:cut])


def test_reordering_blocks_fails() -> None:
    pieces = _encrypt(FILE_KEY_BYTES, _data(300_000))
    header, blocks = pieces[0], pieces[1:]
    assert len(blocks) == 5
    swapped = [blocks[1], blocks[0], *blocks[2:]]
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, header + b"".join(swapped))
    # Moving the FINAL block earlier fails too (it has a different length).
    moved = [blocks[0], blocks[4], blocks[1], blocks[2], blocks[3]]
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, header + b"".join(moved))


def test_duplicated_or_dropped_middle_block_fails() -> None:
    pieces = _encrypt(FILE_KEY_BYTES, _data(300_000))
    header, blocks = pieces[0], pieces[1:]
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, header + b"".join([blocks[0], blocks[0], *blocks[1:]]))
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, header + b"".join([blocks[0], *blocks[2:]]))


def test_blocks_from_another_stream_fail() -> None:
    data = _data(KIB64 * 2)
    a = _encrypt(FILE_KEY_BYTES, data)
    b = _encrypt(FILE_KEY_BYTES, data)
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, b"".join([a[0], b[1], *a[2:]]))


def test_wrong_key_fails() -> None:
    ciphertext = b"".join(_encrypt(FILE_KEY_BYTES, _data(1000)))
    with pytest.raises(DecryptionError):
        _decrypt(bytes(32), ciphertext)
    with pytest.raises(DecryptionError):
        _decrypt(random_bytes(32), ciphertext)


@pytest.mark.parametrize("garbage", [b"\x00", b"x" * 16, b"x" * 17, b"x" * 100_000])
@pytest.mark.parametrize("length", [0, 10, KIB64, 300_000])
def test_appended_garbage_fails(length: int, garbage: bytes) -> None:
    ciphertext = b"".join(_encrypt(FILE_KEY_BYTES, _data(length)))
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, ciphertext + garbage)


def test_authentic_block_after_final_fails() -> None:
    # Someone holding the file key (say a tampering client) can push blocks after FINAL;
    # decrypt_stream must refuse them rather than return the extra data.
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, FILE_KEY_BYTES)
    tag_message = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
    tag_final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    final = sodium.crypto_secretstream_xchacha20poly1305_push(state, _data(KIB64), None, tag_final)
    extra = sodium.crypto_secretstream_xchacha20poly1305_push(state, b"extra", None, tag_message)
    assert _decrypt(FILE_KEY_BYTES, header + final) == _data(KIB64)
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, header + final + extra)


def test_appended_valid_stream_fails() -> None:
    first = b"".join(_encrypt(FILE_KEY_BYTES, b"one"))
    second = b"".join(_encrypt(FILE_KEY_BYTES, b"two"))
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, first + second[HEADER_BYTES:])


def test_altered_byte_fails() -> None:
    ciphertext = b"".join(_encrypt(FILE_KEY_BYTES, _data(KIB64 + 100)))
    positions = [0, 10, HEADER_BYTES - 1, HEADER_BYTES, HEADER_BYTES + 1000]
    positions += [HEADER_BYTES + KIB64 + 16, HEADER_BYTES + KIB64 + 17, len(ciphertext) - 1]
    for position in positions:
        altered = bytearray(ciphertext)
        altered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            _decrypt(FILE_KEY_BYTES, bytes(altered))


def test_empty_or_header_only_fails() -> None:
    ciphertext = b"".join(_encrypt(FILE_KEY_BYTES, b""))
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, b"")
    with pytest.raises(DecryptionError):
        _decrypt(FILE_KEY_BYTES, ciphertext[:HEADER_BYTES])


def test_decrypt_stream_is_lazy() -> None:
    pieces = _encrypt(FILE_KEY_BYTES, _data(300_000))
    consumed = 0

    def source() -> Iterator[bytes]:
        nonlocal consumed
        for piece in pieces:
            consumed += 1
            yield piece

    stream = attachments.decrypt_stream(FILE_KEY_BYTES, source())
    first = next(stream)
    assert first == _data(300_000)[:KIB64]
    assert consumed < len(pieces)


def test_encrypt_stream_is_lazy() -> None:
    consumed = 0

    def source() -> Iterator[bytes]:
        nonlocal consumed
        for _ in range(10):
            consumed += 1
            yield bytes(KIB64)

    stream = attachments.encrypt_stream(FILE_KEY_BYTES, source())
    next(stream)  # header
    next(stream)  # first block
    assert consumed < 10


# --- file keys --------------------------------------------------------------------------


def test_new_file_key() -> None:
    key = attachments.new_file_key()
    assert len(key) == 32
    assert key != attachments.new_file_key()


CASE_ID = "HL-7QX2M9K4TB"


def test_file_key_sealed_under_case_key() -> None:
    case_key = random_bytes(32)
    file_key = attachments.new_file_key()
    sealed = attachments.seal_file_key(case_key, file_key, CASE_ID)
    assert file_key not in sealed
    assert attachments.open_file_key(case_key, sealed, CASE_ID) == file_key
    with pytest.raises(DecryptionError):
        attachments.open_file_key(random_bytes(32), sealed, CASE_ID)
    with pytest.raises(DecryptionError):
        open_sealed(case_key, sealed, REPORTER_KEY)
    # Bound to its case: the sealed key moved to another case's row does not open.
    with pytest.raises(DecryptionError):
        attachments.open_file_key(case_key, sealed, "HL-0000000001")
    with pytest.raises(DecryptionError):
        open_sealed(case_key, sealed, FILE_KEY)
    assert open_sealed(case_key, sealed, FILE_KEY, CASE_ID.encode()) == file_key


def test_full_attachment_flow() -> None:
    case_key = random_bytes(32)
    file_key = attachments.new_file_key()
    data = _data(150_000)
    sealed_key = attachments.seal_file_key(case_key, file_key, CASE_ID)
    ciphertext = b"".join(attachments.encrypt_stream(file_key, _split(data, [4096])))
    opened_key = attachments.open_file_key(case_key, sealed_key, CASE_ID)
    assert _decrypt(opened_key, ciphertext) == data
    with pytest.raises(DecryptionError):
        _decrypt(case_key, ciphertext)
