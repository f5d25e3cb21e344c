"""The browser module (web/js/hotline-crypto.js, built to web/static/build/) interoperates
with crypto/: what one side seals, grants or derives, the other opens or reproduces.

Each cross test calls tests/js/cross.mjs (one JSON request on stdin, one JSON answer on
stdout) through Node, and checks the answer with the Python implementation. The bundle must
be built first: `npm --prefix web ci && npm --prefix web run build` (the Makefile's job).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from crypto import attachments, grants, handler_keys, pow, receipts, sealing
from crypto.errors import DecryptionError, InvalidReceipt
from crypto.padding import unpad
from crypto.primitives import Argon2Params, open_sealed, random_bytes

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "web" / "build" / "test" / "hotline-crypto.js"
CROSS = ROOT / "tests" / "js" / "cross.mjs"
CHEAP = Argon2Params(ops=1, mem_bytes=8192)
CHEAP_FIELDS = {"ops": CHEAP.ops, "mem_bytes": CHEAP.mem_bytes}


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, once the bundle is known to be built."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: the browser crypto module cannot be tested")
    if not BUNDLE.exists():
        pytest.fail(
            f"{BUNDLE.relative_to(ROOT)} is missing: build it with "
            "`npm --prefix web ci && npm --prefix web run build`"
        )
    return found


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def call(node: str, op: str, **fields: Any) -> dict[str, Any]:
    """Run one cross.mjs operation; return its answer (which may be an error answer)."""
    done = subprocess.run(
        [node, str(CROSS)],
        input=json.dumps({"op": op, **fields}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.stdout, f"cross.mjs {op} printed nothing; stderr:\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout)
    assert (done.returncode == 0) == ("error" not in answer), (done.returncode, answer)
    return answer


def js(node: str, op: str, **fields: Any) -> dict[str, Any]:
    answer = call(node, op, **fields)
    assert "error" not in answer, f"cross.mjs {op} failed: {answer}"
    return answer


def js_error(node: str, op: str, **fields: Any) -> str:
    """Run an operation that must fail; return the JavaScript error class name."""
    answer = call(node, op, **fields)
    assert "error" in answer, f"cross.mjs {op} unexpectedly succeeded: {answer}"
    error_type: str = answer["error_type"]
    return error_type


# --- the JavaScript test suite ----------------------------------------------------------


def test_node_test_suite_passes(node: str) -> None:
    done = subprocess.run(
        [node, "--test", "tests/js/"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "# fail 0" in output, output[-2000:]
    passed = [line for line in output.splitlines() if line.startswith("# pass ")]
    assert passed and int(passed[-1].split()[-1]) > 0, output[-2000:]


# --- grants -----------------------------------------------------------------------------


def _handler() -> handler_keys.HandlerPrivateKeys:
    return handler_keys.generate_private()


CASE_ID = "HL-7QX2M9K4TB"
OTHER_CASE_ID = "HL-0000000001"


def _about(kind: str = grants.CASE_KEY, case_id: str = CASE_ID, handler_id: int = 7) -> Any:
    return grants.GrantFor(kind, case_id, handler_id)


def _about_fields(about: grants.GrantFor) -> dict[str, Any]:
    return {"kind": about.kind, "case_id": about.case_id, "handler_id": about.handler_id}


def test_grant_made_in_js_opens_in_python(node: str) -> None:
    private = _handler()
    public = private.public()
    key = grants.new_key()
    answer = js(
        node,
        "make_grant",
        key=b64(key),
        x25519=b64(public.x25519),
        mlkem=b64(public.mlkem),
        **_about_fields(_about()),
    )
    grant = unb64(answer["grant"])
    assert len(grant) == 32 + 1088 + 24 + 32 + 16 == grants.GRANT_BYTES
    assert grants.open_grant(grant, private, _about()) == key
    tampered = bytearray(grant)
    tampered[100] ^= 1
    with pytest.raises(DecryptionError):
        grants.open_grant(bytes(tampered), private, _about())
    with pytest.raises(DecryptionError):
        grants.open_grant(grant, _handler(), _about())
    # Bound to its case, recipient and kind.
    for other in (
        _about(case_id=OTHER_CASE_ID),
        _about(handler_id=8),
        _about(kind=grants.NOTES_KEY),
    ):
        with pytest.raises(DecryptionError):
            grants.open_grant(grant, private, other)


def test_grant_made_in_python_opens_in_js(node: str) -> None:
    private = _handler()
    key = grants.new_key()
    about = _about(grants.NOTES_KEY, CASE_ID, 12)
    grant = grants.make_grant(key, private.public(), about)
    secrets_ = {"x25519_secret": b64(private.x25519), "mlkem_seed": b64(private.mlkem_seed)}
    answer = js(node, "open_grant", grant=b64(grant), **secrets_, **_about_fields(about))
    assert unb64(answer["key"]) == key
    tampered = bytearray(grant)
    tampered[-1] ^= 1
    assert js_error(
        node, "open_grant", grant=b64(bytes(tampered)), **secrets_, **_about_fields(about)
    ) == ("DecryptionError")
    moved = _about(grants.NOTES_KEY, OTHER_CASE_ID, 12)
    assert (
        js_error(node, "open_grant", grant=b64(grant), **secrets_, **_about_fields(moved))
        == "DecryptionError"
    )


def test_public_keys_agree(node: str) -> None:
    private = _handler()
    answer = js(
        node,
        "public_keys",
        x25519_secret=b64(private.x25519),
        mlkem_seed=b64(private.mlkem_seed),
    )
    public = private.public()
    assert unb64(answer["x25519"]) == public.x25519
    assert unb64(answer["mlkem"]) == public.mlkem


# --- documents and texts ----------------------------------------------------------------

DOCUMENT = {
    "category": "fraud",
    "title": "架空請求 😀",
    "body": '経理部で架空の請求書が毎月処理されています。\n\t"quoted" \\ \u0001 \u2028 end',
    "people": ["山田", "Smith", {"role": "manager", "z": None, "a": True}],
    "amount_yen": 500000,
    "ratio": 0.25,
    "tiny": 1e-05,
    "negative": -3,
    "anonymous": True,
    "contact": None,
    "｡": 1,
    "😀": 2,
}


def _python_serialised(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def test_document_sealed_in_js_opens_in_python_with_identical_bytes(node: str) -> None:
    key = random_bytes()
    answer = js(node, "seal_document", key=b64(key), document=DOCUMENT, purpose=sealing.REPORT)
    sealed = unb64(answer["sealed"])
    assert sealing.open_document(key, sealed, sealing.REPORT) == DOCUMENT
    # Byte for byte the serialisation Python would have sealed.
    assert unpad(open_sealed(key, sealed, sealing.REPORT)) == _python_serialised(DOCUMENT)
    with pytest.raises(DecryptionError):
        sealing.open_document(key, sealed, sealing.MESSAGE)


def test_attachment_meta_purpose_agrees(node: str) -> None:
    key = random_bytes()
    meta = {"name": "証拠.pdf", "size": 12345, "type": "application/pdf"}
    answer = js(node, "seal_document", key=b64(key), document=meta, purpose=sealing.ATTACHMENT_META)
    assert sealing.open_document(key, unb64(answer["sealed"]), sealing.ATTACHMENT_META) == meta


def test_document_sealed_in_python_opens_in_js(node: str) -> None:
    key = random_bytes()
    sealed = sealing.seal_document(key, DOCUMENT, sealing.REPORT)
    answer = js(node, "open_document", key=b64(key), sealed=b64(sealed), purpose=sealing.REPORT)
    assert answer["document"] == DOCUMENT
    wrong = js_error(node, "open_document", key=b64(key), sealed=b64(sealed), purpose="x")
    assert wrong == "DecryptionError"


@pytest.mark.parametrize("text", ["", "ご報告ありがとうございます。", "a" * 5000, "\ufeffBOM 😀"])
def test_texts_cross_both_ways(node: str, text: str) -> None:
    key = random_bytes()
    answer = js(node, "seal_text", key=b64(key), text=text, purpose=sealing.MESSAGE)
    from_js = unb64(answer["sealed"])
    assert sealing.open_text(key, from_js, sealing.MESSAGE) == text
    assert len(from_js) == len(sealing.seal_text(key, text, sealing.MESSAGE))
    from_py = sealing.seal_text(key, text, sealing.NOTE)
    answer = js(node, "open_text", key=b64(key), sealed=b64(from_py), purpose=sealing.NOTE)
    assert answer["text"] == text


def test_reporter_case_key_and_file_key_cross(node: str) -> None:
    case_key, wrap_key, file_key = random_bytes(), random_bytes(), random_bytes()
    wrapped = sealing.wrap_case_key_for_reporter(case_key, wrap_key)
    answer = js(node, "open", key=b64(wrap_key), sealed=b64(wrapped), purpose=sealing.REPORTER_KEY)
    assert unb64(answer["plaintext"]) == case_key
    sealed = unb64(
        js(node, "seal_file_key", key=b64(case_key), file_key=b64(file_key), case_id=CASE_ID)[
            "sealed"
        ]
    )
    assert attachments.open_file_key(case_key, sealed, CASE_ID) == file_key
    with pytest.raises(DecryptionError):
        attachments.open_file_key(case_key, sealed, OTHER_CASE_ID)
    from_py = attachments.seal_file_key(case_key, file_key, CASE_ID)
    answer = js(node, "open_file_key", key=b64(case_key), sealed=b64(from_py), case_id=CASE_ID)
    assert unb64(answer["file_key"]) == file_key
    assert (
        js_error(
            node, "open_file_key", key=b64(case_key), sealed=b64(from_py), case_id=OTHER_CASE_ID
        )
        == "DecryptionError"
    )


def test_report_crosses_bound_to_its_case(node: str) -> None:
    key = random_bytes()
    answer = js(node, "seal_report", key=b64(key), document=DOCUMENT, case_id=CASE_ID)
    sealed = unb64(answer["sealed"])
    assert sealing.open_report(key, sealed, CASE_ID) == DOCUMENT
    with pytest.raises(DecryptionError):
        sealing.open_report(key, sealed, OTHER_CASE_ID)
    from_py = sealing.seal_report(key, DOCUMENT, CASE_ID)
    answer = js(node, "open_report", key=b64(key), sealed=b64(from_py), case_id=CASE_ID)
    assert answer["document"] == DOCUMENT
    assert (
        js_error(node, "open_report", key=b64(key), sealed=b64(from_py), case_id=OTHER_CASE_ID)
        == "DecryptionError"
    )


@pytest.mark.parametrize(
    ("case_id", "author", "seq"),
    [
        (OTHER_CASE_ID, "handler:7", 2),  # moved to another case
        (CASE_ID, "handler:8", 2),  # relabelled to another handler
        (CASE_ID, "reporter", 2),  # relabelled to the reporter
        (CASE_ID, "handler:7", 1),  # reordered
    ],
)
def test_message_moved_relabelled_or_reordered_fails_both_ways(
    node: str, case_id: str, author: str, seq: int
) -> None:
    key = random_bytes()
    from_js = unb64(
        js(
            node,
            "seal_message",
            key=b64(key),
            text="返信",
            case_id=CASE_ID,
            author="handler:7",
            seq=2,
        )["sealed"]
    )
    assert sealing.open_message(key, from_js, CASE_ID, "handler:7", 2) == "返信"
    with pytest.raises(DecryptionError):
        sealing.open_message(key, from_js, case_id, author, seq)
    from_py = sealing.seal_message(key, "返信", CASE_ID, "handler:7", 2)
    good = {"key": b64(key), "sealed": b64(from_py)}
    assert js(node, "open_message", **good, case_id=CASE_ID, author="handler:7", seq=2)["text"] == (
        "返信"
    )
    assert (
        js_error(node, "open_message", **good, case_id=case_id, author=author, seq=seq)
        == "DecryptionError"
    )


def test_note_moved_or_reordered_fails_both_ways(node: str) -> None:
    key = random_bytes()
    from_js = unb64(
        js(node, "seal_note", key=b64(key), text="memo", case_id=CASE_ID, handler_id=3, seq=0)[
            "sealed"
        ]
    )
    assert sealing.open_note(key, from_js, CASE_ID, 3, 0) == "memo"
    for case_id, handler_id, seq in ((OTHER_CASE_ID, 3, 0), (CASE_ID, 4, 0), (CASE_ID, 3, 1)):
        with pytest.raises(DecryptionError):
            sealing.open_note(key, from_js, case_id, handler_id, seq)
    from_py = sealing.seal_note(key, "memo", CASE_ID, 3, 0)
    good = {"key": b64(key), "sealed": b64(from_py)}
    assert js(node, "open_note", **good, case_id=CASE_ID, handler_id=3, seq=0)["text"] == "memo"
    assert (
        js_error(node, "open_note", **good, case_id=OTHER_CASE_ID, handler_id=3, seq=0)
        == "DecryptionError"
    )


# --- receipts and passwords -------------------------------------------------------------


def test_receipt_derivation_agrees(node: str) -> None:
    salt = random_bytes(16)
    for digits in (receipts.generate(), receipts.generate()):
        answer = js(node, "derive_receipt", digits=digits, salt=b64(salt), **CHEAP_FIELDS)
        expected = receipts.derive(digits, salt, CHEAP)
        assert unb64(answer["lookup_tag"]) == expected.lookup_tag
        assert unb64(answer["wrap_key"]) == expected.wrap_key


def test_js_receipts_are_valid_in_python(node: str) -> None:
    for _ in range(3):
        digits = js(node, "generate_receipt")["digits"]
        assert receipts.is_valid(digits)
        assert receipts.parse(receipts.format_receipt(digits)) == digits


@pytest.mark.parametrize(
    "text",
    [
        "1234 5678 9012 3450",
        "1234-5678-9012-3450",
        "１２３４\u3000５６７８\u3000９０１２\u3000３４５０",
        "1234\x1c5678\x859012\u20153450",
        "1234\ufeff5678 9012 3450",
        "1234 5678 9012 3451",
        "1234 5678 9012 345",
        "1234_5678_9012_3450",
        " " * 60 + "1234567890123450",
        "٣234567890123450",
    ],
)
def test_receipt_parsing_agrees(node: str, text: str) -> None:
    try:
        expected: str | None = receipts.parse(text)
    except InvalidReceipt:
        expected = None
    answer = call(node, "parse_receipt", text=text)
    if expected is None:
        assert answer.get("error_type") == "InvalidReceipt", answer
    else:
        assert answer == {"digits": expected}


@pytest.mark.parametrize("password", ["correct horse battery staple", "パスワード", "cafe\u0301"])
def test_password_secrets_agree(node: str, password: str) -> None:
    salt = random_bytes(16)
    answer = js(node, "password_secrets", password=password, salt=b64(salt), **CHEAP_FIELDS)
    expected = handler_keys.password_secrets(password, salt, CHEAP)
    assert unb64(answer["auth"]) == expected.auth
    assert unb64(answer["unwrap_key"]) == expected.unwrap_key


def test_handler_keys_made_in_python_unwrap_in_js(node: str) -> None:
    created = handler_keys.create("pässwörd", CHEAP)
    secrets_ = js(
        node, "password_secrets", password="pässwörd", salt=b64(created.salt), **CHEAP_FIELDS
    )
    assert unb64(secrets_["auth"]) == created.auth
    expected = {
        "x25519_secret": b64(created.private.x25519),
        "mlkem_seed": b64(created.private.mlkem_seed),
    }
    unwrapped = js(
        node,
        "unwrap_private",
        wrapped=b64(created.wrapped_private),
        unwrap_key=secrets_["unwrap_key"],
    )
    assert unwrapped == expected
    recovered = js(
        node,
        "unwrap_with_recovery_key",
        wrapped=b64(created.recovery_wrapped_private),
        recovery_key=created.recovery_key.lower(),
    )
    assert recovered == expected


def _recovery_inputs() -> list[str]:
    text = handler_keys.format_recovery_key(bytes(range(32)))
    return [
        text,
        text.lower(),
        " " + text.replace("-", " ") + " ",
        text.replace("-", ""),
        text[:-1] + ("B" if text.endswith("A") else "R"),  # non-canonical trailing bits
        text + "A",
        text[:-1],
        text.replace("A", "0", 1),
        "ß" + text[2:],
        "",
    ]


@pytest.mark.parametrize("text", _recovery_inputs())
def test_recovery_key_parsing_agrees(node: str, text: str) -> None:
    try:
        expected: str | None = b64(handler_keys.parse_recovery_key(text))
    except DecryptionError:
        expected = None
    answer = call(node, "parse_recovery_key", text=text)
    if expected is None:
        assert answer.get("error_type") == "DecryptionError", answer
    else:
        assert answer == {"raw": expected}


@pytest.mark.parametrize("spelling", ["as shown", "lower", "spaces"])
def test_recovery_auth_agrees(node: str, spelling: str) -> None:
    created = handler_keys.create("recovery-auth pass", CHEAP)
    text = {
        "as shown": created.recovery_key,
        "lower": created.recovery_key.lower(),
        "spaces": created.recovery_key.replace("-", " "),
    }[spelling]
    answer = js(node, "recovery_auth", recovery_key=text)
    assert unb64(answer["auth"]) == handler_keys.recovery_auth(created.recovery_key)
    assert js_error(node, "recovery_auth", recovery_key="AAAA-BBBB") == "DecryptionError"


# --- attachments ------------------------------------------------------------------------

SIZES = [0, 1, 65536, 65537, 200000]


def _data(length: int) -> bytes:
    return bytes((i * 7 + 3) % 256 for i in range(length))


@pytest.mark.parametrize("length", SIZES)
def test_file_encrypted_in_js_decrypts_in_python(node: str, length: int) -> None:
    file_key = attachments.new_file_key()
    data = _data(length)
    sealed = unb64(js(node, "encrypt_file", file_key=b64(file_key), data=b64(data))["sealed"])
    python_sealed = b"".join(attachments.encrypt_file(file_key, [data]))
    # Both sides pad to the same bucket: one length, which tells only the bucket.
    assert len(sealed) == len(python_sealed) == attachments.encrypted_size(length)
    # Python reads it in arbitrary pieces, as from the blob store.
    pieces = [sealed[i : i + 1000] for i in range(0, len(sealed), 1000)]
    checked = attachments.check_file(file_key, pieces)
    assert checked.padded and checked.length == length
    assert b"".join(attachments.read_file(file_key, pieces, checked)) == data
    with pytest.raises(DecryptionError):
        attachments.check_file(file_key, [sealed[:-1]])


@pytest.mark.parametrize("length", SIZES)
def test_file_encrypted_in_python_decrypts_in_js(node: str, length: int) -> None:
    file_key = attachments.new_file_key()
    data = _data(length)
    chunks = [data[i : i + 5000] for i in range(0, len(data), 5000)]
    sealed = b"".join(attachments.encrypt_file(file_key, chunks))
    answer = js(node, "decrypt_file", file_key=b64(file_key), sealed=b64(sealed))
    assert unb64(answer["data"]) == data
    bad = js_error(node, "decrypt_file", file_key=b64(file_key), sealed=b64(sealed[:-1]))
    assert bad == "DecryptionError"


def test_unpadded_file_of_an_earlier_release_decrypts_in_js(node: str) -> None:
    file_key = attachments.new_file_key()
    data = _data(70000)
    sealed = b"".join(attachments.encrypt_stream(file_key, [data]))
    answer = js(node, "decrypt_file", file_key=b64(file_key), sealed=b64(sealed))
    assert unb64(answer["data"]) == data


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.pdf", "application/pdf"),
        ("\u0007" * 300, "text/plain"),
        ("名前" * 150, "x" * 300),
        ("😀" * 250, "\u0001" * 120),
    ],
)
def test_file_descriptions_agree(node: str, name: str, kind: str) -> None:
    mine = attachments.describe_file(name, kind, 123, True)
    theirs = js(node, "describe_file", name=name, type=kind, size=123, metadata_stripped=True)[
        "document"
    ]
    assert theirs == mine


# --- proof of work ----------------------------------------------------------------------


@pytest.mark.parametrize("bits", [0, 8, 14])
def test_pow_nonce_from_js_passes_python_check(node: str, bits: int) -> None:
    challenge = random_bytes(32)
    fields = [random_bytes(40), b"fraud_accounting", b""]
    digest = pow.submission_digest(challenge, fields)
    js_digest = js(node, "pow_digest", challenge=b64(challenge), fields=[b64(f) for f in fields])
    assert unb64(js_digest["digest"]) == digest
    nonce = unb64(
        js(node, "solve_pow", challenge=b64(challenge), digest=b64(digest), bits=bits)["nonce"]
    )
    assert pow.check(challenge, digest, nonce, bits)
    assert nonce == pow.solve(challenge, digest, bits)  # both find the smallest counter
    python_nonce = pow.solve(challenge, digest, bits)
    answer = js(
        node,
        "check_pow",
        challenge=b64(challenge),
        digest=b64(digest),
        nonce=b64(python_nonce),
        bits=bits,
    )
    assert answer == {"ok": True}
