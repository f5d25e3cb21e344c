"""Primitives (AEAD, keyed hash, Argon2id), sealing of case content, reporter keys, pepper."""

from __future__ import annotations

import nacl.pwhash.argon2id as argon2id_mod
import pytest

from crypto import sealing
from crypto.errors import DecryptionError
from crypto.pepper import Pepper
from crypto.primitives import (
    KEY_BYTES,
    NONCE_BYTES,
    SALT_BYTES,
    TAG_BYTES,
    Argon2Params,
    argon2id,
    constant_time_equal,
    keyed_hash,
    normalise_password,
    open_sealed,
    random_bytes,
    seal,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
PURPOSE = "hotline:test:v1"
CHEAP = Argon2Params(ops=1, mem_bytes=8192)

JAPANESE = (
    "経理部の山田課長が、架空の請求書で取引先に支払いを行っています。"
    "2024年3月から毎月50万円です。証拠は共有フォルダにあります。"
)


# --- seal / open_sealed -----------------------------------------------------------------


def test_constants() -> None:
    assert (KEY_BYTES, NONCE_BYTES, TAG_BYTES, SALT_BYTES) == (32, 24, 16, 16)


@pytest.mark.parametrize("plaintext", [b"", b"x", b"hello world", bytes(range(256)) * 40])
def test_seal_round_trip(plaintext: bytes) -> None:
    sealed = seal(KEY, plaintext, PURPOSE)
    assert len(sealed) == NONCE_BYTES + len(plaintext) + TAG_BYTES
    assert open_sealed(KEY, sealed, PURPOSE) == plaintext


def test_seal_uses_fresh_nonces() -> None:
    blobs = {seal(KEY, b"same", PURPOSE) for _ in range(50)}
    assert len(blobs) == 50
    assert len({blob[:NONCE_BYTES] for blob in blobs}) == 50


def test_seal_hides_plaintext() -> None:
    plaintext = b"secret report text " * 4
    assert plaintext not in seal(KEY, plaintext, PURPOSE)


def test_wrong_key_fails() -> None:
    sealed = seal(KEY, b"message", PURPOSE)
    with pytest.raises(DecryptionError):
        open_sealed(OTHER_KEY, sealed, PURPOSE)


def test_wrong_purpose_fails() -> None:
    sealed = seal(KEY, b"message", PURPOSE)
    for purpose in ("hotline:test:v2", "", PURPOSE + " ", sealing.REPORT, sealing.MESSAGE):
        with pytest.raises(DecryptionError):
            open_sealed(KEY, sealed, purpose)


def test_flipping_any_byte_fails() -> None:
    plaintext = b"twelve bytes"
    sealed = seal(KEY, plaintext, PURPOSE)
    assert len(sealed) == NONCE_BYTES + len(plaintext) + TAG_BYTES
    regions = {
        "nonce": range(0, NONCE_BYTES),
        "body": range(NONCE_BYTES, NONCE_BYTES + len(plaintext)),
        "tag": range(NONCE_BYTES + len(plaintext), len(sealed)),
    }
    for region, positions in regions.items():
        for position in positions:
            for mask in (0x01, 0x80, 0xFF):
                tampered = bytearray(sealed)
                tampered[position] ^= mask
                with pytest.raises(DecryptionError):
                    open_sealed(KEY, bytes(tampered), PURPOSE)
                    pytest.fail(f"{region} byte {position} ^ {mask:#x} still opened")


def test_truncated_or_extended_fails() -> None:
    sealed = seal(KEY, b"message", PURPOSE)
    for cut in range(1, len(sealed)):
        with pytest.raises(DecryptionError):
            open_sealed(KEY, sealed[:cut], PURPOSE)
    with pytest.raises(DecryptionError):
        open_sealed(KEY, sealed + b"\x00", PURPOSE)


@pytest.mark.parametrize("size", [0, 1, NONCE_BYTES, NONCE_BYTES + TAG_BYTES - 1])
def test_too_short_input_fails(size: int) -> None:
    with pytest.raises(DecryptionError):
        open_sealed(KEY, bytes(size), PURPOSE)


def test_minimum_length_input_is_authenticated() -> None:
    # Exactly nonce + tag: a valid-looking empty ciphertext that must still fail its tag.
    with pytest.raises(DecryptionError):
        open_sealed(KEY, bytes(NONCE_BYTES + TAG_BYTES), PURPOSE)
    sealed_empty = seal(KEY, b"", PURPOSE)
    assert len(sealed_empty) == NONCE_BYTES + TAG_BYTES
    assert open_sealed(KEY, sealed_empty, PURPOSE) == b""


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_wrong_key_size_is_refused(size: int) -> None:
    with pytest.raises(ValueError):
        seal(bytes(size), b"x", PURPOSE)
    with pytest.raises(ValueError):
        open_sealed(bytes(size), bytes(64), PURPOSE)


def test_random_bytes() -> None:
    assert len(random_bytes()) == KEY_BYTES
    assert len(random_bytes(7)) == 7
    assert random_bytes() != random_bytes()


def test_constant_time_equal() -> None:
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"ab")


