"""Write the Python <-> JavaScript test vectors in this folder.

Run from the project root:  .venv/bin/python tests/vectors/generate.py [--fresh]

Every input is hard-coded, and every AEAD nonce is fixed, so the output is deterministic.
The only exceptions are hybrid grants (ML-KEM encapsulation takes no caller randomness)
and secretstream attachments (libsodium picks the stream header): for those, an existing
vector is kept as long as it still opens to the expected values with the current code,
so regenerating changes nothing unless the format changed. `--fresh` makes new ones.
`tests/unit/test_vectors.py` checks every file against the Python implementation.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey

from crypto import (
    attachments,
    grants,
    handler_keys,
    key_directory,
    padding,
    receipts,
    sealing,
    signing,
)
from crypto import pow as pow_rule
from crypto.errors import CryptoError
from crypto.primitives import Argon2Params, argon2id, keyed_hash, normalise_password

HERE = Path(__file__).resolve().parent
CHEAP = Argon2Params(ops=1, mem_bytes=8192)

Json = dict[str, Any]

# Labels and purposes, repeated here on purpose: a change in crypto/ must show up as a
# failing vector, not silently regenerate.
RECEIPT_LOOKUP_LABEL = "hotline:receipt:lookup:v1"
RECEIPT_WRAP_LABEL = "hotline:receipt:wrap:v1"
RECOVERY_WRAP_LABEL = "hotline:recovery:wrap:v1"
PASSWORD_PURPOSE = "hotline:handler-private:password:v1"
RECOVERY_PURPOSE = "hotline:handler-private:recovery:v1"
GRANT_LABEL = "hotline:grant:x25519+mlkem768:v1"
GRANT_PURPOSE = "hotline:grant:v2"
CASE_ID = "HL-7QX2M9K4TB"
OTHER_CASE_ID = "HL-0000000001"


def _hex(data: bytes) -> str:
    return data.hex()


def _pattern(length: int, start: int = 0, step: int = 1) -> bytes:
    """Deterministic test bytes: (start + i * step) mod 256."""
    return bytes((start + i * step) % 256 for i in range(length))


def _nonce(n: int) -> bytes:
    return _pattern(24, start=0xA0 + n)


def _aead(key: bytes, plaintext: bytes, purpose: str, nonce: bytes) -> bytes:
    """What crypto.primitives.seal produces, with a chosen nonce: nonce | ciphertext | tag."""
    body: bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, purpose.encode("ascii"), nonce, key
    )
    return nonce + body


def _aead_ad(key: bytes, plaintext: bytes, ad: bytes, nonce: bytes) -> bytes:
    """A seal with explicit associated data (purpose and context framed, see _frame)."""
    body: bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key)
    return nonce + body


def _frame(label: str, parts: list[bytes]) -> bytes:
    out = bytearray()
    for item in [label.encode("ascii"), *parts]:
        out += len(item).to_bytes(4, "big") + item
    return bytes(out)


def _load(name: str) -> Json | None:
    path = HERE / name
    if not path.exists():
        return None
    loaded: Json = json.loads(path.read_text("utf-8"))
    return loaded


# --- argon2id.json ----------------------------------------------------------------------


def build_argon2id() -> Json:
    receipt = "123456789012345" + str(receipts.damm_digit("123456789012345"))
    inputs: list[tuple[str, str]] = [
        ("password", "correct horse battery staple"),
        ("password", "パスワード123"),
        ("password (NFD input, hashed as NFC)", "cafe\u0301 cr\u00e8me"),
        ("password", ""),
        ("receipt", receipt),
    ]
    vectors = []
    for index, (kind, text) in enumerate(inputs):
        secret = normalise_password(text) if kind.startswith("password") else text.encode("ascii")
        salt = _pattern(16, start=index * 16)
        for ops, mem in ((1, 8192), (2, 8192), (1, 65536), (2, 65536)):
            size = 64 if kind.startswith("password") else 32
            output = argon2id(secret, salt, Argon2Params(ops=ops, mem_bytes=mem), size=size)
            vectors.append(
                {
                    "kind": kind,
                    "input": text,
                    "input_hex": _hex(secret),
                    "salt_hex": _hex(salt),
                    "ops": ops,
                    "mem_bytes": mem,
                    "size": size,
                    "output_hex": _hex(output),
                }
            )
    return {
        "description": "Argon2id v1.3 (libsodium crypto_pwhash, ALG_ARGON2ID13). input_hex is "
        "the exact secret: passwords NFC-normalised then UTF-8; receipts as ASCII digits.",
        "vectors": vectors,
    }


# --- keyed_hash.json --------------------------------------------------------------------


def build_keyed_hash() -> Json:
    cases: list[tuple[bytes, str, list[bytes], int]] = [
        (_pattern(32), "l", [b"ab", b"c"], 32),
        (_pattern(32), "l", [b"a", b"bc"], 32),
        (_pattern(32), "l", [], 32),
        (_pattern(32), "l", [b""], 32),
        (_pattern(16, 0x10), "hotline:test:v1", [b"hello", b"world"], 32),
        (_pattern(64, 0x40), RECEIPT_LOOKUP_LABEL, [], 32),
        (_pattern(64, 0x40), RECEIPT_WRAP_LABEL, [], 32),
        (_pattern(32, 0x20), RECOVERY_WRAP_LABEL, [], 32),
        (_pattern(64, 0x80), GRANT_LABEL, [_pattern(32, 1), _pattern(1088, 2), b"x" * 3], 32),
        (_pattern(32, 7, 3), "hotline:pepper:tag:login", ["日本".encode()], 32),
        (_pattern(32), "size-64", [b"part"], 64),
    ]
    vectors = []
    for key, label, parts, size in cases:
        vectors.append(
            {
                "key_hex": _hex(key),
                "label": label,
                "parts_hex": [_hex(part) for part in parts],
                "size": size,
                "message_hex": _hex(_frame(label, parts)),
                "output_hex": _hex(keyed_hash(key, label, *parts, size=size)),
            }
        )
    return {
        "description": "keyed_hash(key, label, *parts, size): BLAKE2b with key (16..64 bytes) "
        "and digest length `size` over message = frame(label ASCII) | frame(part)... where "
        "frame(x) = 4-byte big-endian length of x, then x. No salt or personalisation.",
        "vectors": vectors,
    }


# --- receipts.json ----------------------------------------------------------------------


def build_receipts() -> Json:
    bodies = [
        "000000000000000",
        "123456789012345",
        "999999999999999",
        "572000000000000",
        "314159265358979",
        "271828182845904",
        "100000000000000",
        "000000000000001",
    ]
    damm: list[Json] = [
        {
            "body": body,
            "check_digit": receipts.damm_digit(body),
            "receipt": body + str(receipts.damm_digit(body)),
        }
        for body in bodies
    ]
    sample: str = damm[1]["receipt"]
    full_width = sample.translate({0x30 + i: 0xFF10 + i for i in range(10)})
    bad_check = sample[:-1] + str((int(sample[-1]) + 1) % 10)
    parse_inputs = [
        sample,
        receipts.format_receipt(sample),
        "-".join(sample[i : i + 4] for i in range(0, 16, 4)),
        f"  {receipts.format_receipt(sample)}  ",
        full_width,
        "\u3000".join(full_width[i : i + 4] for i in range(0, 16, 4)),
        # What Japanese input methods type for "-": minus sign, prolonged sound mark, full-width.
        "\u2212".join(sample[i : i + 4] for i in range(0, 16, 4)),
        "\u30fc".join(full_width[i : i + 4] for i in range(0, 16, 4)),
        "\uff0d".join(full_width[i : i + 4] for i in range(0, 16, 4)),
        sample[:15],
        sample + "0",
        sample[:15] + "a",
        bad_check,
        "",
    ]
    parse: list[Json] = []
    for text in parse_inputs:
        try:
            parse.append({"input": text, "output": receipts.parse(text)})
        except CryptoError as exc:
            parse.append({"input": text, "output": None, "error": type(exc).__name__})
    derive = []
    for index, receipt in enumerate([sample, damm[0]["receipt"], damm[4]["receipt"]]):
        salt = _pattern(16, start=0x30 + index)
        master = argon2id(receipt.encode("ascii"), salt, CHEAP)
        derived = receipts.derive(receipt, salt, CHEAP)
        derive.append(
            {
                "receipt": receipt,
                "salt_hex": _hex(salt),
                "ops": CHEAP.ops,
                "mem_bytes": CHEAP.mem_bytes,
                "master_hex": _hex(master),
                "lookup_tag_hex": _hex(derived.lookup_tag),
                "wrap_key_hex": _hex(derived.wrap_key),
            }
        )
    return {
        "description": "Receipts: 15 digits + Damm check digit. master = Argon2id(ASCII digits, "
        "salt, ops, mem, 32 bytes); lookup_tag = keyed_hash(master, lookup_label); wrap_key = "
        "keyed_hash(master, wrap_label). parse: output null means the input is refused. "
        "damm_table[i][d]: the next interim digit from interim i on digit d; a receipt is "
        "valid when the interim after all 16 digits is 0.",
        "damm_table": ["".join(str(d) for d in row) for row in receipts._DAMM],
        "lookup_label": RECEIPT_LOOKUP_LABEL,
        "wrap_label": RECEIPT_WRAP_LABEL,
        "damm": damm,
        "format": [
            {"receipt": d["receipt"], "formatted": receipts.format_receipt(d["receipt"])}
            for d in damm[:3]
        ],
        "parse": parse,
        "derive": derive,
    }


# --- padding.json -----------------------------------------------------------------------


def build_padding() -> Json:
    lengths = [0, 1, 1019, 1020, 1021, 2044, 2045, 4092, 4093, 5000, 100000, 131068, 131069]
    examples = [b"", b"hello", "日本語".encode()]
    bad = bytearray(padding.pad(b"hello"))
    bad[:4] = (1021).to_bytes(4, "big")
    return {
        "description": "pad(data) = 4-byte big-endian len(data) | data | zero bytes, to the "
        "smallest power of two >= 1024 that holds len(data) + 4. unpad refuses a length "
        "greater than len(padded) - 4.",
        "buckets": [{"length": n, "padded_length": padding.bucket_size(n)} for n in lengths],
        "examples": [
            {"data_hex": _hex(data), "padded_hex": _hex(padding.pad(data))} for data in examples
        ],
        "invalid": [{"padded_hex": _hex(bytes(bad)), "reason": "length 1021 > 1020"}],
    }


# --- aead.json --------------------------------------------------------------------------


def build_aead() -> Json:
    cases: list[tuple[bytes, str, bytes]] = [
        (_pattern(32), "hotline:test:v1", b""),
        (_pattern(32), "hotline:test:v1", b"hello"),
        (_pattern(32, 0x55), sealing.MESSAGE, "返信ありがとうございます。".encode()),
        (_pattern(32, 0x66), sealing.REPORTER_KEY, _pattern(32, 0x77)),
        (_pattern(32, 0x88), "", _pattern(300, 0x99, 7)),
    ]
    vectors = []
    for index, (key, purpose, plaintext) in enumerate(cases):
        nonce = _nonce(index)
        vectors.append(
            {
                "key_hex": _hex(key),
                "purpose": purpose,
                "nonce_hex": _hex(nonce),
                "plaintext_hex": _hex(plaintext),
                "sealed_hex": _hex(_aead(key, plaintext, purpose, nonce)),
            }
        )
    first = vectors[1]
    sealed = bytes.fromhex(first["sealed_hex"])
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    negative = [
        {
            "key_hex": first["key_hex"],
            "purpose": "hotline:test:v2",
            "sealed_hex": first["sealed_hex"],
            "reason": "wrong purpose",
        },
        {
            "key_hex": _hex(_pattern(32, 1)),
            "purpose": first["purpose"],
            "sealed_hex": first["sealed_hex"],
            "reason": "wrong key",
        },
        {
            "key_hex": first["key_hex"],
            "purpose": first["purpose"],
            "sealed_hex": _hex(bytes(tampered)),
            "reason": "tag altered",
        },
        {
            "key_hex": first["key_hex"],
            "purpose": first["purpose"],
            "sealed_hex": _hex(sealed[:39]),
            "reason": "shorter than nonce + tag",
        },
    ]
    return {
        "description": "seal(key, plaintext, purpose) = nonce(24) | XChaCha20-Poly1305-IETF "
        "ciphertext | tag(16), additional data = purpose as ASCII. Real seals use a random "
        "nonce; these use the fixed nonce given. Negative vectors must fail to open.",
        "vectors": vectors,
        "negative": negative,
    }


# --- handler_keys.json ------------------------------------------------------------------


def build_handler_keys() -> Json:
    x25519 = []
    for start in (0, 0x40, 0xE0):
        secret = _pattern(32, start)
        x25519.append(
            {"secret_hex": _hex(secret), "public_hex": _hex(sodium.crypto_scalarmult_base(secret))}
        )
    mlkem = []
    for start in (0, 0x80):
        seed = _pattern(64, start)
        mlkem.append(
            {"seed_hex": _hex(seed), "public_hex": _hex(handler_keys.mlkem_public_from_seed(seed))}
        )
    passwords: list[Json] = []
    for index, password in enumerate(["correct horse battery staple", "パスワード", "cafe\u0301"]):
        salt = _pattern(16, 0xC0 + index)
        derived = handler_keys.password_secrets(password, salt, CHEAP)
        passwords.append(
            {
                "password": password,
                "password_nfc_hex": _hex(normalise_password(password)),
                "salt_hex": _hex(salt),
                "ops": CHEAP.ops,
                "mem_bytes": CHEAP.mem_bytes,
                "auth_hex": _hex(derived.auth),
                "unwrap_key_hex": _hex(derived.unwrap_key),
            }
        )
    private = handler_keys.HandlerPrivateKeys(x25519=_pattern(32, 0x40), mlkem_seed=_pattern(64))
    unwrap_key = bytes.fromhex(passwords[0]["unwrap_key_hex"])
    wrapped = {
        "bundle_hex": _hex(private.bundle()),
        "unwrap_key_hex": _hex(unwrap_key),
        "purpose": PASSWORD_PURPOSE,
        "nonce_hex": _hex(_nonce(10)),
        "wrapped_hex": _hex(_aead(unwrap_key, private.bundle(), PASSWORD_PURPOSE, _nonce(10))),
    }
    raw = _pattern(32, 0x11, 5)
    recovery_key = handler_keys.format_recovery_key(raw)
    recovery_wrap_key = keyed_hash(raw, RECOVERY_WRAP_LABEL)
    recovery = {
        "raw_hex": _hex(raw),
        "recovery_key": recovery_key,
        "label": RECOVERY_WRAP_LABEL,
        "wrap_key_hex": _hex(recovery_wrap_key),
        "bundle_hex": _hex(private.bundle()),
        "purpose": RECOVERY_PURPOSE,
        "nonce_hex": _hex(_nonce(11)),
        "wrapped_hex": _hex(
            _aead(recovery_wrap_key, private.bundle(), RECOVERY_PURPOSE, _nonce(11))
        ),
    }
    return {
        "description": "Handler keys. X25519 public = scalarmult_base(secret). ML-KEM-768 public "
        "(1184 bytes) from the 64-byte seed (d | z, FIPS 203 keygen_internal; noble "
        "ml_kem768.keygen(seed)). Argon2id(NFC password, salt, 64 bytes) = auth(32) | "
        "unwrap_key(32). The private bundle = x25519 secret(32) | ML-KEM seed(64), sealed "
        "(see aead.json) under unwrap_key or under the recovery wrap key = "
        "keyed_hash(raw recovery key, label). Recovery key text = base32 of the 32 raw bytes, "
        "no padding, groups of 4 joined by '-'.",
        "x25519": x25519,
        "mlkem768": mlkem,
        "password_secrets": passwords,
        "wrapped_private": wrapped,
        "recovery": recovery,
    }


# --- grants.json ------------------------------------------------------------------------


def _grant_details(grant: bytes, private: handler_keys.HandlerPrivateKeys) -> Json:
    public = private.public()
    ephemeral, ct = grant[:32], grant[32:1120]
    x_secret = sodium.crypto_scalarmult(private.x25519, ephemeral)
    m_secret = MLKEM768PrivateKey.from_seed_bytes(private.mlkem_seed).decapsulate(ct)
    wrap_key = keyed_hash(
        m_secret + x_secret, GRANT_LABEL, ephemeral, ct, public.x25519, public.mlkem
    )
    return {
        "x25519_shared_hex": _hex(x_secret),
        "mlkem_shared_hex": _hex(m_secret),
        "wrap_key_hex": _hex(wrap_key),
    }


def build_grants(fresh: bool) -> Json:
    old = (
        {}
        if fresh
        else {v["grant_hex"]: v for v in (_load("grants.json") or {}).get("vectors", [])}
    )
    recipients = [
        handler_keys.HandlerPrivateKeys(x25519=_pattern(32, 0x40), mlkem_seed=_pattern(64)),
        handler_keys.HandlerPrivateKeys(
            x25519=_pattern(32, 0x31, 3), mlkem_seed=_pattern(64, 9, 5)
        ),
    ]
    bound = [
        grants.GrantFor(grants.CASE_KEY, CASE_ID, 7),
        grants.GrantFor(grants.NOTES_KEY, CASE_ID, 12),
    ]
    vectors = []
    for index, (private, about) in enumerate(zip(recipients, bound, strict=True)):
        key = _pattern(32, 0x10 * (index + 1))
        grant = _reuse_grant(old, private, key, about) or grants.make_grant(
            key, private.public(), about
        )
        public = private.public()
        vectors.append(
            {
                "recipient": {
                    "x25519_secret_hex": _hex(private.x25519),
                    "mlkem_seed_hex": _hex(private.mlkem_seed),
                    "x25519_public_hex": _hex(public.x25519),
                    "mlkem_public_hex": _hex(public.mlkem),
                },
                "kind": about.kind,
                "case_id": about.case_id,
                "handler_id": about.handler_id,
                "ad_hex": _hex(_frame(GRANT_PURPOSE, list(about.context()))),
                "key_hex": _hex(key),
                "grant_hex": _hex(grant),
                **_grant_details(grant, private),
            }
        )
    first = bound[0]
    negative = [
        {
            "vector": 0,
            "kind": first.kind,
            "case_id": OTHER_CASE_ID,
            "handler_id": 7,
            "reason": "moved to another case",
        },
        {
            "vector": 0,
            "kind": first.kind,
            "case_id": CASE_ID,
            "handler_id": 8,
            "reason": "moved to another recipient",
        },
        {
            "vector": 0,
            "kind": grants.NOTES_KEY,
            "case_id": CASE_ID,
            "handler_id": 7,
            "reason": "a case-key grant passed off as a notes-key grant",
        },
    ]
    return {
        "description": "Hybrid grant = ephemeral X25519 public(32) | ML-KEM-768 ciphertext(1088) "
        "| seal(wrap_key, key, ad) where ad = frame(purpose) | frame(kind) | frame(case_id) | "
        "frame(handler_id as decimal ASCII) (kind is case-key, notes-key or backup-key; a "
        "backup has case_id '' and handler_id 0). x25519_shared = scalarmult(recipient x25519 "
        "secret, ephemeral); mlkem_shared = decapsulate(ciphertext); wrap_key = "
        "keyed_hash(mlkem_shared | x25519_shared, label, ephemeral, ciphertext, recipient "
        "x25519 public, recipient ML-KEM public). Encapsulation is randomised, so the vector "
        "is: open grant_hex with the recipient's keys and its kind, case and handler id, and "
        "get key_hex. negative[]: vector's grant opened for another kind, case or handler "
        "must fail.",
        "label": GRANT_LABEL,
        "purpose": GRANT_PURPOSE,
        "grant_bytes": grants.GRANT_BYTES,
        "vectors": vectors,
        "negative": negative,
    }


def _reuse_grant(
    old: dict[str, Json],
    private: handler_keys.HandlerPrivateKeys,
    key: bytes,
    about: grants.GrantFor,
) -> bytes | None:
    for grant_hex in old:
        try:
            if grants.open_grant(bytes.fromhex(grant_hex), private, about) == key:
                return bytes.fromhex(grant_hex)
        except CryptoError:
            continue
    return None


# --- sealing.json -----------------------------------------------------------------------


def _context(parts: tuple[bytes, ...]) -> list[str]:
    return [p.decode("ascii") for p in parts]


def build_sealing() -> Json:
    case_key = _pattern(32, 0x10)
    notes_key = _pattern(32, 0x90, 3)
    report = {
        "category": "fraud",
        "title": "架空請求",
        "body": "経理部で架空の請求書が毎月処理されています。\n証拠は共有フォルダにあります。",
        "people": ["山田", "Smith"],
        "since": "2024-03",
        "amount_yen": 500000,
        "anonymous": True,
        "contact": None,
    }
    meta = {
        "name": "請求書.pdf",
        "type": "application/pdf",
        "size": 48213,
        "metadata_stripped": False,
    }
    documents = [
        (sealing.REPORT, report, sealing.case_context(CASE_ID)),
        (sealing.ATTACHMENT_META, meta, sealing.case_context(CASE_ID)),
    ]
    texts = [
        (
            case_key,
            sealing.MESSAGE,
            "ご報告ありがとうございます。調査を開始しました。",
            sealing.entry_context(CASE_ID, sealing.handler_author(7), 0),
        ),
        (case_key, sealing.MESSAGE, "", sealing.entry_context(CASE_ID, sealing.REPORTER, 1)),
        (
            notes_key,
            sealing.NOTE,
            "Internal note: interview scheduled.",
            sealing.entry_context(CASE_ID, sealing.handler_author(12), 0),
        ),
    ]
    out_documents = []
    for index, (purpose, document, context) in enumerate(documents):
        raw = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        padded = padding.pad(raw.encode("utf-8"))
        ad = _frame(purpose, list(context))
        out_documents.append(
            {
                "key": "case_key",
                "purpose": purpose,
                "context": _context(context),
                "ad_hex": _hex(ad),
                "document": document,
                "serialised": raw,
                "nonce_hex": _hex(_nonce(20 + index)),
                "sealed_hex": _hex(_aead_ad(case_key, padded, ad, _nonce(20 + index))),
            }
        )
    out_texts = []
    for index, (key, purpose, text, context) in enumerate(texts):
        padded = padding.pad(text.encode("utf-8"))
        ad = _frame(purpose, list(context))
        out_texts.append(
            {
                "key": "case_key" if key == case_key else "notes_key",
                "purpose": purpose,
                "context": _context(context),
                "ad_hex": _hex(ad),
                "text": text,
                "nonce_hex": _hex(_nonce(30 + index)),
                "sealed_hex": _hex(_aead_ad(key, padded, ad, _nonce(30 + index))),
            }
        )
    moved = [
        {"text": 0, "context": [OTHER_CASE_ID, "handler:7", "0"], "reason": "another case"},
        {"text": 0, "context": [CASE_ID, "handler:8", "0"], "reason": "another author"},
        {"text": 0, "context": [CASE_ID, "reporter", "0"], "reason": "relabelled as reporter"},
        {"text": 1, "context": [CASE_ID, "reporter", "0"], "reason": "another place in order"},
        {"text": 2, "context": [OTHER_CASE_ID, "handler:12", "0"], "reason": "another case"},
    ]
    reporter_wrap_key = _pattern(32, 0x21, 11)
    file_key = _pattern(32, 0x33, 13)
    file_context = sealing.case_context(CASE_ID)
    file_ad = _frame(sealing.FILE_KEY, list(file_context))
    return {
        "description": "Case content: seal(key, pad(UTF-8 bytes), ad) (see aead.json and "
        "padding.json), where ad = frame(purpose) | frame(each context part as ASCII): the case "
        "id for the report, file keys and file descriptions; the case id, the author "
        "('reporter' or 'handler:<id>') and the sequence number (decimal) for messages and "
        "notes. Documents are JSON with sorted keys, separators ',' and ':', non-ASCII kept as "
        "UTF-8 ('serialised' is the exact text); any valid JSON object opens. The reporter's "
        "copy of the case key (ad = purpose alone, ASCII) and a file key are sealed without "
        "padding. moved[]: texts[i] opened with this context (same key and purpose) must fail. "
        "case_ids: is_case_id must accept `valid` and refuse `invalid`.",
        "case_key_hex": _hex(case_key),
        "notes_key_hex": _hex(notes_key),
        "documents": out_documents,
        "texts": out_texts,
        "moved": moved,
        "case_ids": {
            "valid": [CASE_ID, OTHER_CASE_ID, "HL-ZZZZZZZZZZ"],
            "invalid": [
                "HL-7QX2M9K4T",
                "HL-7QX2M9K4TBB",
                "hl-7QX2M9K4TB",
                "HL-7QX2M9K4TI",
                "HL-7QX2M9K4TU",
                "XX-7QX2M9K4TB",
                "HL-7QX2M9K4T\u0411",
                "",
            ],
        },
        "reporter_case_key": {
            "wrap_key_hex": _hex(reporter_wrap_key),
            "purpose": sealing.REPORTER_KEY,
            "nonce_hex": _hex(_nonce(40)),
            "sealed_hex": _hex(
                _aead(reporter_wrap_key, case_key, sealing.REPORTER_KEY, _nonce(40))
            ),
        },
        "file_key": {
            "file_key_hex": _hex(file_key),
            "purpose": sealing.FILE_KEY,
            "context": _context(file_context),
            "ad_hex": _hex(file_ad),
            "nonce_hex": _hex(_nonce(41)),
            "sealed_hex": _hex(_aead_ad(case_key, file_key, file_ad, _nonce(41))),
        },
    }


# --- attachments.json -------------------------------------------------------------------


def attachment_plaintext(length: int) -> bytes:
    """Byte i of an attachment vector's plaintext is i mod 251."""
    return bytes(i % 251 for i in range(length))


