"""The reporter's web surface, on SQLite and PostgreSQL.

The browser's sealed path is simulated with the `crypto/` package (byte-compatible with the
browser's JavaScript): routing preview, receipt derivation, grants, proof of work, sealed
follow-up. Then the no-JavaScript form (server-sealed, images cleaned), the receipt throttle,
headers and cookies, the language switch. The world's scan at the end of the module looks for
every text, file name and receipt sent here in the database, the logs and the blob folder.
"""

from __future__ import annotations

import gettext
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from crypto import attachments as file_crypto
from crypto import pow as pow_rule
from crypto import receipts, sealing
from crypto.grants import CASE_KEY, GRANT_BYTES, GrantFor, make_grant, new_key
from crypto.handler_keys import HandlerPublicKeys
from crypto.primitives import Argon2Params
from hotline import create_app, db, wiring
from hotline.models import Attachment, BlobChunk, Case, CaseGrant, Message, PendingBlob
from hotline.services import audit, handler_access, retention
from hotline.services import proof_of_work as pow_service
from hotline.services import throttle as throttle_service
from hotline.services.attachments import AttachmentView
from hotline.services.errors import NotGranted
from tests.support import (
    GENEROUS_LIMITS,
    b64,
    body,
    config_for,
    paths_written,
    unb64,
)
from tests.support.world import HANDLERS, World, build_world

pytestmark = pytest.mark.postgres

CONFIG: dict[str, Any] = {
    **GENEROUS_LIMITS,
    "PAGE_RATE_LIMIT": "10000 per minute",
    "POW_BITS": 4,
    "RECEIPT_FREE_FAILURES": 2,
    "MAX_ATTACHMENT_BYTES": 50_000,
    "MAX_ATTACHMENTS": 2,
}
ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "ja" / "LC_MESSAGES"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """As tests/conftest.py's world, with a cheap proof of work and small upload limits."""
    with build_world(request.param, tmp_path_factory.mktemp(f"web-{request.param}"), **CONFIG) as w:
        yield w


# --- helpers -------------------------------------------------------------------------------


def marker(world: World, label: str) -> str:
    return world.ledger.marker(label)


def client_at(world: World, address: str) -> FlaskClient:
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def stored_state(world: World) -> tuple[tuple[int, ...], set[str]]:
    """Row counts of cases, grants, messages, attachments; and every stored or pending blob."""
    with world.app.app_context():
        s = db.session()
        rows = tuple(
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Case, CaseGrant, Message, Attachment)
        )
        blobs = set(s.scalars(select(BlobChunk.blob_id))) | set(
            s.scalars(select(PendingBlob.blob_id))
        )
    return rows, blobs


def blob_bytes(world: World) -> dict[str, bytes]:
    """Every stored blob's ciphertext, by id."""
    blobs = wiring.services(world.app).blobs
    return {blob_id: b"".join(blobs.chunks(blob_id)) for blob_id in stored_state(world)[1]}


@contextmanager
def as_handler(world: World, user: str) -> Iterator[tuple[Session, handler_access.UnlockedHandler]]:
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        yield session, handler_access.unlock(session, ctx, user, HANDLERS[user][1])


def handler_view(world: World, user: str, case_id: str) -> handler_access.HandlerCase:
    with as_handler(world, user) as (session, who):
        return handler_access.open_case(session, who, case_id)


def handler_file(world: World, user: str, case: str, file: str) -> tuple[AttachmentView, bytes]:
    with as_handler(world, user) as (session, who):
        blobs = wiring.services(world.app).blobs
        return handler_access.attachment_plaintext(session, blobs, who, case, file)


def csrf_token(client: FlaskClient, path: str = "/report") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert page.status_code == 200 and found
    return found.group(1)


# --- the browser, simulated ----------------------------------------------------------------


@dataclass
class Draft:
    """What the browser holds while submitting: the payload and the secrets it never sends."""

    receipt: str
    lookup_tag: bytes
    wrap_key: bytes
    case_id: str  # chosen by the browser before sealing: everything is bound to it
    case_key: bytes  # the only key the browser makes: no notes key
    text: str
    payload: dict[str, Any]

    @property
    def tag(self) -> dict[str, str]:
        return {"lookup_tag": b64(self.lookup_tag)}


def preview(
    client: FlaskClient, category: str, external_only: bool = False, exclude: tuple[int, ...] = ()
) -> dict[str, Any]:
    options = {"category": category, "external_only": external_only, "excluded_handlers": exclude}
    r = client.post("/api/v1/routing", json=options)
    assert r.status_code == 200, r.data
    return body(r)


def recipient(world: World, category: str, user: str) -> dict[str, Any]:
    found = preview(world.app.test_client(), category)["recipients"]
    return next(r for r in found if r["handler_id"] == world.handler_ids[user])


def grant_for(d: Draft, to: dict[str, Any]) -> dict[str, Any]:
    public = HandlerPublicKeys(unb64(to["x25519"]), unb64(to["mlkem"]))
    about = GrantFor(CASE_KEY, d.case_id, to["handler_id"])
    return {
        "handler_id": to["handler_id"],
        "sealed_keys": b64(make_grant(d.case_key, public, about)),
    }


