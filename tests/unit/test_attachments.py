"""Attachments: secretstream encryption in 64 KiB blocks, file keys sealed under the case key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import nacl.bindings as sodium
import pytest

from crypto import attachments
from crypto.attachments import ABYTES, CHUNK_BYTES, HEADER_BYTES
from crypto.errors import DecryptionError
from crypto.primitives import open_sealed, random_bytes
from crypto.sealing import ATTACHMENT_META, FILE_KEY, REPORTER_KEY, seal_document

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


# --- padding ----------------------------------------------------------------------------


def _padded(data: bytes, sizes: Iterable[int] = (1, 7, 1000, 65537, 3, 12345)) -> bytes:
    return b"".join(attachments.encrypt_file(FILE_KEY_BYTES, _split(data, sizes)))


def test_buckets_bound_the_overhead() -> None:
    assert attachments.bucket_size(0) == attachments.bucket_size(KIB64) == KIB64
    previous = KIB64
    for length in [*range(KIB64 - 3, KIB64 + 70_000, 97), *range(10**6, 3 * 10**7, 99_991)]:
        bucket = attachments.bucket_size(length)
        assert bucket >= length and bucket >= previous  # holds the file, never shrinks
        assert bucket % (16 * 1024) == 0
        if length > KIB64:
            assert bucket < 1.25 * length  # at most 25 % above the file
        assert attachments.bucket_size(bucket) == bucket
        previous = bucket
    # Four buckets per doubling: 64, 80, 96, 112, 128 KiB, ...
    firsts = sorted({attachments.bucket_size(n) for n in range(1, 2 * 1024 * 1024, 4096)})
    assert firsts[:9] == [k * 1024 for k in (64, 80, 96, 112, 128, 160, 192, 224, 256)]
    assert len([b for b in firsts if 1024 * 1024 < b <= 2 * 1024 * 1024]) == 4


@pytest.mark.parametrize("length", [0, 1, KIB64 - 8, KIB64, KIB64 + 1, 300_000, 700_001])
def test_padded_round_trip_and_length(length: int) -> None:
    data = _data(length)
    ciphertext = _padded(data)
    assert len(ciphertext) == attachments.encrypted_size(length)
    assert attachments.is_padded_size(len(ciphertext))
    pieces = list(_split(ciphertext, [5, 17, 65553, 999]))
    checked = attachments.check_file(FILE_KEY_BYTES, pieces)
    assert checked == attachments.CheckedFile(
        length, True, attachments.bucket_size(length) + attachments.TRAILER_BYTES
    )
    assert b"".join(attachments.read_file(FILE_KEY_BYTES, pieces, checked)) == data
    assert attachments.decrypt_file(FILE_KEY_BYTES, [ciphertext]) == data
    # The first block is tagged PUSH (a padded file), the last FINAL.
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(
        state, ciphertext[:HEADER_BYTES], FILE_KEY_BYTES
    )
    first = ciphertext[HEADER_BYTES : HEADER_BYTES + CHUNK_BYTES + ABYTES]
    _, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, first, None)
    assert tag == sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH


def test_files_in_one_bucket_have_one_length() -> None:
    for lengths in ([0, 1, 5000, KIB64], [KIB64 + 1, 70_000, 80 * 1024], [300_000, 327_680]):
        assert len({len(_padded(_data(n))) for n in lengths}) == 1, lengths
    assert len(_padded(_data(KIB64))) != len(_padded(_data(KIB64 + 1)))


def test_encrypted_sizes_list_every_bucket_up_to_the_limit() -> None:
    sizes = attachments.encrypted_sizes(10 * 1024 * 1024)
    assert sizes[0] == attachments.encrypted_size(0)
    assert sizes[-1] == attachments.encrypted_size(10 * 1024 * 1024)
    assert sizes == sorted(set(sizes)) and len(sizes) == 30
    assert all(attachments.is_padded_size(s) for s in sizes)
    assert not any(attachments.is_padded_size(s + d) for s in sizes for d in (-1, 1, 17))
    # The limit of an allowed file fills its bucket: a 10 MiB file costs 0.03 % more.
    assert attachments.encrypted_size(10 * 1024 * 1024) - 10 * 1024 * 1024 < 3000


def test_file_encryptor_holds_at_most_one_block() -> None:
    encryptor = attachments.FileEncryptor(FILE_KEY_BYTES)
    out = encryptor.update(b"")
    assert [len(p) for p in out] == [HEADER_BYTES]
    for _ in range(5):
        out = encryptor.update(bytes(KIB64 // 2 + 1))
        assert len(encryptor._buffer) < KIB64
    last = encryptor.finish()
    assert last and encryptor.plain_bytes == 5 * (KIB64 // 2 + 1)
    with pytest.raises(ValueError):
        encryptor.update(b"x")


@pytest.mark.parametrize("length", [10, 300_000])
def test_padded_truncation_and_tampering_fail_the_check(length: int) -> None:
    ciphertext = _padded(_data(length))
    block = CHUNK_BYTES + ABYTES
    last_block = (len(ciphertext) - HEADER_BYTES) % block
    for cut in [HEADER_BYTES + block, len(ciphertext) - last_block, len(ciphertext) - 1]:
        with pytest.raises(DecryptionError):
            attachments.check_file(FILE_KEY_BYTES, [ciphertext[:cut]])
    altered = bytearray(ciphertext)
    altered[-5] ^= 1  # the trailer's block
    with pytest.raises(DecryptionError):
        attachments.check_file(FILE_KEY_BYTES, [bytes(altered)])


def _stream(blocks: list[tuple[int, bytes]]) -> bytes:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    out = [sodium.crypto_secretstream_xchacha20poly1305_init_push(state, FILE_KEY_BYTES)]
    for tag, plain in blocks:
        out.append(sodium.crypto_secretstream_xchacha20poly1305_push(state, plain, None, tag))
    return b"".join(out)


def test_wrong_padding_fails_the_check() -> None:
    push = sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH
    final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    body = bytearray(KIB64)
    body[:2] = b"ab"
    good = _stream([(push, bytes(body)), (final, (2).to_bytes(8, "big"))])
    assert attachments.decrypt_file(FILE_KEY_BYTES, [good]) == b"ab"
    body[100] = 1
    for blocks in (
        [(push, bytes(body)), (final, (2).to_bytes(8, "big"))],  # a non-zero pad byte
        [(push, bytes(KIB64)), (final, (KIB64 + 1).to_bytes(8, "big"))],  # length too large
        [(push, bytes(100)), (final, (2).to_bytes(8, "big"))],  # shorter than any bucket
    ):
        with pytest.raises(DecryptionError):
            attachments.check_file(FILE_KEY_BYTES, [_stream(blocks)])


def test_read_file_refuses_a_stream_changed_after_its_check() -> None:
    first, second = _padded(_data(300_000)), _padded(_data(300_000))
    checked = attachments.check_file(FILE_KEY_BYTES, [first])
    shorter = _padded(_data(10))
    with pytest.raises(DecryptionError):
        b"".join(attachments.read_file(FILE_KEY_BYTES, [shorter], checked))
    # Another complete stream of the same bucket under the same key reads as itself.
    assert b"".join(attachments.read_file(FILE_KEY_BYTES, [second], checked)) == _data(300_000)


def test_check_file_reads_the_stream_once_and_keeps_no_plaintext() -> None:
    ciphertext = _padded(_data(700_000))
    pieces = list(_split(ciphertext, [256 * 1024]))
    seen: list[int] = []

    def source() -> Iterator[bytes]:
        for index, piece in enumerate(pieces):
            seen.append(index)
            yield piece

    checked = attachments.check_file(FILE_KEY_BYTES, source())
    assert checked.length == 700_000 and seen == list(range(len(pieces)))


def test_unpadded_files_of_earlier_releases_still_open() -> None:
    for length in (0, 10, KIB64, 300_000):
        data = _data(length)
        old = b"".join(_encrypt(FILE_KEY_BYTES, data))
        checked = attachments.check_file(FILE_KEY_BYTES, [old])
        assert (checked.length, checked.padded) == (length, False)
        assert attachments.decrypt_file(FILE_KEY_BYTES, [old]) == data


def test_descriptions_fit_one_bucket() -> None:
    key = random_bytes(32)
    for name, kind in [
        ("a.pdf", "application/pdf"),
        ("\u0001" * 200, "\u0002" * 100),
        ("名前" * 300, "x" * 500),
        ('"\\' * 400, ""),
    ]:
        document = attachments.describe_file(name, kind, 10**10, True)
        assert name.startswith(document["name"]) and len(document["type"]) <= 100
        sealed = seal_document(key, document, ATTACHMENT_META)
        assert len(sealed) == 24 + 16 + 1024
    short = attachments.describe_file("\u0001" * 200, "", 1, False)
    assert 100 < len(short["name"]) < 200