TAG_MESSAGE, TAG_PUSH, TAG_REKEY, TAG_FINAL = 0, 1, 2, 3


def _trailer(length: int) -> str:
    return _hex(length.to_bytes(attachments.TRAILER_BYTES, "big"))


def _recipes() -> list[Json]:
    """Streams built block by block (zeros except `set`), each with the tags given: what a
    reader must accept (`expect_hex`) or refuse (`expect_hex` null)."""
    full = attachments.CHUNK_BYTES
    return [
        {
            "why": "valid: 2 bytes padded to 64 KiB, then the trailer in the FINAL block",
            "blocks": [
                {"tag": TAG_PUSH, "length": full, "set": [[0, "6162"]]},
                {"tag": TAG_FINAL, "length": 8, "set": [[0, _trailer(2)]]},
            ],
            "expect_hex": "6162",
        },
        {
            "why": "the length in the trailer is beyond the padding",
            "blocks": [
                {"tag": TAG_PUSH, "length": full, "set": []},
                {"tag": TAG_FINAL, "length": 8, "set": [[0, _trailer(full + 1)]]},
            ],
            "expect_hex": None,
        },
        {
            "why": "a non-zero byte in the padding",
            "blocks": [
                {"tag": TAG_PUSH, "length": full, "set": [[0, "6162"], [10, "01"]]},
                {"tag": TAG_FINAL, "length": 8, "set": [[0, _trailer(2)]]},
            ],
            "expect_hex": None,
        },
        {
            "why": "a second PUSH block",
            "blocks": [
                {"tag": TAG_PUSH, "length": full, "set": []},
                {"tag": TAG_PUSH, "length": full, "set": []},
                {"tag": TAG_FINAL, "length": 8, "set": [[0, _trailer(0)]]},
            ],
            "expect_hex": None,
        },
        {
            "why": "a REKEY block in a padded file",
            "blocks": [
                {"tag": TAG_PUSH, "length": full, "set": []},
                {"tag": TAG_REKEY, "length": full, "set": []},
                {"tag": TAG_FINAL, "length": 8, "set": [[0, _trailer(0)]]},
            ],
            "expect_hex": None,
        },
        {
            "why": "no FINAL block (the last block is cut off)",
            "blocks": [
                {"tag": TAG_PUSH, "length": full, "set": []},
                {"tag": TAG_MESSAGE, "length": 8, "set": [[0, _trailer(0)]]},
            ],
            "expect_hex": None,
        },
    ]


