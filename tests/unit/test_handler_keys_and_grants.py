"""Handler key pairs (password and recovery wrapping) and hybrid X25519 + ML-KEM-768 grants."""

from __future__ import annotations

import base64

import nacl.bindings as sodium
import pytest

from crypto import handler_keys
from crypto.errors import CryptoError, DecryptionError
from crypto.grants import (
    BACKUP_KEY,
    CASE_KEY,
    MLKEM_CIPHERTEXT_BYTES,
    NOTES_KEY,
    GrantFor,
    check_public_keys,
    make_grant,
    new_key,
    open_grant,
)
from crypto.handler_keys import (
    MLKEM_PUBLIC_BYTES,
    MLKEM_SEED_BYTES,
    X25519_BYTES,
    HandlerPrivateKeys,
    HandlerPublicKeys,
    NewHandlerKeys,
)
from crypto.primitives import Argon2Params, open_sealed

CHEAP = Argon2Params(ops=1, mem_bytes=8192)
PASSWORD = "correct horse バッテリー staple"
GRANT_BYTES = 32 + 1088 + 24 + 16 + 32  # ephemeral | ML-KEM ct | nonce | tag | one key
ABOUT = GrantFor(CASE_KEY, "HL-7QX2M9K4TB", 7)
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.fixture(scope="module")
def handler() -> NewHandlerKeys:
    return handler_keys.create(PASSWORD, CHEAP)


@pytest.fixture(scope="module")
def other_handler() -> NewHandlerKeys:
    return handler_keys.create("another password", CHEAP)


@pytest.fixture(scope="module")
def case_key() -> bytes:
    return new_key()


@pytest.fixture(scope="module")
def grant(handler: NewHandlerKeys, case_key: bytes) -> bytes:
    return make_grant(case_key, handler.public, ABOUT)


# --- handler keys -----------------------------------------------------------------------


def test_create_shapes(handler: NewHandlerKeys) -> None:
    assert len(handler.public.x25519) == X25519_BYTES == 32
    assert len(handler.public.mlkem) == MLKEM_PUBLIC_BYTES == 1184
    assert len(handler.private.x25519) == 32
    assert len(handler.private.mlkem_seed) == MLKEM_SEED_BYTES == 64
    assert len(handler.salt) == 16
    assert len(handler.auth) == 32
    assert handler.private.public() == handler.public
    assert handler.public.x25519 == sodium.crypto_scalarmult_base(handler.private.x25519)
    bundle = handler.private.bundle()
    assert bundle not in handler.wrapped_private
    assert bundle not in handler.recovery_wrapped_private


def test_create_makes_fresh_keys(handler: NewHandlerKeys) -> None:
    again = handler_keys.create(PASSWORD, CHEAP)
    assert again.private != handler.private
    assert again.salt != handler.salt
    assert again.auth != handler.auth
    assert again.recovery_key != handler.recovery_key


def test_password_secrets_reproduce_auth_and_unwrap(handler: NewHandlerKeys) -> None:
    secrets_ = handler_keys.password_secrets(PASSWORD, handler.salt, CHEAP)
    assert secrets_.auth == handler.auth
    assert secrets_.unwrap_key != secrets_.auth
    assert len(secrets_.unwrap_key) == 32
    assert handler_keys.unwrap_private(handler.wrapped_private, secrets_.unwrap_key) == (
        handler.private
    )


def test_password_is_nfc_normalised() -> None:
    salt = bytes(range(16))
    composed = handler_keys.password_secrets("caf\u00e9", salt, CHEAP)
    decomposed = handler_keys.password_secrets("cafe\u0301", salt, CHEAP)
    assert composed == decomposed


@pytest.mark.parametrize(
    "wrong", ["", "correct horse バッテリー staplE", PASSWORD + " ", PASSWORD[:-1], "another"]
)
def test_wrong_password_fails(handler: NewHandlerKeys, wrong: str) -> None:
    secrets_ = handler_keys.password_secrets(wrong, handler.salt, CHEAP)
    assert secrets_.auth != handler.auth
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_private(handler.wrapped_private, secrets_.unwrap_key)