# --- keyed_hash -------------------------------------------------------------------------


def test_keyed_hash_framing_separates_parts() -> None:
    assert keyed_hash(KEY, "l", b"ab", b"c") != keyed_hash(KEY, "l", b"a", b"bc")
    assert keyed_hash(KEY, "l", b"abc") != keyed_hash(KEY, "l", b"ab", b"c")
    assert keyed_hash(KEY, "l", b"") != keyed_hash(KEY, "l")
    assert keyed_hash(KEY, "l", b"", b"") != keyed_hash(KEY, "l", b"")
    # The label is framed too: it cannot slide into the first part.
    assert keyed_hash(KEY, "la", b"b") != keyed_hash(KEY, "l", b"ab")


def test_keyed_hash_properties() -> None:
    digest = keyed_hash(KEY, "label", b"part")
    assert len(digest) == 32
    assert keyed_hash(KEY, "label", b"part") == digest
    assert keyed_hash(OTHER_KEY, "label", b"part") != digest
    assert keyed_hash(KEY, "label2", b"part") != digest
    assert keyed_hash(KEY, "label", b"part", size=64)[:32] != digest  # BLAKE2b binds size
    assert len(keyed_hash(KEY, "label", size=16)) == 16


@pytest.mark.parametrize("size", [0, 15, 65, 128])
def test_keyed_hash_key_size_limits(size: int) -> None:
    with pytest.raises(ValueError):
        keyed_hash(bytes(size), "label")


@pytest.mark.parametrize("size", [16, 32, 64])
def test_keyed_hash_accepts_key_sizes(size: int) -> None:
    assert len(keyed_hash(bytes(size), "label")) == 32


# --- Argon2id ---------------------------------------------------------------------------


def test_argon2_params_minimums() -> None:
    assert argon2id_mod.OPSLIMIT_MIN == 1
    assert argon2id_mod.MEMLIMIT_MIN == 8192
    Argon2Params(ops=1, mem_bytes=8192)  # the minimum itself is allowed
    with pytest.raises(ValueError):
        Argon2Params(ops=0, mem_bytes=8192)
    with pytest.raises(ValueError):
        Argon2Params(ops=-1, mem_bytes=65536)
    with pytest.raises(ValueError):
        Argon2Params(ops=1, mem_bytes=8191)
    with pytest.raises(ValueError):
        Argon2Params(ops=3, mem_bytes=0)


def test_argon2id_deterministic_and_sensitive() -> None:
    salt = bytes(range(16))
    out = argon2id(b"password", salt, CHEAP)
    assert len(out) == 32
    assert argon2id(b"password", salt, CHEAP) == out
    assert argon2id(b"Password", salt, CHEAP) != out
    assert argon2id(b"password", bytes(16), CHEAP) != out
    assert argon2id(b"password", salt, Argon2Params(ops=2, mem_bytes=8192)) != out
    assert argon2id(b"password", salt, Argon2Params(ops=1, mem_bytes=16384)) != out
    assert len(argon2id(b"password", salt, CHEAP, size=64)) == 64


@pytest.mark.parametrize("size", [0, 8, 15, 17, 32])
def test_argon2id_salt_size(size: int) -> None:
    with pytest.raises(ValueError):
        argon2id(b"password", bytes(size), CHEAP)