DESCRIBED_FILES = [
    ("report.pdf", "application/pdf", 12345, False),
    ("写真.jpg", "image/jpeg", 2_000_000, True),
    ("n" * 250, "text/plain", 1, False),
    ("😀" * 200, "x" * 150, 10_485_760, False),
    ("\u0001" * 200, "\u0002" * 100, 99, True),
    ('"\\' * 100, "", 0, False),
]


def build_attachments(fresh: bool) -> Json:
    file_key = _pattern(32, 0x33, 13)
    previous = {} if fresh else (_load("attachments.json") or {})
    old_plain = {v["length"]: v for v in previous.get("unpadded", previous.get("vectors", []))}
    old_padded = {v["length"]: v for v in previous.get("padded", [])}
    unpadded = []
    for length in (0, 100, attachments.CHUNK_BYTES, attachments.CHUNK_BYTES + 100):
        plaintext = attachment_plaintext(length)
        ciphertext = _reuse_stream(old_plain.get(length), file_key, plaintext)
        if ciphertext is None:
            ciphertext = b"".join(attachments.encrypt_stream(file_key, [plaintext]))
        unpadded.append(
            {
                "length": length,
                "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
                "ciphertext_hex": _hex(ciphertext),
            }
        )
    padded = []
    for length in (0, attachments.MIN_BUCKET, attachments.MIN_BUCKET + 1):
        plaintext = attachment_plaintext(length)
        ciphertext = _reuse_stream(old_padded.get(length), file_key, plaintext)
        if ciphertext is None:
            ciphertext = b"".join(attachments.encrypt_file(file_key, [plaintext]))
        padded.append(
            {
                "length": length,
                "bucket": attachments.bucket_size(length),
                "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
                "ciphertext_hex": _hex(ciphertext),
            }
        )
    lengths = [0, 1, 65536, 65537, 81920, 81921, 100_000, 131_072, 131_073, 1_000_000]
    lengths += [5 * 2**20 - 1, 10 * 2**20, 10 * 2**20 + 1, 25 * 2**20, 2**32]
    buckets = [
        {
            "length": n,
            "bucket": attachments.bucket_size(n),
            "encrypted_size": attachments.encrypted_size(n),
        }
        for n in lengths
    ]
    descriptions = [
        {
            "name": name,
            "type": kind,
            "size": size,
            "metadata_stripped": stripped,
            "document": attachments.describe_file(name, kind, size, stripped),
        }
        for name, kind, size, stripped in DESCRIBED_FILES
    ]
    return {
        "description": "Attachments: libsodium secretstream XChaCha20-Poly1305 under file_key, "
        "no additional data. A file is padded before it is encrypted: its bytes, zero bytes up "
        "to bucket(length), then length as an 8-byte big-endian trailer. bucket(n) is 65536 "
        "for n <= 65536, else n rounded up to a multiple of a quarter of the largest power of "
        "two <= n. ciphertext = header(24) | blocks of 65536 padded bytes (+17), the first "
        "tagged PUSH (1), then MESSAGE (0), and the last (the remainder, never empty) FINAL "
        "(3); nothing may follow FINAL. A reader checks every block, the FINAL tag, that the "
        "length fits and that the padding is zeros before it returns anything. `unpadded`: "
        "files of earlier releases (first block MESSAGE or FINAL, no padding), still read as "
        "they are. `recipes`: streams to build block by block with the given tags (zeros "
        "except `set` = [offset, hex]); accept with `expect_hex` or refuse (null). "
        "`descriptions`: describe_file(name, type, size, metadata_stripped): name cut to 200 "
        "and type to 100 code points, then the name's last code point dropped until the "
        "serialised document (as sealing.json) is at most 1020 UTF-8 bytes. Plaintext byte i "
        "is i mod 251. Headers are random: open the ciphertexts and compare.",
        "file_key_hex": _hex(file_key),
        "chunk_bytes": attachments.CHUNK_BYTES,
        "min_bucket": attachments.MIN_BUCKET,
        "trailer_bytes": attachments.TRAILER_BYTES,
        "description_max_bytes": attachments.DESCRIPTION_MAX_BYTES,
        "buckets": buckets,
        "padded": padded,
        "unpadded": unpadded,
        "recipes": _recipes(),
        "descriptions": descriptions,
    }