def test_right_password_wrong_params_or_salt_fails(handler: NewHandlerKeys) -> None:
    other_params = handler_keys.password_secrets(
        PASSWORD, handler.salt, Argon2Params(ops=2, mem_bytes=8192)
    )
    other_salt = handler_keys.password_secrets(PASSWORD, bytes(16), CHEAP)
    for secrets_ in (other_params, other_salt):
        assert secrets_.auth != handler.auth
        with pytest.raises(DecryptionError):
            handler_keys.unwrap_private(handler.wrapped_private, secrets_.unwrap_key)


def test_password_secrets_rejects_bad_salt() -> None:
    with pytest.raises(ValueError):
        handler_keys.password_secrets(PASSWORD, bytes(15), CHEAP)


def test_auth_half_cannot_unwrap(handler: NewHandlerKeys) -> None:
    # The half sent to the server must be useless for unwrapping the private keys.
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_private(handler.wrapped_private, handler.auth)


def test_rewrap_with_password(handler: NewHandlerKeys) -> None:
    salt, secrets_, wrapped = handler_keys.rewrap_with_password(handler.private, "new pw", CHEAP)
    assert salt != handler.salt
    assert handler_keys.password_secrets("new pw", salt, CHEAP) == secrets_
    assert handler_keys.unwrap_private(wrapped, secrets_.unwrap_key) == handler.private
    old = handler_keys.password_secrets(PASSWORD, salt, CHEAP)
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_private(wrapped, old.unwrap_key)


def test_recovery_key_format(handler: NewHandlerKeys) -> None:
    groups = handler.recovery_key.split("-")
    assert len(groups) == 13
    assert all(len(group) == 4 for group in groups)
    assert all(ch in _B32 for ch in "".join(groups))
    assert len(handler_keys.parse_recovery_key(handler.recovery_key)) == 32


def test_recovery_key_format_parse_round_trip() -> None:
    for raw in (bytes(32), bytes(range(32)), b"\xff" * 32):
        text = handler_keys.format_recovery_key(raw)
        assert handler_keys.parse_recovery_key(text) == raw
    assert handler_keys.format_recovery_key(bytes(32)) == "-".join(["AAAA"] * 13)


def test_recovery_key_unwraps(handler: NewHandlerKeys) -> None:
    assert (
        handler_keys.unwrap_with_recovery_key(
            handler.recovery_wrapped_private, handler.recovery_key
        )
        == handler.private
    )


def test_recovery_key_parse_is_tolerant(handler: NewHandlerKeys) -> None:
    raw = handler_keys.parse_recovery_key(handler.recovery_key)
    variants = [
        handler.recovery_key.lower(),
        handler.recovery_key.replace("-", ""),
        handler.recovery_key.replace("-", "").lower(),
        handler.recovery_key.replace("-", " "),
        "  " + handler.recovery_key.lower().replace("-", " - ") + "\n",
    ]
    for variant in variants:
        assert handler_keys.parse_recovery_key(variant) == raw
        assert (
            handler_keys.unwrap_with_recovery_key(handler.recovery_wrapped_private, variant)
            == handler.private
        )


def test_modified_recovery_key_fails(handler: NewHandlerKeys) -> None:
    text = handler.recovery_key.replace("-", "")
    # Every character but the last carries 5 key bits; change each one.
    for position in range(len(text) - 1):
        replacement = _B32[(_B32.index(text[position]) + 1) % 32]
        modified = text[:position] + replacement + text[position + 1 :]
        with pytest.raises(DecryptionError):
            handler_keys.unwrap_with_recovery_key(handler.recovery_wrapped_private, modified)
    # The last character carries one key bit (and four ignored padding bits): flip that bit.
    last = _B32.index(text[-1]) ^ 0b10000
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_with_recovery_key(
            handler.recovery_wrapped_private, text[:-1] + _B32[last]
        )


