"""Hybrid signatures and the signed key directory (crypto/signing.py, crypto/key_directory.py),
in Python and against the browser twin (web/js/signing.js, web/js/key-directory.js)."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crypto import handler_keys, key_directory, signing
from crypto.errors import CryptoError, DecryptionError
from crypto.key_directory import DirectoryError, Entry, EntryBody, Head, KeyNotSigned
from crypto.primitives import Argon2Params
from tests.unit.test_js_interop import js, js_error

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
CHEAP = Argon2Params(ops=1, mem_bytes=8192)
LABEL = "hotline:test:sign:v1"


BUNDLE = Path(__file__).resolve().parents[2] / "web" / "build" / "test" / "hotline-crypto.js"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: the browser signing module cannot be tested")
    if not BUNDLE.exists():
        pytest.fail("web/build/test/hotline-crypto.js is missing: npm --prefix web run build")
    return found


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text("utf-8"))
    return data


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def vector_key(index: int) -> tuple[signing.SigningPrivateKey, signing.SigningPublicKey]:
    k = load("signing.json")["keys"][index]
    private = signing.SigningPrivateKey(
        bytes.fromhex(k["ed25519_seed_hex"]), bytes.fromhex(k["mldsa_seed_hex"])
    )
    return private, private.public()


# --- vectors, Python side ---------------------------------------------------------------


def test_signing_vectors_keys_and_fingerprints() -> None:
    for k in load("signing.json")["keys"]:
        public = signing.SigningPrivateKey(
            bytes.fromhex(k["ed25519_seed_hex"]), bytes.fromhex(k["mldsa_seed_hex"])
        ).public()
        assert public.ed25519.hex() == k["ed25519_public_hex"]
        assert public.mldsa.hex() == k["mldsa_public_hex"]
        assert public.fingerprint() == k["fingerprint"]


def test_signing_vectors_verify_and_only_for_their_key_and_label() -> None:
    data = load("signing.json")
    _, root = vector_key(0)
    _, other = vector_key(1)
    for v in data["signatures"]:
        message, signature = bytes.fromhex(v["message_hex"]), bytes.fromhex(v["signature_hex"])
        signing.verify(root, v["label"], message, signature)
        assert not signing.is_valid(other, v["label"], message, signature)
        assert not signing.is_valid(root, v["label"] + "x", message, signature)


@pytest.mark.parametrize("index", range(5))
def test_a_signature_with_one_half_valid_is_refused(index: int) -> None:
    data = load("signing.json")
    _, root = vector_key(0)
    negative = data["negative"][index]
    with pytest.raises(signing.SignatureError):
        signing.verify(root, LABEL, b"hello", bytes.fromhex(negative["signature_hex"]))


def test_one_half_refused_with_fresh_signatures() -> None:
    """Each half alone verifies on its own; glued to a bad other half, the whole is refused."""
    key, public = vector_key(0)
    other, _ = vector_key(1)
    good = signing.sign(key, LABEL, b"message")
    foreign = signing.sign(other, LABEL, b"message")
    signing.verify(public, LABEL, b"message", good)
    for glued in (good[:64] + foreign[64:], foreign[:64] + good[64:]):
        with pytest.raises(signing.SignatureError):
            signing.verify(public, LABEL, b"message", glued)


def _vector_entries() -> list[Entry]:
    return [Entry.from_json(v["entry"]) for v in load("key_directory.json")["entries"]]


def test_key_directory_vectors_chain_and_current() -> None:
    data = load("key_directory.json")
    _, root = vector_key(0)
    entries = _vector_entries()
    for entry, v in zip(entries, data["entries"], strict=True):
        assert entry.body.message().hex() == v["message_hex"]
    head = key_directory.verify_chain(entries, root)
    assert head == Head(data["head"]["sequence"], bytes.fromhex(data["head"]["hash_hex"]))
    for case in data["current_on"]:
        current = key_directory.current_entries(entries, date.fromisoformat(case["today"]))
        assert {str(h): e.body.sequence for h, e in current.items()} == case["handler_sequence"]


@pytest.mark.parametrize("index", range(3))
def test_key_directory_invalid_chain_vectors_are_refused(index: int) -> None:
    bad = load("key_directory.json")["invalid_chains"][index]
    _, root = vector_key(0)
    for every in (True, False):
        with pytest.raises(DirectoryError):
            key_directory.verify_chain(
                [Entry.from_json(e) for e in bad["entries"]], root, every_signature=every
            )


def test_the_newest_signature_commits_to_the_whole_chain() -> None:
    """Only the newest signature is checked with every_signature=False: a changed older
    entry still fails, through the links the newest signature covers."""
    root = signing.generate()
    entries = _chain(root, 4)
    quick = key_directory.verify_chain(entries, root.public(), every_signature=False)
    assert quick == key_directory.verify_chain(entries, root.public())
    bad_sig = Entry(entries[1].body, entries[1].signature[:-1] + b"\x00")
    with pytest.raises(DirectoryError):  # the stored hash of entry 2 no longer links
        key_directory.verify_chain(
            [entries[0], bad_sig, *entries[2:]], root.public(), every_signature=False
        )


# --- properties ---------------------------------------------------------------------------


def _chain(root: signing.SigningPrivateKey, count: int) -> list[Entry]:
    entries: list[Entry] = []
    previous = key_directory.GENESIS_HASH
    for seq in range(1, count + 1):
        public = handler_keys.generate_private().public()
        body = EntryBody(
            seq,
            seq,
            "compliance",
            "active",
            public.x25519,
            public.mlkem,
            date(2026, 1, 1),
            previous,
        )
        entries.append(key_directory.sign_entry(root, body))
        previous = entries[-1].hash()
    return entries


def test_rollback_and_fork_are_caught_against_a_saved_head() -> None:
    root = signing.generate()
    entries = _chain(root, 3)
    saved = key_directory.verify_chain(entries, root.public())
    assert key_directory.verify_chain(entries, root.public(), expect_head=saved) == saved
    with pytest.raises(DirectoryError, match="rollback"):
        key_directory.verify_chain(entries[:2], root.public(), expect_head=saved)
    # A fork: a different, validly signed entry 3 (the root was used twice).
    fork = _chain(root, 2) + entries[2:]
    other = replace(_chain(root, 1)[0].body, sequence=3, previous_hash=entries[1].hash())
    forked = [*entries[:2], key_directory.sign_entry(root, other)]
    with pytest.raises(DirectoryError, match="fork"):
        key_directory.verify_chain(forked, root.public(), expect_head=saved)
    with pytest.raises(DirectoryError):
        key_directory.verify_chain(fork, root.public())
    # Growing past the saved head is fine.
    fourth = replace(entries[0].body, sequence=4, previous_hash=entries[2].hash())
    grown = [*entries, key_directory.sign_entry(root, fourth)]
    assert key_directory.verify_chain(grown, root.public(), expect_head=saved).sequence == 4


def test_another_root_is_refused() -> None:
    root = signing.generate()
    entries = _chain(root, 2)
    with pytest.raises(DirectoryError, match="signature"):
        key_directory.verify_chain(entries, signing.generate().public())


def test_check_keys_refuses_substituted_revoked_and_unsigned() -> None:
    root = signing.generate()
    entries = _chain(root, 2)
    current = key_directory.current_entries(entries, date(2026, 1, 1))
    body = entries[0].body
    assert key_directory.check_keys(current, 1, "compliance", body.public) == entries[0]
    other = handler_keys.generate_private().public()
    for public in (
        handler_keys.HandlerPublicKeys(other.x25519, body.mlkem),
        handler_keys.HandlerPublicKeys(body.x25519, other.mlkem),
    ):
        with pytest.raises(KeyNotSigned):
            key_directory.check_keys(current, 1, "compliance", public)
    with pytest.raises(KeyNotSigned):
        key_directory.check_keys(current, 1, "harassment", body.public)
    with pytest.raises(KeyNotSigned):
        key_directory.check_keys(current, 3, "compliance", body.public)
    revoked = key_directory.sign_entry(
        root, replace(body, sequence=3, status="revoked", previous_hash=entries[1].hash())
    )
    current = key_directory.current_entries([*entries, revoked], date(2026, 1, 1))
    with pytest.raises(KeyNotSigned, match="revoked"):
        key_directory.check_keys(current, 1, "compliance", body.public)
    # Not valid yet: an entry from tomorrow does not count today.
    assert key_directory.current_entries(entries, date(2025, 12, 31)) == {}


def test_root_file_round_trip_and_wrong_passphrase() -> None:
    root = signing.generate()
    text = signing.root_file(root, "a long root passphrase", CHEAP)
    assert root.ed25519_seed.hex() not in text and b64(root.to_bytes()) not in text
    assert signing.open_root_file(text, "a long root passphrase") == root
    with pytest.raises(DecryptionError):
        signing.open_root_file(text, "the wrong passphrase")
    assert signing.read_public(text) == root.public()
    assert signing.read_public(signing.public_file(root.public())) == root.public()
    assert signing.read_public(b64(root.public().to_bytes())) == root.public()
    forged = json.loads(signing.public_file(root.public()))
    forged["fingerprint"] = signing.generate().public().fingerprint()
    with pytest.raises(CryptoError):
        signing.read_public(json.dumps(forged))


def test_entry_json_round_trip_and_stated_hash() -> None:
    entry = _chain(signing.generate(), 1)[0]
    assert Entry.from_json(entry.to_json()) == entry
    with pytest.raises(DirectoryError):
        Entry.from_json({**entry.to_json(), "hash": "00" * 32})
    with pytest.raises(CryptoError):
        Entry.from_json({**entry.to_json(), "sequence": "1"})


# --- Python <-> JavaScript -------------------------------------------------------------------


def test_javascript_signatures_verify_in_python(node: str) -> None:
    key = signing.generate()
    message = "署名 test".encode()
    answer = js(
        node,
        "sign",
        ed25519_seed=b64(key.ed25519_seed),
        mldsa_seed=b64(key.mldsa_seed),
        label=LABEL,
        message=b64(message),
    )
    assert base64.b64decode(answer["public"]) == key.public().to_bytes()
    signature = base64.b64decode(answer["signature"])
    signing.verify(key.public(), LABEL, message, signature)
    for glued in (
        signature[:64] + signing.sign(signing.generate(), LABEL, message)[64:],
        bytes([signature[0] ^ 1]) + signature[1:],
        signature[:-1] + bytes([signature[-1] ^ 1]),
    ):
        assert not signing.is_valid(key.public(), LABEL, message, glued)


def test_python_signatures_verify_in_javascript(node: str) -> None:
    key = signing.generate()
    signature = signing.sign(key, LABEL, b"python")
    fields = {"public": b64(key.public().to_bytes()), "label": LABEL, "message": b64(b"python")}
    assert js(node, "verify", signature=b64(signature), **fields) == {"ok": True}
    foreign = signing.sign(signing.generate(), LABEL, b"python")
    for glued in (signature[:64] + foreign[64:], foreign[:64] + signature[64:]):
        assert js_error(node, "verify", signature=b64(glued), **fields) == "SignatureError"


def test_python_directory_verifies_in_javascript_and_substitution_is_refused(node: str) -> None:
    root = signing.generate()
    entries = _chain(root, 3)
    head = key_directory.verify_chain(entries, root.public())
    payload = {"root": b64(root.public().to_bytes()), "entries": [e.to_json() for e in entries]}
    answer = js(node, "verify_directory", **payload)
    assert answer == {"sequence": 3, "hash": head.hash.hex()}
    saved = {"sequence": head.sequence, "hash": head.hash.hex()}
    cut = {**payload, "entries": payload["entries"][:2], "expect_head": saved}
    assert js_error(node, "verify_directory", **cut) == "DirectoryError"
    attacker = handler_keys.generate_private().public()
    swapped = Entry(replace(entries[1].body, mlkem=attacker.mlkem), entries[1].signature)
    third = Entry(replace(entries[2].body, previous_hash=swapped.hash()), entries[2].signature)
    rechained = [entries[0], swapped, third]
    bad = {**payload, "entries": [e.to_json() for e in rechained]}
    assert js_error(node, "verify_directory", **bad) == "DirectoryError"