def solved_pow(client: FlaskClient) -> dict[str, str]:
    """A challenge the draft keeps; the proof is solved for the payload as sent (`sending`)."""
    challenge = body(client.get("/api/v1/pow"))
    assert challenge["bits"] == 4 and challenge["expires_in"] > 0
    return {"challenge": challenge["challenge"]}


def sending(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and the proof-of-work header, solved for this very body (as the browser)."""
    sent = {k: v for k, v in payload.items() if k != "pow"}
    proof = payload.get("pow")
    if proof is None:
        return sent, {}
    header = proof.get("header") or pow_rule.solve_header(unb64(proof["challenge"]), sent, 4)
    return sent, {pow_rule.HEADER: header}


def post_report(client: FlaskClient, payload: dict[str, Any]) -> TestResponse:
    sent, headers = sending(payload)
    return client.post("/api/v1/reports", json=sent, headers=headers)


def draft(
    world: World,
    client: FlaskClient,
    category: str = "fraud_accounting",
    external_only: bool = False,
    exclude: tuple[int, ...] = (),
) -> Draft:
    route = preview(client, category, external_only, exclude)
    params = body(client.get("/api/v1/receipt-params"))
    assert params == {"receipt_salt": route["receipt_salt"], "argon2": route["argon2"]}
    digits = receipts.generate()
    cost = Argon2Params(params["argon2"]["ops"], params["argon2"]["mem_bytes"])
    derived = receipts.derive(digits, unb64(params["receipt_salt"]), cost)
    case_key, case_id = new_key(), sealing.new_case_id()
    text = marker(world, "sealed report")
    document = {"category": category, "language": "en", "fields": {"what_happened": text}}
    payload: dict[str, Any] = {
        "case_id": case_id,
        "category": category,
        "language": "en",
        "external_only": external_only,
        "excluded_handlers": list(exclude),
        "sealed_report": b64(sealing.seal_report(case_key, document, case_id)),
        "lookup_tag": b64(derived.lookup_tag),
        "reporter_wrapped_key": b64(sealing.wrap_case_key_for_reporter(case_key, derived.wrap_key)),
        "grants": [],
        "pow": solved_pow(client),
    }
    receipt = receipts.format_receipt(digits)
    world.ledger.receipt(receipt)
    d = Draft(receipt, derived.lookup_tag, derived.wrap_key, case_id, case_key, text, payload)
    d.payload["grants"] = [grant_for(d, r) for r in route["recipients"]]
    return d


def submitted(world: World, client: FlaskClient, **options: Any) -> tuple[Draft, str]:
    d = draft(world, client, **options)
    r = post_report(client, d.payload)
    assert r.status_code == 201, r.data
    return d, str(body(r)["case_id"])


def seal_file(d: Draft, plain: bytes, name: str) -> tuple[bytes, dict[str, str]]:
    """What web/js does per file: padded, secretstream under a new file key, key and meta
    sealed under the case key and bound to the case."""
    file_key = file_crypto.new_file_key()
    ciphertext = b"".join(file_crypto.encrypt_file(file_key, [plain]))
    meta = file_crypto.describe_file(name, "text/plain", len(plain), False)
    return ciphertext, {
        "sealed_file_key": b64(file_crypto.seal_file_key(d.case_key, file_key, d.case_id)),
        "sealed_meta": b64(sealing.seal_attachment_meta(d.case_key, meta, d.case_id)),
    }


def reporter_message(d: Draft, text: str, seq: int) -> dict[str, Any]:
    """A follow-up message as the browser seals it: for the case's next message number."""
    sealed = sealing.seal_message(d.case_key, text, d.case_id, sealing.REPORTER, seq)
    return {**d.tag, "sealed_body": b64(sealed), "seq": seq}


def post_files(
    client: FlaskClient, path: str, part: str, payload: dict[str, Any], ciphertexts: list[bytes]
) -> TestResponse:
    files = [
        (io.BytesIO(ct), f"file-{i}.bin", "application/octet-stream")
        for i, ct in enumerate(ciphertexts)
    ]
    sent, headers = sending(payload)
    data = {part: json.dumps(sent), "file": files}
    return client.post(path, data=data, content_type="multipart/form-data", headers=headers)


def reporter_open(client: FlaskClient, d: Draft) -> tuple[bytes, dict[str, Any]]:
    r = client.post("/api/v1/followup", json=d.tag)
    assert r.status_code == 200, r.data
    data = body(r)
    wrapped = unb64(data["reporter_wrapped_key"])
    return sealing.unwrap_case_key_for_reporter(wrapped, d.wrap_key), data


# --- the browser's sealed path -------------------------------------------------------------


def test_routing_preview_names_exactly_the_routed_handlers(world: World) -> None:
    client, ids = world.app.test_client(), world.handler_ids

    def routed(**options: Any) -> set[int]:
        found = preview(client, "fraud_accounting", **options)["recipients"]
        assert all(len(unb64(r["x25519"])) == 32 and len(unb64(r["mlkem"])) == 1184 for r in found)
        return {r["handler_id"] for r in found}

    assert routed() == {ids["comp.one"], ids["comp.two"], ids["audit.one"]}
    assert routed(exclude=(ids["comp.two"],)) == {ids["comp.one"], ids["audit.one"]}
    assert routed(external_only=True) == {ids["ombuds.one"]}
    r = client.post("/api/v1/routing", json={"category": "nope"})
    assert r.status_code == 400 and body(r)["error"] == "unknown_category"
    r = client.post("/api/v1/routing", json={"category": "other", "excluded_handlers": ["x"]})
    assert r.status_code == 400 and body(r)["field"] == "excluded_handlers"


def test_sealed_report_followup_and_replies(world: World) -> None:
    client = world.app.test_client()
    d, case_id = submitted(world, client, exclude=(world.handler_ids["comp.two"],))
    assert case_id.startswith("HL-")
    with world.app.app_context():
        query = select(CaseGrant.handler_id).where(CaseGrant.case_id == case_id)
        granted = set(db.session().scalars(query))
    assert granted == {world.handler_ids["comp.one"], world.handler_ids["audit.one"]}
    assert handler_view(world, "comp.one", case_id).report["fields"]["what_happened"] == d.text
    with pytest.raises(NotGranted):
        handler_view(world, "comp.two", case_id)

    case_key, opened = reporter_open(client, d)
    assert case_key == d.case_key and opened["case_id"] == case_id == d.case_id
    report = sealing.open_report(case_key, unb64(opened["sealed_report"]), case_id)
    assert report["fields"]["what_happened"] == d.text and opened["messages"] == []
    assert opened["next_message_seq"] == 0

    note = marker(world, "sealed reporter note")
    r = client.post("/api/v1/followup/messages", json=reporter_message(d, note, 0))
    assert r.status_code == 201 and body(r)["case_id"] == case_id
    # Sealed for a place another message already took: refused (409), nothing stored.
    stale = reporter_message(d, marker(world, "stale note"), 0)
    r = client.post("/api/v1/followup/messages", json=stale)
    assert r.status_code == 409 and body(r)["error"] == "stale_sequence"
    answer = marker(world, "handler answer")
    with as_handler(world, "audit.one") as (session, who):
        ctx = wiring.services(world.app).context
        handler_access.reply(session, ctx, who, case_id, answer)

    def sealed_messages() -> list[tuple[str, str]]:
        key, data = reporter_open(client, d)
        return [
            (
                m["author"],
                sealing.open_message(
                    key, unb64(m["sealed_body"]), case_id, m["author_id"], m["seq"]
                ),
            )
            for m in data["messages"]
        ]

    assert sealed_messages() == [("reporter", note), ("handler", answer)]

    # The chat/SMS adapters' path takes the very same receipt: both paths interoperate.
    r = client.post("/api/v1/channel/followup", json={"receipt": d.receipt}, headers=world.auth())
    assert r.status_code == 200 and body(r)["case_id"] == case_id, r.data
    assert [(m["author"], m["body"]) for m in body(r)["messages"]] == sealed_messages()
    via_channel = marker(world, "channel note")
    r = client.post(
        "/api/v1/channel/followup/messages",
        json={"receipt": d.receipt.replace(" ", "-"), "body": via_channel},
        headers=world.auth(),
    )
    assert r.status_code == 201
    assert sealed_messages()[-1] == ("reporter", via_channel)
    seen = [m.body for m in handler_view(world, "comp.one", case_id).messages]
    assert seen == [note, answer, via_channel]


def test_browser_files_in_one_bucket_store_one_length(world: World) -> None:
    client = world.app.test_client()
    d = draft(world, client)
    short = marker(world, "short file").encode()
    plains = [short, (short * 2000)[:40_000]]  # both in the first bucket (64 KiB)
    names = ["a.txt", "n" * 180 + ".txt"]
    sealed = [seal_file(d, p, n) for p, n in zip(plains, names, strict=True)]
    payload = {**d.payload, "attachments": [desc for _, desc in sealed]}
    r = post_files(client, "/api/v1/reports", "report", payload, [ct for ct, _ in sealed])
    assert r.status_code == 201, r.data
    with world.app.app_context():
        rows = list(
            db.session().scalars(select(Attachment).where(Attachment.case_id == body(r)["case_id"]))
        )
    stored = blob_bytes(world)
    assert len(rows) == 2
    assert {row.stored_bytes for row in rows} == {file_crypto.encrypted_size(0)}
    assert {len(stored[row.id]) for row in rows} == {file_crypto.encrypted_size(0)}
    assert {len(row.sealed_meta) for row in rows} == {24 + 16 + 1024}


def test_unpadded_browser_files_and_long_descriptions_are_refused(world: World) -> None:
    client = world.app.test_client()
    plain = marker(world, "unpadded file").encode()
    before = stored_state(world)
    for refused in ("unpadded", "long description"):
        d = draft(world, client)
        ciphertext, described = seal_file(d, plain, "a.txt")
        if refused == "unpadded":
            # As an earlier release's browser sent it: its length would be the exact size.
            file_key = file_crypto.new_file_key()
            ciphertext = b"".join(file_crypto.encrypt_stream(file_key, [plain]))
            described["sealed_file_key"] = b64(
                file_crypto.seal_file_key(d.case_key, file_key, d.case_id)
            )
        else:
            # A description in the 2 KiB bucket would tell a long name from a short one.
            meta = {"name": "n" * 1500, "type": "", "size": len(plain), "metadata_stripped": False}
            described["sealed_meta"] = b64(
                sealing.seal_attachment_meta(d.case_key, meta, d.case_id)
            )
        payload = {**d.payload, "attachments": [described]}
        r = post_files(client, "/api/v1/reports", "report", payload, [ciphertext])
        assert r.status_code == 400 and body(r)["error"] == "invalid_input", (refused, r.data)
        assert stored_state(world) == before


def test_escalation_grants_stay_held_on_the_sealed_path(world: World) -> None:
    client, ids = world.app.test_client(), world.handler_ids
    held = {r["handler_id"] for r in preview(client, "harassment")["recipients"] if r["held"]}
    assert held == {ids["comp.one"], ids["comp.two"]}  # harassment escalates to compliance
    text = marker(world, "held control")
    report = {"category": "harassment", "body": text, "channel": "chat", "language": "en"}
    served = client.post("/api/v1/channel/reports", json=report, headers=world.auth())
    world.ledger.receipt(body(served)["receipt"])
    with pytest.raises(NotGranted):  # the server-sealed path holds them back
        handler_view(world, "comp.one", body(served)["case_id"])
    d, case_id = submitted(world, client, category="harassment")
    assert handler_view(world, "harass.one", case_id).report["fields"]["what_happened"] == d.text
    with pytest.raises(NotGranted):
        handler_view(world, "comp.one", case_id)


def test_browser_sealed_attachments(world: World) -> None:
    client = world.app.test_client()
    d = draft(world, client)
    plains = [(marker(world, "evidence sheet") * 300).encode(), marker(world, "ledger").encode()]
    names = [f"ledger-{secrets.token_hex(4)}.csv", f"memo-{secrets.token_hex(4)}.txt"]
    world.ledger.add(*names)
    sealed = [seal_file(d, p, n) for p, n in zip(plains, names, strict=True)]
    payload = {**d.payload, "attachments": [desc for _, desc in sealed]}
    r = post_files(client, "/api/v1/reports", "report", payload, [ct for ct, _ in sealed])
    assert r.status_code == 201, r.data
    case_id = body(r)["case_id"]
    # A follow-up message from the browser can carry a sealed file too.
    later = marker(world, "later file").encode()
    sealed.append(seal_file(d, later, "later.txt"))
    message = {**reporter_message(d, "see", 0), "attachments": [sealed[-1][1]]}
    r = post_files(client, "/api/v1/followup/messages", "message", message, [sealed[-1][0]])
    assert r.status_code == 201, r.data

    case_key, opened = reporter_open(client, d)
    listed = opened["attachments"]
    assert len(listed) == 3 and {a["author"] for a in listed} == {"reporter"}
    everything = zip(sealed, [*plains, later], strict=True)
    expected = {desc["sealed_file_key"]: (ct, plain) for (ct, desc), plain in everything}
    for item in listed:
        ciphertext, plain = expected[item["sealed_file_key"]]
        assert item["stored_bytes"] == len(ciphertext)
        view, data = handler_file(world, "comp.one", case_id, item["id"])
        assert data == plain and view.size == len(plain)
        r = client.post(f"/api/v1/followup/attachments/{item['id']}", json=d.tag)
        assert r.status_code == 200 and r.mimetype == "application/octet-stream"
        assert r.data == ciphertext
        file_key = file_crypto.open_file_key(
            case_key, unb64(r.headers["X-Sealed-File-Key"]), case_id
        )
        assert file_crypto.decrypt_file(file_key, [r.data]) == plain
    assert {a["id"] for a in listed} <= stored_state(world)[1]
    assert client.post(f"/api/v1/followup/attachments/{'0' * 32}", json=d.tag).status_code == 404
    # An id longer than any file id is refused as such, never cut to a real one.
    r = client.post(f"/api/v1/followup/attachments/{listed[0]['id']}0", json=d.tag)
    assert r.status_code == 400 and body(r)["field"] == "attachment", r.data


def test_file_and_description_count_mismatch_stores_nothing(world: World) -> None:
    client = world.app.test_client()
    for files, described in ((2, 1), (0, 1), (1, 0)):
        d = draft(world, client)
        sealed = [seal_file(d, b"x" * 100, f"f{i}") for i in range(2)]
        payload = {**d.payload, "attachments": [desc for _, desc in sealed[:described]]}
        before = stored_state(world)
        r = post_files(
            client, "/api/v1/reports", "report", payload, [ct for ct, _ in sealed[:files]]
        )
        assert r.status_code == 400, (files, described, r.data)
        assert body(r)["error"] == "invalid_input" and body(r)["field"] == "attachments"
        assert stored_state(world) == before  # no row, and no blob, stored or pending


def test_refused_file_description_leaves_no_blob(world: World) -> None:
    client = world.app.test_client()
    d = draft(world, client)
    sealed = [seal_file(d, b"y" * 100, f"f{i}") for i in range(2)]
    descriptions = [sealed[0][1], {**sealed[1][1], "sealed_meta": ""}]  # the 2nd: empty meta
    before = stored_state(world)
    r = post_files(
        client,
        "/api/v1/reports",
        "report",
        {**d.payload, "attachments": descriptions},
        [ct for ct, _ in sealed],
    )
    assert r.status_code == 400 and body(r)["field"] == "attachments"
    assert stored_state(world)[0] == before[0]
    assert stored_state(world)[1] == before[1]


Mutation = Callable[[World, Draft], None]
MISMATCH, BAD = (409, "grant_mismatch"), (400, "invalid_input")


def _unsolved(world: World, d: Draft) -> None:
    challenge = unb64(d.payload["pow"]["challenge"])
    digest = pow_rule.submission_digest(challenge, pow_rule.wire_fields(sending(d.payload)[0]))
    nonces = (i.to_bytes(8, "big") for i in range(1000))
    bad = next(n for n in nonces if not pow_rule.check(challenge, digest, n, 4))
    d.payload["pow"]["header"] = pow_rule.header_value(challenge, digest, bad)


def _solved_for_another(world: World, d: Draft) -> None:
    """A proof solved (on this very challenge) for a different submission."""
    other = draft(world, world.app.test_client())
    challenge = unb64(d.payload["pow"]["challenge"])
    d.payload["pow"]["header"] = pow_rule.solve_header(challenge, sending(other.payload)[0], 4)


def _tampered_mac(world: World, d: Draft) -> None:
    raw = unb64(d.payload["pow"]["challenge"])
    d.payload["pow"]["challenge"] = b64(raw[:-1] + bytes([raw[-1] ^ 1]))


def _expired(world: World, d: Draft) -> None:
    """A challenge the app's own ProofOfWork issued in the past, correctly solved."""
    checker: pow_service.ProofOfWork = wiring.services(world.app).pow
    past = time.time() - checker.ttl - 60
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pow_service, "time", SimpleNamespace(time=lambda: past))
        challenge = checker.issue().challenge
    d.payload["pow"] = {"challenge": b64(challenge)}