@pytest.mark.parametrize(
    "text",
    ["", "AAAA", "-".join(["AAAA"] * 12), "-".join(["AAAA"] * 14), "AAAA-" * 12 + "AAA1", "!" * 52],
)
def test_malformed_recovery_key_fails(text: str) -> None:
    with pytest.raises(DecryptionError):
        handler_keys.parse_recovery_key(text)


def test_recovery_and_password_wraps_are_separated(handler: NewHandlerKeys) -> None:
    raw = handler_keys.parse_recovery_key(handler.recovery_key)
    # The recovery key cannot open the password-wrapped copy, even used directly as a key.
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_with_recovery_key(handler.wrapped_private, handler.recovery_key)
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_private(handler.recovery_wrapped_private, raw)
    unwrap_key = handler_keys.password_secrets(PASSWORD, handler.salt, CHEAP).unwrap_key
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_private(handler.recovery_wrapped_private, unwrap_key)


def test_other_recovery_key_fails(handler: NewHandlerKeys, other_handler: NewHandlerKeys) -> None:
    with pytest.raises(DecryptionError):
        handler_keys.unwrap_with_recovery_key(
            handler.recovery_wrapped_private, other_handler.recovery_key
        )


def test_bundle_round_trip(handler: NewHandlerKeys) -> None:
    bundle = handler.private.bundle()
    assert len(bundle) == 96
    assert bundle[:32] == handler.private.x25519
    assert HandlerPrivateKeys.from_bundle(bundle) == handler.private
    for size in (0, 95, 97, 32, 64):
        with pytest.raises(CryptoError):
            HandlerPrivateKeys.from_bundle(bytes(size))


def test_mlkem_public_from_seed_is_deterministic() -> None:
    seed = bytes(range(64))
    public = handler_keys.mlkem_public_from_seed(seed)
    assert len(public) == 1184
    assert handler_keys.mlkem_public_from_seed(seed) == public
    assert handler_keys.mlkem_public_from_seed(bytes(64)) != public


# --- case keys --------------------------------------------------------------------------


def test_new_keys_are_random() -> None:
    a, b = new_key(), new_key()
    assert len(a) == len(b) == 32
    assert a != b


# --- grants -----------------------------------------------------------------------------


def test_grant_round_trip(grant: bytes, handler: NewHandlerKeys, case_key: bytes) -> None:
    assert open_grant(grant, handler.private, ABOUT) == case_key


def test_grant_size(grant: bytes) -> None:
    assert GRANT_BYTES == 1192
    assert len(grant) == GRANT_BYTES
    assert MLKEM_CIPHERTEXT_BYTES == 1088


def test_grants_are_randomised(grant: bytes, handler: NewHandlerKeys, case_key: bytes) -> None:
    again = make_grant(case_key, handler.public, ABOUT)
    assert again[:32] != grant[:32]
    assert again[32:1120] != grant[32:1120]
    assert open_grant(again, handler.private, ABOUT) == case_key
    assert case_key not in grant


def test_grant_after_recovery_opens(
    grant: bytes, handler: NewHandlerKeys, case_key: bytes
) -> None:
    recovered = handler_keys.unwrap_with_recovery_key(
        handler.recovery_wrapped_private, handler.recovery_key
    )
    assert open_grant(grant, recovered, ABOUT) == case_key


def test_other_handler_cannot_open(grant: bytes, other_handler: NewHandlerKeys) -> None:
    with pytest.raises(DecryptionError):
        open_grant(grant, other_handler.private, ABOUT)


