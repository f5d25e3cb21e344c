"""The shared Python <-> JavaScript vectors in tests/vectors/ hold for the Python side.

Deterministic values are recomputed with crypto/ (and, where a second implementation is at
hand, with it too: hashlib's BLAKE2b, cryptography's Argon2id and X25519); ciphertext
vectors are opened. A last test checks the committed files match what generate.py writes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import nacl.bindings as sodium
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from crypto import attachments, grants, handler_keys, padding, receipts, sealing
from crypto import pow as pow_rule
from crypto.errors import DecryptionError, InvalidReceipt
from crypto.primitives import (
    Argon2Params,
    argon2id,
    keyed_hash,
    normalise_password,
    open_sealed,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
FILES = [
    "argon2id.json",
    "keyed_hash.json",
    "receipts.json",
    "padding.json",
    "aead.json",
    "handler_keys.json",
    "grants.json",
    "sealing.json",
    "attachments.json",
    "signing.json",
    "key_directory.json",
    "pow.json",
]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text("utf-8"))
    return data


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def _aead(key: bytes, plaintext: bytes, purpose: str, nonce: bytes) -> bytes:
    body: bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, purpose.encode("ascii"), nonce, key
    )
    return nonce + body


def test_every_file_is_present_and_has_vectors() -> None:
    present = sorted(p.name for p in VECTORS.glob("*.json"))
    assert present == sorted(FILES)
    for name in FILES:
        data = load(name)
        assert data["description"]
    assert (VECTORS / "README.md").exists()


# --- argon2id ---------------------------------------------------------------------------


def test_argon2id_vectors() -> None:
    vectors = load("argon2id.json")["vectors"]
    assert len(vectors) >= 16
    seen = {(v["ops"], v["mem_bytes"]) for v in vectors}
    assert seen == {(1, 8192), (2, 8192), (1, 65536), (2, 65536)}
    for v in vectors:
        secret = h(v["input_hex"])
        if v["kind"].startswith("password"):
            assert normalise_password(v["input"]) == secret
        else:
            assert v["input"].encode("ascii") == secret
        salt = h(v["salt_hex"])
        assert len(salt) == 16
        params = Argon2Params(ops=v["ops"], mem_bytes=v["mem_bytes"])
        expected = h(v["output_hex"])
        assert len(expected) == v["size"]
        assert argon2id(secret, salt, params, size=v["size"]) == expected
        # A second, independent Argon2id (OpenSSL via cryptography): libsodium uses 1 lane.
        other = Argon2id(
            salt=salt,
            length=v["size"],
            iterations=v["ops"],
            lanes=1,
            memory_cost=v["mem_bytes"] // 1024,
        ).derive(secret)
        assert other == expected


def test_argon2id_nfd_password_vector_is_normalised() -> None:
    vectors = load("argon2id.json")["vectors"]
    nfd = [v for v in vectors if "NFD" in v["kind"]]
    assert nfd
    for v in nfd:
        assert v["input"].encode() != h(v["input_hex"])


# --- keyed_hash -------------------------------------------------------------------------


def _aead_ad(key: bytes, plaintext: bytes, ad: bytes, nonce: bytes) -> bytes:
    body: bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key)
    return nonce + body


def _frame(label: str, parts: list[bytes]) -> bytes:
    out = bytearray()
    for item in [label.encode("ascii"), *parts]:
        out += len(item).to_bytes(4, "big") + item
    return bytes(out)


def test_keyed_hash_vectors() -> None:
    vectors = load("keyed_hash.json")["vectors"]
    assert len(vectors) >= 8
    for v in vectors:
        key = h(v["key_hex"])
        parts = [h(p) for p in v["parts_hex"]]
        expected = h(v["output_hex"])
        assert len(expected) == v["size"]
        assert keyed_hash(key, v["label"], *parts, size=v["size"]) == expected
        assert _frame(v["label"], parts) == h(v["message_hex"])
        independent = hashlib.blake2b(h(v["message_hex"]), key=key, digest_size=v["size"])
        assert independent.digest() == expected


def test_keyed_hash_framing_vectors_differ() -> None:
    vectors = load("keyed_hash.json")["vectors"]
    ab_c = next(v for v in vectors if v["parts_hex"] == [b"ab".hex(), b"c".hex()])
    a_bc = next(v for v in vectors if v["parts_hex"] == [b"a".hex(), b"bc".hex()])
    assert ab_c["key_hex"] == a_bc["key_hex"]
    assert ab_c["output_hex"] != a_bc["output_hex"]


# --- receipts ---------------------------------------------------------------------------


def test_receipt_damm_vectors() -> None:
    data = load("receipts.json")
    table = data["damm_table"]
    assert [tuple(int(d) for d in row) for row in table] == [tuple(r) for r in receipts._DAMM]
    for v in data["damm"]:
        assert receipts.damm_digit(v["body"]) == v["check_digit"]
        assert v["receipt"] == v["body"] + str(v["check_digit"])
        assert receipts.is_valid(v["receipt"])
        # Recompute from the table in the file, as the JS side would.
        interim = 0
        for ch in v["body"]:
            interim = int(table[interim][int(ch)])
        assert interim == v["check_digit"]


def test_receipt_format_and_parse_vectors() -> None:
    data = load("receipts.json")
    for v in data["format"]:
        assert receipts.format_receipt(v["receipt"]) == v["formatted"]
    accepted = refused = 0
    for v in data["parse"]:
        if v["output"] is None:
            refused += 1
            with pytest.raises(InvalidReceipt):
                receipts.parse(v["input"])
        else:
            accepted += 1
            assert receipts.parse(v["input"]) == v["output"]
    assert accepted >= 5
    assert refused >= 4


def test_receipt_derive_vectors() -> None:
    data = load("receipts.json")
    assert data["derive"]
    for v in data["derive"]:
        salt = h(v["salt_hex"])
        params = Argon2Params(ops=v["ops"], mem_bytes=v["mem_bytes"])
        derived = receipts.derive(v["receipt"], salt, params)
        assert derived.lookup_tag == h(v["lookup_tag_hex"])
        assert derived.wrap_key == h(v["wrap_key_hex"])
        master = argon2id(v["receipt"].encode("ascii"), salt, params)
        assert master == h(v["master_hex"])
        assert keyed_hash(master, data["lookup_label"]) == derived.lookup_tag
        assert keyed_hash(master, data["wrap_label"]) == derived.wrap_key


# --- padding ----------------------------------------------------------------------------


def test_padding_vectors() -> None:
    data = load("padding.json")
    for v in data["buckets"]:
        assert padding.bucket_size(v["length"]) == v["padded_length"]
        assert len(padding.pad(bytes(v["length"]))) == v["padded_length"]
    for v in data["examples"]:
        assert padding.pad(h(v["data_hex"])) == h(v["padded_hex"])
        assert padding.unpad(h(v["padded_hex"])) == h(v["data_hex"])
    for v in data["invalid"]:
        with pytest.raises(DecryptionError):
            padding.unpad(h(v["padded_hex"]))


# --- aead -------------------------------------------------------------------------------


def test_aead_vectors() -> None:
    data = load("aead.json")
    for v in data["vectors"]:
        key, nonce, plaintext = h(v["key_hex"]), h(v["nonce_hex"]), h(v["plaintext_hex"])
        sealed = h(v["sealed_hex"])
        assert sealed[:24] == nonce
        assert len(sealed) == 24 + len(plaintext) + 16
        assert _aead(key, plaintext, v["purpose"], nonce) == sealed
        assert open_sealed(key, sealed, v["purpose"]) == plaintext


def test_aead_negative_vectors() -> None:
    data = load("aead.json")
    assert len(data["negative"]) >= 3
    for v in data["negative"]:
        with pytest.raises(DecryptionError):
            open_sealed(h(v["key_hex"]), h(v["sealed_hex"]), v["purpose"])


# --- handler keys -----------------------------------------------------------------------


def test_x25519_vectors() -> None:
    for v in load("handler_keys.json")["x25519"]:
        secret, public = h(v["secret_hex"]), h(v["public_hex"])
        assert sodium.crypto_scalarmult_base(secret) == public
        other = X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
        assert other == public


def test_mlkem_public_key_vectors() -> None:
    vectors = load("handler_keys.json")["mlkem768"]
    assert vectors
    for v in vectors:
        public = h(v["public_hex"])
        assert len(h(v["seed_hex"])) == 64
        assert len(public) == 1184
        assert handler_keys.mlkem_public_from_seed(h(v["seed_hex"])) == public


def test_password_secrets_vectors() -> None:
    for v in load("handler_keys.json")["password_secrets"]:
        assert normalise_password(v["password"]) == h(v["password_nfc_hex"])
        params = Argon2Params(ops=v["ops"], mem_bytes=v["mem_bytes"])
        derived = handler_keys.password_secrets(v["password"], h(v["salt_hex"]), params)
        assert derived.auth == h(v["auth_hex"])
        assert derived.unwrap_key == h(v["unwrap_key_hex"])


def test_wrapped_private_vector() -> None:
    v = load("handler_keys.json")["wrapped_private"]
    bundle, key, wrapped = h(v["bundle_hex"]), h(v["unwrap_key_hex"]), h(v["wrapped_hex"])
    private = handler_keys.unwrap_private(wrapped, key)
    assert private.bundle() == bundle
    assert _aead(key, bundle, v["purpose"], h(v["nonce_hex"])) == wrapped
    # The vector's purpose is the one crypto/ uses: a copy sealed by crypto/ opens with it.
    fresh = handler_keys.wrap_private(private, key)
    assert open_sealed(key, fresh, v["purpose"]) == bundle


def test_recovery_vector() -> None:
    v = load("handler_keys.json")["recovery"]
    raw = h(v["raw_hex"])
    assert handler_keys.format_recovery_key(raw) == v["recovery_key"]
    assert handler_keys.parse_recovery_key(v["recovery_key"]) == raw
    assert keyed_hash(raw, v["label"]) == h(v["wrap_key_hex"])
    wrapped = h(v["wrapped_hex"])
    assert _aead(h(v["wrap_key_hex"]), h(v["bundle_hex"]), v["purpose"], h(v["nonce_hex"])) == (
        wrapped
    )
    private = handler_keys.unwrap_with_recovery_key(wrapped, v["recovery_key"])
    assert private.bundle() == h(v["bundle_hex"])


def test_handler_key_vectors_agree_with_each_other() -> None:
    data = load("handler_keys.json")
    bundle = h(data["wrapped_private"]["bundle_hex"])
    x25519 = {v["secret_hex"]: v["public_hex"] for v in data["x25519"]}
    mlkem = {v["seed_hex"]: v["public_hex"] for v in data["mlkem768"]}
    assert bundle[:32].hex() in x25519
    assert bundle[32:].hex() in mlkem
    assert (
        data["password_secrets"][0]["unwrap_key_hex"] == data["wrapped_private"]["unwrap_key_hex"]
    )


# --- grants -----------------------------------------------------------------------------


def _about(v: dict[str, Any]) -> grants.GrantFor:
    return grants.GrantFor(v["kind"], v["case_id"], v["handler_id"])


def _recipient(v: dict[str, Any]) -> handler_keys.HandlerPrivateKeys:
    r = v["recipient"]
    return handler_keys.HandlerPrivateKeys(
        x25519=h(r["x25519_secret_hex"]), mlkem_seed=h(r["mlkem_seed_hex"])
    )


def test_grant_vectors_open() -> None:
    data = load("grants.json")
    assert data["vectors"]
    assert data["purpose"] == grants.PURPOSE
    for v in data["vectors"]:
        r = v["recipient"]
        private = _recipient(v)
        public = private.public()
        assert public.x25519 == h(r["x25519_public_hex"])
        assert public.mlkem == h(r["mlkem_public_hex"])
        grant = h(v["grant_hex"])
        assert len(grant) == data["grant_bytes"] == grants.GRANT_BYTES == 1192
        assert grants.open_grant(grant, private, _about(v)) == h(v["key_hex"])
        # The associated data names the kind of key, the case and the recipient.
        ad = _frame(
            data["purpose"], [str(v[k]).encode() for k in ("kind", "case_id", "handler_id")]
        )
        assert ad == h(v["ad_hex"])
        # The intermediate values are what the combiner documents.
        ephemeral, ct = grant[:32], grant[32:1120]
        x_secret = sodium.crypto_scalarmult(private.x25519, ephemeral)
        assert x_secret == h(v["x25519_shared_hex"])
        wrap_key = keyed_hash(
            h(v["mlkem_shared_hex"]) + x_secret,
            data["label"],
            ephemeral,
            ct,
            public.x25519,
            public.mlkem,
        )
        assert wrap_key == h(v["wrap_key_hex"])
        body = grant[1120:]
        plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            body[24:], ad, body[:24], wrap_key
        )
        assert plain == h(v["key_hex"])


def test_grant_vectors_bound_to_case_recipient_and_kind() -> None:
    data = load("grants.json")
    assert len(data["negative"]) >= 3
    for n in data["negative"]:
        v = data["vectors"][n["vector"]]
        with pytest.raises(DecryptionError):
            grants.open_grant(h(v["grant_hex"]), _recipient(v), _about(n))


def test_grant_vectors_do_not_open_for_another_recipient() -> None:
    vectors = load("grants.json")["vectors"]
    assert len(vectors) >= 2
    first, second = vectors[0], vectors[1]
    with pytest.raises(DecryptionError):
        grants.open_grant(h(first["grant_hex"]), _recipient(second), _about(first))


# --- sealing ----------------------------------------------------------------------------


def _ctx(v: dict[str, Any]) -> tuple[bytes, ...]:
    return tuple(part.encode("ascii") for part in v["context"])


def test_sealing_vectors() -> None:
    data = load("sealing.json")
    keys = {"case_key": h(data["case_key_hex"]), "notes_key": h(data["notes_key_hex"])}
    assert data["documents"]
    for v in data["documents"]:
        key, sealed = keys[v["key"]], h(v["sealed_hex"])
        assert _frame(v["purpose"], list(_ctx(v))) == h(v["ad_hex"])
        assert sealing.open_document(key, sealed, v["purpose"], *_ctx(v)) == v["document"]
        raw = json.dumps(v["document"], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        assert raw == v["serialised"]
        padded = padding.pad(raw.encode("utf-8"))
        assert _aead_ad(key, padded, h(v["ad_hex"]), h(v["nonce_hex"])) == sealed
        with pytest.raises(DecryptionError):
            sealing.open_document(key, sealed, v["purpose"])  # unbound: refused
    report = data["documents"][0]
    case_id = report["context"][0]
    assert sealing.open_report(keys["case_key"], h(report["sealed_hex"]), case_id)
    assert data["texts"]
    for v in data["texts"]:
        key, sealed = keys[v["key"]], h(v["sealed_hex"])
        assert sealing.open_text(key, sealed, v["purpose"], *_ctx(v)) == v["text"]
        padded = padding.pad(v["text"].encode("utf-8"))
        assert _aead_ad(key, padded, h(v["ad_hex"]), h(v["nonce_hex"])) == sealed
        case, author, seq = v["context"]
        if v["purpose"] == sealing.MESSAGE:
            assert sealing.open_message(key, sealed, case, author, int(seq)) == v["text"]
        else:
            handler_id = int(author.removeprefix("handler:"))
            assert sealing.open_note(key, sealed, case, handler_id, int(seq)) == v["text"]
    reporter = data["reporter_case_key"]
    assert reporter["purpose"] == sealing.REPORTER_KEY
    assert (
        sealing.unwrap_case_key_for_reporter(h(reporter["sealed_hex"]), h(reporter["wrap_key_hex"]))
        == keys["case_key"]
    )
    file_key = data["file_key"]
    assert file_key["purpose"] == sealing.FILE_KEY
    assert _aead_ad(
        keys["case_key"],
        h(file_key["file_key_hex"]),
        h(file_key["ad_hex"]),
        h(file_key["nonce_hex"]),
    ) == h(file_key["sealed_hex"])
    assert attachments.open_file_key(
        keys["case_key"], h(file_key["sealed_hex"]), file_key["context"][0]
    ) == h(file_key["file_key_hex"])
    with pytest.raises(DecryptionError):
        attachments.open_file_key(keys["case_key"], h(file_key["sealed_hex"]), "HL-0000000001")


def test_sealing_vectors_moved_do_not_open() -> None:
    data = load("sealing.json")
    keys = {"case_key": h(data["case_key_hex"]), "notes_key": h(data["notes_key_hex"])}
    assert len(data["moved"]) >= 4
    for m in data["moved"]:
        v = data["texts"][m["text"]]
        with pytest.raises(DecryptionError):
            sealing.open_text(
                keys[v["key"]],
                h(v["sealed_hex"]),
                v["purpose"],
                *_ctx(m),
            )


def test_case_id_vectors() -> None:
    ids = load("sealing.json")["case_ids"]
    assert all(sealing.is_case_id(x) for x in ids["valid"])
    assert not any(sealing.is_case_id(x) for x in ids["invalid"])
    assert sealing.is_case_id(sealing.new_case_id())


def test_sealing_purposes_match_crypto() -> None:
    data = load("sealing.json")
    purposes = {v["purpose"] for v in data["documents"] + data["texts"]}
    assert purposes == {sealing.REPORT, sealing.MESSAGE, sealing.NOTE, sealing.ATTACHMENT_META}


# --- attachments ------------------------------------------------------------------------


def _stream(key: bytes, blocks: list[tuple[int, bytes]]) -> bytes:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    out = [sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)]
    for tag, plain in blocks:
        out.append(sodium.crypto_secretstream_xchacha20poly1305_push(state, plain, None, tag))
    return b"".join(out)


def _recipe_block(block: dict[str, Any]) -> tuple[int, bytes]:
    plain = bytearray(block["length"])
    for offset, data in block["set"]:
        plain[offset : offset + len(data) // 2] = h(data)
    return block["tag"], bytes(plain)


def test_attachment_constants_and_buckets() -> None:
    data = load("attachments.json")
    assert data["chunk_bytes"] == attachments.CHUNK_BYTES
    assert data["min_bucket"] == attachments.MIN_BUCKET
    assert data["trailer_bytes"] == attachments.TRAILER_BYTES
    assert data["description_max_bytes"] == attachments.DESCRIPTION_MAX_BYTES
    for v in data["buckets"]:
        assert attachments.bucket_size(v["length"]) == v["bucket"], v
        assert attachments.encrypted_size(v["length"]) == v["encrypted_size"], v
        assert attachments.is_padded_size(v["encrypted_size"])


def test_attachment_padded_vectors() -> None:
    data = load("attachments.json")
    key = h(data["file_key_hex"])
    by_bucket: dict[int, set[int]] = {}
    for v in data["padded"]:
        plaintext = bytes(i % 251 for i in range(v["length"]))
        assert hashlib.sha256(plaintext).hexdigest() == v["plaintext_sha256"]
        ciphertext = h(v["ciphertext_hex"])
        assert len(ciphertext) == attachments.encrypted_size(v["length"])
        by_bucket.setdefault(v["bucket"], set()).add(len(ciphertext))
        checked = attachments.check_file(key, [ciphertext])
        assert (checked.length, checked.padded) == (v["length"], True)
        assert b"".join(attachments.read_file(key, [ciphertext], checked)) == plaintext
        with pytest.raises(DecryptionError):
            attachments.check_file(key, [ciphertext[:-1]])
    # Files of different sizes in one bucket have one ciphertext length.
    assert len(data["padded"]) > len(by_bucket) and all(len(s) == 1 for s in by_bucket.values())


def test_attachment_unpadded_vectors_still_open() -> None:
    data = load("attachments.json")
    key = h(data["file_key_hex"])
    lengths = {v["length"] for v in data["unpadded"]}
    assert {0, attachments.CHUNK_BYTES, attachments.CHUNK_BYTES + 100} <= lengths
    for v in data["unpadded"]:
        plaintext = bytes(i % 251 for i in range(v["length"]))
        assert hashlib.sha256(plaintext).hexdigest() == v["plaintext_sha256"]
        ciphertext = h(v["ciphertext_hex"])
        assert len(ciphertext) == attachments.stream_size(v["length"])
        assert b"".join(attachments.decrypt_stream(key, [ciphertext])) == plaintext
        checked = attachments.check_file(key, [ciphertext])
        assert (checked.length, checked.padded) == (v["length"], False)
        assert attachments.decrypt_file(key, [ciphertext]) == plaintext
        with pytest.raises(DecryptionError):
            attachments.check_file(key, [ciphertext[:-1]])


def test_attachment_recipes() -> None:
    data = load("attachments.json")
    key = h(data["file_key_hex"])
    assert any(r["expect_hex"] is not None for r in data["recipes"])
    for recipe in data["recipes"]:
        ciphertext = _stream(key, [_recipe_block(b) for b in recipe["blocks"]])
        if recipe["expect_hex"] is None:
            with pytest.raises(DecryptionError):
                attachments.check_file(key, [ciphertext])
        else:
            assert attachments.decrypt_file(key, [ciphertext]) == h(recipe["expect_hex"])


def test_attachment_descriptions() -> None:
    data = load("attachments.json")
    case_key = bytes(range(32))
    for v in data["descriptions"]:
        document = attachments.describe_file(
            v["name"], v["type"], v["size"], v["metadata_stripped"]
        )
        assert document == v["document"]
        sealed = sealing.seal_document(case_key, document, sealing.ATTACHMENT_META)
        assert len(sealed) == 24 + 16 + 1024
    assert any(len(v["document"]["name"]) < min(len(v["name"]), 200) for v in data["descriptions"])


# --- the files are what the generator writes --------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vectors_generate", VECTORS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", FILES)
def test_committed_files_match_generator(name: str) -> None:
    generator = _generator()
    build = generator.builders()[name]
    text = generator.render(build())
    assert text == (VECTORS / name).read_text("utf-8"), (
        f"{name} is stale: run .venv/bin/python tests/vectors/generate.py"
    )


# --- pow ---------------------------------------------------------------------------------


def test_pow_vectors() -> None:
    for v in load("pow.json")["vectors"]:
        challenge = bytes.fromhex(v["challenge_hex"])
        fields = [bytes.fromhex(f) for f in v["fields_hex"]]
        digest = pow_rule.submission_digest(challenge, fields)
        assert digest.hex() == v["digest_hex"]
        nonce = bytes.fromhex(v["nonce_hex"])
        assert pow_rule.check(challenge, digest, nonce, v["bits"])
        assert pow_rule.solve(challenge, digest, v["bits"]) == nonce
        assert pow_rule.header_value(challenge, digest, nonce) == v["header"]