def _resize(name: str, delta: int) -> Mutation:
    def mutate(world: World, d: Draft) -> None:
        raw = unb64(d.payload[name])
        d.payload[name] = b64(raw + b"\0" * delta if delta > 0 else raw[:delta])

    return mutate


def _add_grant(category: str, user: str) -> Mutation:
    def mutate(world: World, d: Draft) -> None:
        d.payload["grants"].append(grant_for(d, recipient(world, category, user)))

    return mutate


def _cut_grant(world: World, d: Draft) -> None:
    grant = d.payload["grants"][0]
    grant["sealed_keys"] = b64(unb64(grant["sealed_keys"])[:-1])


def _reused(world: World, d: Draft) -> None:
    """The same submission and proof were sent once already (and accepted)."""
    sent, headers = sending(d.payload)
    d.payload["pow"]["header"] = headers[pow_rule.HEADER]
    client = world.app.test_client()
    assert client.post("/api/v1/reports", json=sent, headers=headers).status_code == 201


def _twice(world: World, d: Draft) -> None:
    d.payload["grants"].append(grant_for(d, recipient(world, "fraud_accounting", "comp.one")))


def _notes_key_in_grant(world: World, d: Draft) -> None:
    """A grant that also carries a notes key (case key | notes key, the old layout)."""
    grant = d.payload["grants"][0]
    grant["sealed_keys"] = b64(unb64(grant["sealed_keys"]) + new_key())
    assert len(unb64(grant["sealed_keys"])) == GRANT_BYTES + 32