def _reuse_stream(old: Json | None, file_key: bytes, plaintext: bytes) -> bytes | None:
    if old is None:
        return None
    ciphertext = bytes.fromhex(old["ciphertext_hex"])
    try:
        if attachments.decrypt_file(file_key, [ciphertext]) == plaintext:
            return ciphertext
    except CryptoError:
        return None
    return None


# --- signing.json ----------------------------------------------------------------------

SIGN_TEST_LABEL = "hotline:test:sign:v1"
DIRECTORY_SIGN_LABEL = "hotline:key-directory:sign:v1"
FINGERPRINT_LABEL = "hotline:fingerprint:v1"


def _signing_key(n: int) -> signing.SigningPrivateKey:
    return signing.SigningPrivateKey(_pattern(32, 0x10 * n, 3), _pattern(32, 0x70 + n, 7))


def _kept_signature(
    old: dict[str, str], key: signing.SigningPrivateKey, label: str, message: bytes
) -> bytes:
    """ML-DSA signing is randomised: keep an earlier signature while it still verifies."""
    earlier = old.get(_hex(message))
    if earlier is not None and signing.is_valid(
        key.public(), label, message, bytes.fromhex(earlier)
    ):
        return bytes.fromhex(earlier)
    return signing.sign(key, label, message)