def _tampered(grant: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(grant)
    changed[position] ^= mask
    return bytes(changed)


def test_altered_ephemeral_key_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    for position in range(0, 32):
        for mask in (0x01, 0x40):
            with pytest.raises(DecryptionError):
                open_grant(_tampered(grant, position, mask), handler.private, ABOUT)


def test_altered_mlkem_ciphertext_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    # Every byte of the ciphertext (ML-KEM's implicit rejection gives a wrong secret).
    for position in range(32, 32 + MLKEM_CIPHERTEXT_BYTES):
        with pytest.raises(DecryptionError):
            open_grant(_tampered(grant, position), handler.private, ABOUT)


def test_altered_sealed_part_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    for position in range(1120, len(grant)):
        with pytest.raises(DecryptionError):
            open_grant(_tampered(grant, position), handler.private, ABOUT)


def test_truncated_or_extended_grant_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    for cut in (0, 1, 32, 1119, 1120, 1121, 1143, 1160, len(grant) - 1):
        with pytest.raises(DecryptionError):
            open_grant(grant[:cut], handler.private, ABOUT)
    with pytest.raises(DecryptionError):
        open_grant(grant + b"\x00", handler.private, ABOUT)


def test_low_order_ephemeral_key_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    with pytest.raises(DecryptionError):
        open_grant(bytes(32) + grant[32:], handler.private, ABOUT)


def test_right_x25519_wrong_mlkem_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    # Someone who broke X25519 (knows the handler's X25519 secret) but not ML-KEM.
    half = HandlerPrivateKeys(x25519=handler.private.x25519, mlkem_seed=bytes(64))
    with pytest.raises(DecryptionError):
        open_grant(grant, half, ABOUT)


def test_right_mlkem_wrong_x25519_fails(grant: bytes, handler: NewHandlerKeys) -> None:
    # Someone who broke ML-KEM (knows the handler's seed) but not X25519.
    half = HandlerPrivateKeys(x25519=bytes(range(32)), mlkem_seed=handler.private.mlkem_seed)
    with pytest.raises(DecryptionError):
        open_grant(grant, half, ABOUT)


def test_mixed_halves_of_two_handlers_fail(
    grant: bytes, handler: NewHandlerKeys, other_handler: NewHandlerKeys
) -> None:
    for mixed in (
        HandlerPrivateKeys(handler.private.x25519, other_handler.private.mlkem_seed),
        HandlerPrivateKeys(other_handler.private.x25519, handler.private.mlkem_seed),
    ):
        with pytest.raises(DecryptionError):
            open_grant(grant, mixed, ABOUT)


def test_grant_to_mixed_public_keys_fails(
    handler: NewHandlerKeys, other_handler: NewHandlerKeys, case_key: bytes
) -> None:
    # A grant built to handler's X25519 key and another's ML-KEM key opens for neither.
    mixed = HandlerPublicKeys(x25519=handler.public.x25519, mlkem=other_handler.public.mlkem)
    grant = make_grant(case_key, mixed, ABOUT)
    for private in (handler.private, other_handler.private):
        with pytest.raises(DecryptionError):
            open_grant(grant, private, ABOUT)


def test_grant_is_bound_to_both_secrets(grant: bytes, handler: NewHandlerKeys) -> None:
    # Reconstruct the combiner to show both shared secrets feed the wrap key: with the
    # X25519 secret alone (ML-KEM secret zeroed) or the ML-KEM secret alone, nothing opens.
    from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey

    from crypto.primitives import keyed_hash

    ephemeral, ct, sealed = grant[:32], grant[32:1120], grant[1120:]
    x_secret = sodium.crypto_scalarmult(handler.private.x25519, ephemeral)
    m_secret = MLKEM768PrivateKey.from_seed_bytes(handler.private.mlkem_seed).decapsulate(ct)
    label = "hotline:grant:x25519+mlkem768:v1"
    purpose = "hotline:grant:v2"
    context = (b"case-key", b"HL-7QX2M9K4TB", b"7")
    to = handler.public

    def key(m: bytes, x: bytes) -> bytes:
        return keyed_hash(m + x, label, ephemeral, ct, to.x25519, to.mlkem)

    assert len(open_sealed(key(m_secret, x_secret), sealed, purpose, *context)) == 32
    for m, x in ((bytes(32), x_secret), (m_secret, bytes(32)), (x_secret, m_secret)):
        with pytest.raises(DecryptionError):
            open_sealed(key(m, x), sealed, purpose, *context)


@pytest.mark.parametrize(
    "other",
    [
        GrantFor(CASE_KEY, "HL-0000000001", 7),  # the row moved to another case
        GrantFor(CASE_KEY, "HL-7QX2M9K4TB", 8),  # to another recipient's row
        GrantFor(NOTES_KEY, "HL-7QX2M9K4TB", 7),  # a case-key grant passed off as notes key
    ],
)
def test_grant_is_bound_to_case_recipient_and_kind(
    grant: bytes, handler: NewHandlerKeys, other: GrantFor
) -> None:
    with pytest.raises(DecryptionError):
        open_grant(grant, handler.private, other)


def test_grant_context_is_checked(handler: NewHandlerKeys, case_key: bytes) -> None:
    with pytest.raises(CryptoError):
        make_grant(case_key, handler.public, GrantFor("other", "HL-7QX2M9K4TB", 7))
    with pytest.raises(CryptoError):
        make_grant(case_key[:16], handler.public, ABOUT)


@pytest.mark.parametrize(
    "about",
    [
        GrantFor(CASE_KEY, "", 7),  # a case's key named for no case
        GrantFor(CASE_KEY, "HL-7QX2M9K4T", 7),  # too short
        GrantFor(NOTES_KEY, "hl-7qx2m9k4tb", 7),  # not the case id's alphabet
        GrantFor(CASE_KEY, "HL-7QX2M9K4TＢ", 7),  # not ASCII (a CryptoError, not a crash)
        GrantFor(CASE_KEY, "HL-7QX2M9K4TB\n", 7),
        GrantFor(CASE_KEY, "HL-7QX2M9K4TB", 0),  # no recipient
        GrantFor(BACKUP_KEY, "HL-7QX2M9K4TB", 0),  # a backup grant is for no case
        GrantFor(BACKUP_KEY, "", 7),  # and for no handler
    ],
)
def test_grant_names_a_well_formed_case_and_recipient(
    handler: NewHandlerKeys, case_key: bytes, about: GrantFor
) -> None:
    """Python and the browser refuse the same malformed contexts (tests/js/units.test.mjs)."""
    with pytest.raises(CryptoError):
        make_grant(case_key, handler.public, about)
    grant = make_grant(case_key, handler.public, ABOUT)
    with pytest.raises(CryptoError):
        open_grant(grant, handler.private, about)
    assert open_grant(
        make_grant(case_key, handler.public, GrantFor(BACKUP_KEY, "", 0)),
        handler.private,
        GrantFor(BACKUP_KEY, "", 0),
    ) == case_key


def test_check_public_keys(handler: NewHandlerKeys, case_key: bytes) -> None:
    check_public_keys(handler.public)
    bad = [
        HandlerPublicKeys(x25519=handler.public.x25519[:31], mlkem=handler.public.mlkem),
        HandlerPublicKeys(x25519=handler.public.x25519, mlkem=handler.public.mlkem[:-1]),
        HandlerPublicKeys(x25519=handler.public.x25519 + b"\x00", mlkem=handler.public.mlkem),
    ]
    for public in bad:
        with pytest.raises(CryptoError):
            check_public_keys(public)
        with pytest.raises(CryptoError):
            make_grant(case_key, public, ABOUT)


def test_low_order_handler_key_refused(handler: NewHandlerKeys, case_key: bytes) -> None:
    public = HandlerPublicKeys(x25519=bytes(32), mlkem=handler.public.mlkem)
    with pytest.raises(CryptoError):
        make_grant(case_key, public, ABOUT)


def test_recovery_key_is_base32_of_raw(handler: NewHandlerKeys) -> None:
    raw = handler_keys.parse_recovery_key(handler.recovery_key)
    assert base64.b32encode(raw).decode().rstrip("=") == handler.recovery_key.replace("-", "")