def _notes_key_beside_grant(world: World, d: Draft) -> None:
    """A notes-key grant beside the case-key grant, as the console would send it."""
    d.payload["grants"][0]["sealed_notes_key"] = d.payload["grants"][0]["sealed_keys"]


def _notes_keys_field(world: World, d: Draft) -> None:
    d.payload["notes_grants"] = d.payload["grants"]


def _taken_case_id(world: World, d: Draft) -> None:
    """Another report already has this case id (the browser chose it): refused, nothing kept."""
    client = world.app.test_client()
    other = draft(world, client)
    other.case_id = d.case_id
    other.payload["case_id"] = d.case_id
    assert post_report(client, other.payload).status_code == 201


REFUSALS: list[tuple[str, tuple[str, ...], Mutation, tuple[int, str]]] = [
    ("routed handler missing", (), lambda w, d: d.payload["grants"].pop(), MISMATCH),
    ("grant for excluded", ("comp.two",), _add_grant("fraud_accounting", "comp.two"), MISMATCH),
    ("grant for unrouted", (), _add_grant("harassment", "harass.one"), MISMATCH),
    ("grant of wrong size", (), _cut_grant, BAD),
    ("two grants for one handler", (), _twice, BAD),
    ("short lookup tag", (), _resize("lookup_tag", -1), BAD),
    ("long lookup tag", (), _resize("lookup_tag", 1), BAD),
    ("long reporter key", (), _resize("reporter_wrapped_key", 1), BAD),
    ("short reporter key", (), _resize("reporter_wrapped_key", -1), BAD),
    ("unknown field", (), lambda w, d: d.payload.update(ip="203.0.113.9"), BAD),
    ("notes key inside a grant", (), _notes_key_in_grant, BAD),
    ("notes-key grant beside a grant", (), _notes_key_beside_grant, BAD),
    ("notes-key grants field", (), _notes_keys_field, BAD),
    ("case id not ours", (), lambda w, d: d.payload.update(case_id="HL-7qx2m9k4tb"), BAD),
    ("no case id", (), lambda w, d: d.payload.pop("case_id"), BAD),
    ("case id taken", (), _taken_case_id, (409, "conflict")),
    ("unsolved proof of work", (), _unsolved, (400, "invalid_proof_of_work")),
    ("tampered challenge MAC", (), _tampered_mac, (400, "invalid_proof_of_work")),
    ("expired challenge", (), _expired, (400, "proof_of_work_expired")),
    ("reused proof of work", (), _reused, (400, "proof_of_work_reused")),
    ("proof for another submission", (), _solved_for_another, (400, "proof_of_work_mismatch")),
    ("no proof of work", (), lambda w, d: d.payload.pop("pow"), (400, "invalid_proof_of_work")),
]