def test_normalise_password_nfc() -> None:
    composed = "caf\u00e9"
    decomposed = "cafe\u0301"
    assert normalise_password(composed) == normalise_password(decomposed) == composed.encode()
    assert normalise_password("パスワード") == "パスワード".encode()


# --- sealing of case content ------------------------------------------------------------


def test_seal_document_round_trip_japanese() -> None:
    document = {
        "category": "不正会計",
        "body": JAPANESE,
        "people": ["山田 太郎", "佐藤"],
        "amount": 500000,
        "nested": {"when": "2024-03", "ok": True, "none": None},
    }
    sealed = sealing.seal_document(KEY, document, sealing.REPORT)
    assert JAPANESE.encode() not in sealed
    assert sealing.open_document(KEY, sealed, sealing.REPORT) == document


def test_seal_text_round_trip_japanese() -> None:
    for text in ("", "a", JAPANESE, JAPANESE * 40, "絵文字 😀 と 改行\nと タブ\t"):
        sealed = sealing.seal_text(KEY, text, sealing.MESSAGE)
        assert sealing.open_text(KEY, sealed, sealing.MESSAGE) == text


def test_sealed_text_length_depends_only_on_bucket() -> None:
    short = sealing.seal_text(KEY, "はい", sealing.MESSAGE)
    longer = sealing.seal_text(KEY, JAPANESE * 5, sealing.MESSAGE)
    assert len((JAPANESE * 5).encode()) <= 1020
    assert len(short) == len(longer) == NONCE_BYTES + 1024 + TAG_BYTES
    doc_short = sealing.seal_document(KEY, {"body": "a"}, sealing.REPORT)
    doc_longer = sealing.seal_document(KEY, {"body": JAPANESE * 4}, sealing.REPORT)
    assert len(doc_short) == len(doc_longer)
    bigger = sealing.seal_text(KEY, "x" * 1021, sealing.MESSAGE)
    assert len(bigger) == NONCE_BYTES + 2048 + TAG_BYTES


def test_sealed_content_purposes_are_separated() -> None:
    purposes = [
        sealing.REPORT,
        sealing.MESSAGE,
        sealing.NOTE,
        sealing.REPORTER_KEY,
        sealing.FILE_KEY,
    ]
    assert len(set(purposes)) == len(purposes)
    sealed = sealing.seal_text(KEY, "message", sealing.MESSAGE)
    for purpose in purposes:
        if purpose == sealing.MESSAGE:
            continue
        with pytest.raises(DecryptionError):
            sealing.open_text(KEY, sealed, purpose)
    report = sealing.seal_document(KEY, {"a": 1}, sealing.REPORT)
    with pytest.raises(DecryptionError):
        sealing.open_document(KEY, report, sealing.NOTE)


def test_sealed_content_wrong_key_fails() -> None:
    sealed = sealing.seal_document(KEY, {"a": 1}, sealing.REPORT)
    with pytest.raises(DecryptionError):
        sealing.open_document(OTHER_KEY, sealed, sealing.REPORT)
    sealed_text = sealing.seal_text(KEY, "x", sealing.NOTE)
    with pytest.raises(DecryptionError):
        sealing.open_text(OTHER_KEY, sealed_text, sealing.NOTE)


def test_open_document_rejects_non_documents() -> None:
    for text in ("[1, 2]", '"string"', "42", "not json", ""):
        sealed = sealing.seal_text(KEY, text, sealing.REPORT)
        with pytest.raises(DecryptionError):
            sealing.open_document(KEY, sealed, sealing.REPORT)


def test_open_text_rejects_invalid_utf8() -> None:
    from crypto.padding import pad

    sealed = seal(KEY, pad(b"\xff\xfe"), sealing.MESSAGE)
    with pytest.raises(DecryptionError):
        sealing.open_text(KEY, sealed, sealing.MESSAGE)
    with pytest.raises(DecryptionError):
        sealing.open_document(KEY, sealed, sealing.MESSAGE)