def build_signing(fresh: bool) -> Json:
    previous = {} if fresh else (_load("signing.json") or {})
    old = {v["message_hex"]: v["signature_hex"] for v in previous.get("signatures", [])}
    keys = []
    for n in (1, 2):
        key = _signing_key(n)
        public = key.public()
        keys.append(
            {
                "ed25519_seed_hex": _hex(key.ed25519_seed),
                "mldsa_seed_hex": _hex(key.mldsa_seed),
                "ed25519_public_hex": _hex(public.ed25519),
                "mldsa_public_hex": _hex(public.mldsa),
                "fingerprint": public.fingerprint(),
            }
        )
    key = _signing_key(1)
    signatures = []
    for message in (b"", b"hello", "日本語".encode(), _pattern(5000, 3, 11)):
        signature = _kept_signature(old, key, SIGN_TEST_LABEL, message)
        signatures.append(
            {
                "key": 0,
                "label": SIGN_TEST_LABEL,
                "message_hex": _hex(message),
                "signed_hex": _hex(framed_for_test(SIGN_TEST_LABEL, message)),
                "signature_hex": _hex(signature),
            }
        )
    good = bytes.fromhex(signatures[1]["signature_hex"])
    other = _kept_signature(
        {_hex(b"hello"): previous.get("other_signature_hex", "")}
        if previous.get("other_signature_hex")
        else {},
        _signing_key(2),
        SIGN_TEST_LABEL,
        b"hello",
    )
    ed_bad = bytearray(good)
    ed_bad[3] ^= 1
    ml_bad = bytearray(good)
    ml_bad[100] ^= 1
    negative = [
        {"signature_hex": _hex(bytes(ed_bad)), "reason": "Ed25519 half altered, ML-DSA valid"},
        {"signature_hex": _hex(bytes(ml_bad)), "reason": "ML-DSA half altered, Ed25519 valid"},
        {
            "signature_hex": _hex(good[:64] + other[64:]),
            "reason": "ML-DSA half from another key, Ed25519 valid",
        },
        {
            "signature_hex": _hex(other[:64] + good[64:]),
            "reason": "Ed25519 half from another key, ML-DSA valid",
        },
        {"signature_hex": _hex(good[:-1]), "reason": "one byte short"},
    ]
    assert all(
        not signing.is_valid(
            key.public(), SIGN_TEST_LABEL, b"hello", bytes.fromhex(n["signature_hex"])
        )
        for n in negative
    )
    return {
        "description": "Hybrid signatures: Ed25519 (seed 32 -> public 32, libsodium "
        "crypto_sign_seed_keypair) and ML-DSA-65 (FIPS 204 seed xi 32 -> public 1952; noble "
        "ml_dsa65.keygen(seed), cryptography MLDSA65PrivateKey.from_seed_bytes). Both sign "
        "signed = frame(label) | frame(message) (frame as in keyed_hash.json); signature = "
        "Ed25519 (64) | ML-DSA-65 (3309, empty context, hedged). Valid only when both halves "
        "verify. fingerprint = base32(BLAKE2b-160 unkeyed over frame(fingerprint_label) | "
        "frame(ed25519 public) | frame(mldsa public)), groups of 4 joined by spaces. "
        "negative[] are signatures over message 'hello' by key 0 that must be refused.",
        "fingerprint_label": FINGERPRINT_LABEL,
        "keys": keys,
        "signatures": signatures,
        "other_signature_hex": _hex(other),
        "negative": negative,
    }