@pytest.mark.parametrize(
    ("label", "excluded", "mutate", "expected"), REFUSALS, ids=[c[0] for c in REFUSALS]
)
def test_sealed_refusals_store_nothing(
    world: World, label: str, excluded: tuple[str, ...], mutate: Mutation, expected: tuple[int, str]
) -> None:
    client = world.app.test_client()
    d = draft(world, client, exclude=tuple(world.handler_ids[u] for u in excluded))
    mutate(world, d)
    before = stored_state(world)
    r = post_report(client, d.payload)
    assert (r.status_code, body(r)["error"]) == expected, (label, r.data)
    assert body(r)["message"] and stored_state(world) == before


# --- receipt throttle ----------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The throttle's notion of now, moved by hand."""
    now = [float(int(time.time()))]
    monkeypatch.setattr(throttle_service, "time", SimpleNamespace(time=lambda: now[0]))
    return now


def wrong_tag(client: FlaskClient, **headers: str) -> TestResponse:
    tag = {"lookup_tag": b64(secrets.token_bytes(32))}
    return client.post("/api/v1/followup", json=tag, headers=headers)


def test_receipt_throttle_grows_and_never_resets_on_sealed_followup(
    world: World, clock: list[float]
) -> None:
    client = client_at(world, "198.51.100.21")
    d, case_id = submitted(world, client)

    def right() -> TestResponse:
        return client.post("/api/v1/followup", json=d.tag)

    assert [wrong_tag(client).status_code for _ in range(3)] == [404, 404, 404]
    refused = wrong_tag(client)
    assert refused.status_code == 429 and body(refused)["error"] == "too_many_attempts"
    assert "wait 2 seconds" in body(refused)["message"]
    assert right().status_code == 429  # while the delay runs, even the right receipt waits
    clock[0] += 2
    assert wrong_tag(client).status_code == 404
    assert "wait 4 seconds" in body(right())["message"]  # the delay doubled
    clock[0] += 3
    assert "wait 1 seconds" in body(right())["message"]
    clock[0] += 1
    r = right()
    assert r.status_code == 200 and body(r)["case_id"] == case_id
    # The right receipt does not reset the count (only time does): the next wrong one is
    # delayed at once, and longer.
    assert wrong_tag(client).status_code == 404
    assert "wait 8 seconds" in body(wrong_tag(client))["message"]