def test_document_serialisation_is_canonical() -> None:
    from crypto.padding import unpad

    sealed = sealing.seal_document(KEY, {"b": "日本", "a": [1, 2]}, sealing.REPORT)
    raw = unpad(open_sealed(KEY, sealed, sealing.REPORT))
    assert raw == '{"a":[1,2],"b":"日本"}'.encode()


# --- reporter copy of the case key ------------------------------------------------------


def test_reporter_key_wrap_round_trip() -> None:
    case_key = random_bytes()
    wrap_key = random_bytes()
    wrapped = sealing.wrap_case_key_for_reporter(case_key, wrap_key)
    assert case_key not in wrapped
    assert sealing.unwrap_case_key_for_reporter(wrapped, wrap_key) == case_key
    with pytest.raises(DecryptionError):
        sealing.unwrap_case_key_for_reporter(wrapped, random_bytes())
    with pytest.raises(DecryptionError):
        open_sealed(wrap_key, wrapped, sealing.FILE_KEY)
    # A file key sealed under the same key cannot pass as the reporter's copy.
    with pytest.raises(DecryptionError):
        sealing.unwrap_case_key_for_reporter(seal(wrap_key, case_key, sealing.FILE_KEY), wrap_key)


# --- pepper -----------------------------------------------------------------------------


PEPPER_SECRET = bytes(range(100, 164))


def test_pepper_tag() -> None:
    pepper = Pepper(PEPPER_SECRET)
    tag = pepper.tag("receipt-lookup", b"value")
    assert len(tag) == 32
    assert tag != b"value"
    assert pepper.tag("receipt-lookup", b"value") == tag
    assert Pepper(PEPPER_SECRET).tag("receipt-lookup", b"value") == tag
    assert pepper.tag("receipt-lookup", b"value2") != tag
    assert Pepper(bytes(32)).tag("receipt-lookup", b"value") != tag


def test_pepper_tags_differ_per_kind() -> None:
    pepper = Pepper(PEPPER_SECRET)
    kinds = ["login", "receipt-lookup", "idempotency", "reporter-key", "x"]
    tags = {pepper.tag(kind, b"same value") for kind in kinds}
    assert len(tags) == len(kinds)


def test_pepper_wrap_round_trip() -> None:
    pepper = Pepper(PEPPER_SECRET)
    value = b"wrapped private key bundle" * 3
    wrapped = pepper.wrap("handler-private", value)
    assert value not in wrapped
    assert pepper.unwrap("handler-private", wrapped) == value
    assert Pepper(PEPPER_SECRET).unwrap("handler-private", wrapped) == value


def test_other_pepper_cannot_unwrap() -> None:
    wrapped = Pepper(PEPPER_SECRET).wrap("reporter-key", b"value")
    with pytest.raises(DecryptionError):
        Pepper(bytes(range(64))).unwrap("reporter-key", wrapped)
    with pytest.raises(DecryptionError):
        Pepper(PEPPER_SECRET[:63] + b"\x00").unwrap("reporter-key", wrapped)


def test_pepper_wrap_bound_to_kind() -> None:
    pepper = Pepper(PEPPER_SECRET)
    wrapped = pepper.wrap("handler-private", b"value")
    with pytest.raises(DecryptionError):
        pepper.unwrap("handler-recovery", wrapped)


def test_pepper_tag_key_and_wrap_key_are_separate() -> None:
    pepper = Pepper(PEPPER_SECRET)
    # The tag of a value must not be usable as the key that wraps it, nor the reverse:
    # check the wrapped blob does not open with the tag key derived the same way.
    tag_key = keyed_hash(PEPPER_SECRET, "hotline:pepper:tag:v1")
    wrapped = pepper.wrap("k", b"value")
    with pytest.raises(DecryptionError):
        open_sealed(tag_key, wrapped, "hotline:pepper:wrap:k")
    wrap_key = keyed_hash(PEPPER_SECRET, "hotline:pepper:wrap:v1")
    assert open_sealed(wrap_key, wrapped, "hotline:pepper:wrap:k") == b"value"


def test_pepper_rejects_short_secret() -> None:
    with pytest.raises(ValueError):
        Pepper(bytes(31))
    Pepper(bytes(32))