def framed_for_test(label: str, message: bytes) -> bytes:
    return _frame(label, [message])


# --- key_directory.json -----------------------------------------------------------------


def _directory_entries(
    old: dict[int, Json], root: signing.SigningPrivateKey
) -> list[key_directory.Entry]:
    plan = [
        (1, "compliance", "active", 0x40, 0, date(2026, 1, 5)),
        (2, "harassment", "active", 0x41, 0x10, date(2026, 1, 5)),
        (1, "compliance", "active", 0x42, 0x20, date(2026, 2, 1)),
        (2, "harassment", "revoked", 0x41, 0x10, date(2026, 3, 1)),
    ]
    entries: list[key_directory.Entry] = []
    previous = key_directory.GENESIS_HASH
    for sequence, (handler, desk, status, x_start, m_start, day) in enumerate(plan, start=1):
        private = handler_keys.HandlerPrivateKeys(
            x25519=_pattern(32, x_start), mlkem_seed=_pattern(64, m_start)
        )
        public = private.public()
        body = key_directory.EntryBody(
            sequence, handler, desk, status, public.x25519, public.mlkem, day, previous
        )
        earlier = old.get(sequence)
        signature = bytes.fromhex(earlier["signature_hex"]) if earlier else b""
        if not signing.is_valid(root.public(), DIRECTORY_SIGN_LABEL, body.message(), signature):
            signature = signing.sign(root, DIRECTORY_SIGN_LABEL, body.message())
        entry = key_directory.Entry(body, signature)
        entries.append(entry)
        previous = entry.hash()
    return entries