def test_receipt_throttle_ignores_a_client_chosen_session_header(
    world: World, clock: list[float]
) -> None:
    client = client_at(world, "198.51.100.23")
    assert [wrong_tag(client).status_code for _ in range(4)] == [404, 404, 404, 429]
    assert wrong_tag(client, **{"X-Hotline-Session": secrets.token_hex(8)}).status_code == 429


def test_receipt_throttle_on_no_js_followup_page(world: World, clock: list[float]) -> None:
    client = client_at(world, "198.51.100.22")
    text = marker(world, "channel report")
    report = {"category": "other", "body": text, "channel": "web", "language": "en"}
    r = client.post("/api/v1/channel/reports", headers=world.auth(), json=report)
    assert r.status_code == 201
    receipt = body(r)["receipt"]
    world.ledger.receipt(receipt)
    token = csrf_token(client, "/followup")

    def attempt(code: str) -> TestResponse:
        return client.post("/followup", data={"csrf_token": token, "receipt": code})

    pages = [attempt(receipts.generate()) for _ in range(4)]
    assert [p.status_code for p in pages] == [404, 404, 404, 429]
    assert "No case matches this receipt" in pages[0].get_data(as_text=True)
    page = pages[-1].get_data(as_text=True)
    assert pages[-1].mimetype == "text/html" and "Too many failed attempts" in page
    assert "Traceback" not in page
    assert wrong_tag(client).status_code == 429  # one throttle per client, whichever path
    clock[0] += 2
    opened = attempt(receipt)
    assert opened.status_code == 200 and text in opened.get_data(as_text=True)
    # The count stays: the next wrong receipt starts a longer delay at once.
    assert [attempt(receipts.generate()).status_code for _ in range(2)] == [404, 429]


# --- the no-JavaScript form ----------------------------------------------------------------


def exif_photo(world: World) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = make = f"camera-{secrets.token_hex(6)}"  # a unique, searchable EXIF value
    exif[0x8825] = {1: "N", 2: (35.0, 40.0, 30.5), 3: "E", 4: (139.0, 45.0, 10.25)}  # GPSInfo
    world.ledger.add(make)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)  # GPS is there
    return out.getvalue()


def report_form(world: World, token: str) -> dict[str, Any]:
    fields = {name: marker(world, name) for name in ("what_happened", "when", "where", "who")}
    return {
        "csrf_token": token,
        "category": "fraud_accounting",
        **fields,
        "how_known": marker(world, "how"),
        "external_only": "0",
        "exclude": str(world.handler_ids["comp.two"]),
    }


def receipt_of(world: World, response: TestResponse) -> str:
    found = re.search(r'id="receipt-code"[^>]*>\s*(\d{4} \d{4} \d{4} \d{4})\s*<', response.text)
    assert response.status_code == 201 and found, response.text[:500]
    world.ledger.receipt(found.group(1))
    return found.group(1)


def case_page(client: FlaskClient, token: str, receipt: str) -> tuple[str, str]:
    """(case id, page) of the no-JavaScript follow-up page."""
    page = client.post("/followup", data={"csrf_token": token, "receipt": receipt})
    slot = re.search(r'data-slot="case_id">(HL-[^<]+)<', page.text)
    assert page.status_code == 200 and slot, page.text[:500]
    return slot.group(1), page.text


def test_no_js_report_files_and_followup(world: World) -> None:
    client = world.app.test_client()
    token = csrf_token(client)
    photo, pdf_marker = exif_photo(world), marker(world, "pdf text")
    pdf = b"%PDF-1.4\n% " + pdf_marker.encode() + b"\n" + bytes(range(256)) * 4 + b"%%EOF\n"
    photo_name, pdf_name = f"gps-{secrets.token_hex(4)}.jpg", f"scan-{secrets.token_hex(4)}.pdf"
    world.ledger.add(photo_name, pdf_name)
    form = report_form(world, token)
    form["files"] = [
        (io.BytesIO(photo), photo_name, "image/jpeg"),
        (io.BytesIO(pdf), pdf_name, "application/pdf"),
    ]
    tmp_before = set(os.listdir(tempfile.gettempdir()))
    with paths_written() as writes:
        r = client.post("/report", data=form, content_type="multipart/form-data")
    receipt = receipt_of(world, r)
    assert r.headers["Cache-Control"] == "no-store"
    assert set(os.listdir(tempfile.gettempdir())) <= tmp_before
    assert writes == [], writes  # no file at all: the ciphertext went into the database
    for stored in blob_bytes(world).values():
        assert pdf not in stored and pdf_marker.encode() not in stored

    case_id, page = case_page(client, token, receipt)
    assert all(form[name] in page for name in ("what_happened", "who", "how_known"))
    assert photo_name in page and pdf_name in page

    with as_handler(world, "comp.one") as (session, who):
        views = {v.name: v for v in handler_access.attachments_of(session, who, case_id)}
    assert set(views) == {photo_name, pdf_name}
    assert views[photo_name].metadata_stripped and not views[pdf_name].metadata_stripped
    _, cleaned = handler_file(world, "comp.one", case_id, views[photo_name].attachment_id)
    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert len(image.getexif()) == 0 and "exif" not in image.info
    assert handler_file(world, "comp.one", case_id, views[pdf_name].attachment_id)[1] == pdf
    with pytest.raises(NotGranted):
        handler_view(world, "comp.two", case_id)
    with world.app.app_context():  # the no-JS path grants the case key only: no notes key
        notes = list(
            db.session().scalars(
                select(CaseGrant.sealed_notes_key).where(CaseGrant.case_id == case_id)
            )
        )
        assert notes and all(n is None for n in notes)

    reply, note = marker(world, "no-js reply"), marker(world, "no-js note file").encode()
    r = client.post(
        "/followup/reply",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "receipt": receipt,
            "body": reply,
            "files": [(io.BytesIO(note), "note.txt", "text/plain")],
        },
    )
    assert r.status_code == 200, r.data[:500]
    assert "Your message was sent." in r.text and reply in r.text and "note.txt" in r.text
    assert [m.body for m in handler_view(world, "comp.one", case_id).messages] == [reply]

    ids = re.findall(r'action="/followup/files/([0-9a-f]{32})"', r.text)
    downloads = {}
    for attachment_id in ids:
        r = client.post(
            f"/followup/files/{attachment_id}", data={"csrf_token": token, "receipt": receipt}
        )
        assert r.status_code == 200 and r.mimetype == "application/octet-stream"
        downloads[r.headers["Content-Disposition"]] = r.data
    assert len(ids) == 3 and sorted(downloads.values()) == sorted([cleaned, pdf, note])
    assert downloads[f'attachment; filename="{pdf_name}"'] == pdf
    r = client.post(f"/followup/files/{ids[0]}0", data={"csrf_token": token, "receipt": receipt})
    assert r.status_code == 400 and r.mimetype == "text/html" and "could not be accepted" in r.text


def test_no_js_photo_is_cleaned_whatever_its_declared_type(world: World) -> None:
    client = world.app.test_client()
    token = csrf_token(client)
    for declared in ("image/jpg", "application/octet-stream"):
        form = report_form(world, token)
        form["files"] = [(io.BytesIO(exif_photo(world)), "IMG_0001", declared)]
        r = client.post("/report", data=form, content_type="multipart/form-data")
        case_id, page = case_page(client, token, receipt_of(world, r))
        file_id = re.findall(r'action="/followup/files/([0-9a-f]{32})"', page)[0]
        data = handler_file(world, "comp.one", case_id, file_id)[1]
        assert not Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), declared