def build_key_directory(fresh: bool) -> Json:
    previous = {} if fresh else (_load("key_directory.json") or {})
    old = {v["entry"]["sequence"]: v for v in previous.get("entries", [])}
    root = _signing_key(1)
    entries = _directory_entries(old, root)
    listed = [
        {
            "entry": e.to_json(),
            "message_hex": _hex(e.body.message()),
            "signature_hex": _hex(e.signature),
        }
        for e in entries
    ]
    # Substitution by a database writer: another X25519 key in entry 3.
    attacker = handler_keys.HandlerPrivateKeys(_pattern(32, 0x99), _pattern(64, 0x99)).public()
    swapped = key_directory.Entry(
        key_directory.EntryBody(**{**vars(entries[2].body), "x25519": attacker.x25519}),
        entries[2].signature,
    )
    not_rechained = [e.to_json() for e in entries]
    not_rechained[2] = {**swapped.to_json(), "hash": entries[2].hash().hex()}
    rechained = [e.to_json() for e in entries[:2]] + [swapped.to_json()]
    rechained.append(
        key_directory.Entry(
            key_directory.EntryBody(**{**vars(entries[3].body), "previous_hash": swapped.hash()}),
            entries[3].signature,
        ).to_json()
    )
    head = key_directory.verify_chain(entries, root.public())
    return {
        "description": "Key directory. entry message = frame(entry label) | frame(sequence, "
        "8-byte big-endian) | frame(handler id, 8-byte BE) | frame(desk ASCII) | frame(status "
        "ASCII) | frame(X25519 public) | frame(ML-KEM public) | frame(valid_from "
        "YYYY-MM-DD) | frame(previous hash); the root signs it with sign_label (see "
        "signing.json). hash = BLAKE2b-256 unkeyed over frame(hash_label) | frame(message) | "
        "frame(signature). Entry 1's previous hash is 32 zero bytes. The root is key 0 of "
        "signing.json. A chain verifies when each sequence is its position, each previous "
        "hash is the hash before it and every signature verifies; head = last (sequence, "
        "hash). current[handler] = newest entry with valid_from <= today. invalid_chains[] "
        "must be refused.",
        "entry_label": key_directory.ENTRY_LABEL,
        "sign_label": DIRECTORY_SIGN_LABEL,
        "hash_label": key_directory.HASH_LABEL,
        "entries": listed,
        "head": {"sequence": head.sequence, "hash_hex": _hex(head.hash)},
        "current_on": [
            {"today": "2026-01-20", "handler_sequence": {"1": 1, "2": 2}},
            {"today": "2026-02-01", "handler_sequence": {"1": 3, "2": 2}},
            {"today": "2026-03-01", "handler_sequence": {"1": 3, "2": 4}},
        ],
        "invalid_chains": [
            {"entries": not_rechained, "reason": "X25519 key of entry 3 replaced, hash kept"},
            {"entries": rechained, "reason": "X25519 key of entry 3 replaced, chain rehashed"},
            {
                "entries": [e.to_json() for e in (entries[0], entries[2], entries[3])],
                "reason": "entry 2 removed",
            },
        ],
    }


# --- pow.json ---------------------------------------------------------------------------


def build_pow() -> Json:
    challenge = _pattern(32, 7, 3)
    fields = [b"fraud_accounting", b"en", _pattern(48, 1), _pattern(32, 9, 5), b""]
    vectors = []
    for bits in (0, 4, 10):
        digest = pow_rule.submission_digest(challenge, fields)
        nonce = pow_rule.solve(challenge, digest, bits)
        vectors.append(
            {
                "challenge_hex": _hex(challenge),
                "fields_hex": [_hex(f) for f in fields],
                "digest_hex": _hex(digest),
                "bits": bits,
                "nonce_hex": _hex(nonce),
                "header": pow_rule.header_value(challenge, digest, nonce),
            }
        )
    return {
        "description": "Proof of work bound to a submission: digest = keyed_hash(challenge, "
        f"{pow_rule.SUBMISSION_LABEL!r}, *fields); the nonce is the smallest 8-byte big-endian "
        f"counter with keyed_hash(challenge, {pow_rule.LABEL!r}, digest, nonce) starting with "
        "`bits` zero bits. `header` is challenge.digest.nonce, standard base64 each.",
        "vectors": vectors,
    }


# --- main -------------------------------------------------------------------------------


def builders(fresh: bool = False) -> dict[str, Callable[[], Json]]:
    return {
        "argon2id.json": build_argon2id,
        "keyed_hash.json": build_keyed_hash,
        "receipts.json": build_receipts,
        "padding.json": build_padding,
        "aead.json": build_aead,
        "handler_keys.json": build_handler_keys,
        "grants.json": lambda: build_grants(fresh),
        "sealing.json": build_sealing,
        "attachments.json": lambda: build_attachments(fresh),
        "signing.json": lambda: build_signing(fresh),
        "key_directory.json": lambda: build_key_directory(fresh),
        "pow.json": build_pow,
    }


def render(data: Json) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str]) -> int:
    fresh = "--fresh" in argv
    for name, build in builders(fresh).items():
        path = HERE / name
        text = render(build())
        changed = not path.exists() or path.read_text("utf-8") != text
        path.write_text(text, "utf-8")
        print(f"{'wrote' if changed else 'unchanged'} {path.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