def test_no_js_refusals_store_nothing(world: World) -> None:
    client = world.app.test_client()
    token = csrf_token(client)
    before = stored_state(world)
    r = client.post("/report", data=report_form(world, ""), content_type="multipart/form-data")
    assert r.status_code == 400 and r.mimetype == "text/html" and not r.is_json
    assert "Traceback" not in r.text
    oversize = [(io.BytesIO(b"%PDF" + b"0" * 60_000), "big.pdf", "application/pdf")]
    too_many = [(io.BytesIO(b"%PDF small"), f"f{i}.pdf", "application/pdf") for i in range(3)]
    for files in (oversize, too_many):
        form = {**report_form(world, token), "files": files}
        r = client.post("/report", data=form, content_type="multipart/form-data")
        assert r.status_code == 413 and r.mimetype == "text/html", r.text
        assert "too large" in r.text and "Traceback" not in r.text
        check_headers(r, "413 page")
        assert stored_state(world) == before  # no case, and no blob, stored or pending


# --- headers, cookies, language, rate limits -----------------------------------------------


def test_language_switch_renders_japanese(world: World) -> None:
    if not (CATALOG / "messages.mo").exists():
        pybabel = Path(sys.executable).parent / "pybabel"
        subprocess.run([str(pybabel), "compile", "-d", str(CATALOG.parents[1])], check=True)
    # The compiled catalog is what the app renders (messages.po may be mid-translation).
    with open(CATALOG / "messages.mo", "rb") as compiled:
        translated = gettext.GNUTranslations(compiled).gettext("Make a report")
    client = world.app.test_client()
    r = client.get("/language/ja", query_string={"next": "/report"})
    assert r.status_code == 302 and r.headers["Location"] == "/report"
    page = client.get("/").text
    assert '<html lang="ja">' in page
    if translated != "Make a report":  # an empty msgstr falls back to the English text
        assert translated in page and not translated.isascii()
    client.get("/language/en")
    assert '<html lang="en">' in client.get("/").text
    assert '<html lang="en">' in world.app.test_client().get("/").text


def test_language_switch_never_redirects_off_site(world: World) -> None:
    client = world.app.test_client()
    for target in ("//evil.example", "https://evil.example", "/\\evil.example", "/\t/evil.example"):
        location = client.get("/language/ja", query_string={"next": target}).headers["Location"]
        assert urlsplit(location).netloc == "" and not location.startswith("//"), location


def check_headers(response: TestResponse, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp, where
    assert response.headers.get("Referrer-Policy") == "no-referrer", where
    assert response.headers.get("X-Frame-Options") == "DENY", where


def test_security_headers_and_session_cookie(world: World) -> None:
    client = world.app.test_client()
    requests = [
        ("GET", "/", 200),
        ("GET", "/report", 200),
        ("GET", "/followup", 200),
        ("GET", "/nowhere", 404),
        ("POST", "/report", 400),
        ("POST", "/followup", 400),
        ("GET", "/api/v1/pow", 200),
        ("GET", "/api/v1/receipt-params", 200),
        ("POST", "/api/v1/routing", 415),
        ("POST", "/api/v1/reports", 415),
        ("GET", "/api/v1/nothing", 404),
        ("GET", "/language/ja", 302),
    ]
    for method, path, status in requests:
        r = client.open(path, method=method)
        assert r.status_code == status, (method, path, r.status_code)
        check_headers(r, f"{method} {path}")
    cookies = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")[1:]]
    assert "samesite=strict" in attributes and "httponly" in attributes
    assert not any(a.startswith(("expires", "max-age")) for a in attributes), cookies[0]


def test_page_rate_limit_answers_html(tmp_path: Path) -> None:
    app = create_app(config_for("sqlite://", tmp_path / "instance", PAGE_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/")
    assert limited.status_code == 429 and limited.mimetype == "text/html"
    assert "Too many attempts" in limited.text and "Traceback" not in limited.text
    assert "Retry-After" in limited.headers
    check_headers(limited, "429 page")


def test_a_purged_cases_id_is_never_given_to_a_new_case(world: World) -> None:
    """The browser chooses the case id. A purged case leaves its audit entries under its id
    (the trail keeps the fact); a reporter who knows that id (their own old case) must not
    get it for a new case, whose handlers would then see the old case's trail (who handled
    it, when, its outcome) as this one's. Refused as a taken id is: 409, nothing stored."""
    client = world.app.test_client()
    _, old_id = submitted(world, client)
    with world.app.app_context():
        retention.purge_case(db.session(), wiring.services(world.app).blobs, old_id)
        assert db.session().get(Case, old_id) is None
        assert audit.trail(db.session(), old_id)  # the purge is recorded under the id
    d = draft(world, client)
    document = {
        "category": "fraud_accounting",
        "language": "en",
        "fields": {"what_happened": d.text},
    }
    d.case_id = old_id
    d.payload["case_id"] = old_id
    d.payload["sealed_report"] = b64(sealing.seal_report(d.case_key, document, old_id))
    d.payload["grants"] = [
        grant_for(d, r) for r in preview(client, "fraud_accounting")["recipients"]
    ]
    r = post_report(client, d.payload)
    assert r.status_code == 409, r.data
    assert body(r)["error"] == "conflict"
    with world.app.app_context():
        assert db.session().get(Case, old_id) is None
