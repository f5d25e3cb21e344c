"""JSON API of the reporter's browser: routing preview, proof of work, sealed reports and
sealed follow-up. Everything here is ciphertext or public keys; no token, strict limits."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, jsonify, request, stream_with_context
from flask_limiter import Limiter

from crypto import pow as pow_rule
from hotline import db, wiring
from hotline.app_services import service_context
from hotline.blobs.store import BlobStore
from hotline.limits import reporter_limits
from hotline.services import attachments, routing, sealed_followup, sealed_intake, sequence
from hotline.services.errors import InvalidInput
from hotline.services.proof_of_work import InvalidProof, ProofOfWork, check_binding
from hotline.uploads import finished_uploads
from hotline.views.json_input import (
    ATTACHMENT_ID_MAX,
    UnsupportedMediaType,
    b64,
    b64_field,
    bool_field,
    check_object,
    id_list_field,
    json_object,
    path_id,
    string_field,
)
from hotline.views.receipt_guard import guarded

_REPORT_FIELDS = (
    "case_id",
    "category",
    "language",
    "sealed_report",
    "lookup_tag",
    "reporter_wrapped_key",
    "grants",
)
_REPORT_OPTIONAL = ("external_only", "excluded_handlers", "attachments", "involves_executive")
_ROUTING_OPTIONAL = ("external_only", "excluded_handlers", "involves_executive")


def _blobs() -> BlobStore:
    store: BlobStore = wiring.services().blobs
    return store


def _pow() -> ProofOfWork:
    checker: ProofOfWork = wiring.services().pow
    return checker


def _redeem_proof() -> tuple[bytes, bytes]:
    """Check and spend the proof of work from its header, before the body is read.

    The header is `challenge.digest.nonce` (base64 each): the proof covers the digest, and
    the body, once parsed, must hash to that digest (`check_binding`)."""
    parts = request.headers.get(pow_rule.HEADER, "")[:200].split(".")
    if len(parts) != 3:
        raise InvalidProof("the anti-abuse check is missing; reload the page and try again")
    named = dict(zip(("challenge", "digest", "nonce"), parts, strict=True))
    challenge = b64_field(named, "challenge", exact=32)
    digest = b64_field(named, "digest", exact=32)
    _pow().redeem(challenge, digest, b64_field(named, "nonce", exact=8))
    return challenge, digest


def _browser_files(payload: dict[str, Any]) -> tuple[attachments.SealedFile, ...]:
    uploads, errors = finished_uploads()
    if errors:
        raise errors[0]
    described = payload.get("attachments", [])
    if not isinstance(described, list) or len(described) != len(uploads):
        raise InvalidInput(
            "each uploaded file needs its sealed key and description", field="attachments"
        )
    files = []
    for upload, item in zip(uploads, described, strict=True):
        entry = check_object(item, ("sealed_file_key", "sealed_meta"))
        files.append(
            attachments.SealedFile(
                upload,
                b64_field(entry, "sealed_file_key", exact=attachments.SEALED_FILE_KEY_BYTES),
                b64_field(entry, "sealed_meta", maximum=attachments.META_MAX_BYTES),
            )
        )
    return tuple(files)


def make_web_api_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("web_api", __name__, url_prefix="/api/v1")
    limits = reporter_limits(limiter)
    page_limit, report_limit, report_global = limits.page, limits.report, limits.report_global
    receipt_limit, receipt_global = limits.receipt, limits.receipt_global

    @bp.post("/routing")
    @page_limit
    def routing_preview() -> Response:
        """Who a report with these options goes to: the browser encrypts for exactly these.

        A POST with a JSON body, never a query string: exclusions name people and the
        category says what the report is about, and proxies log URLs."""
        payload = json_object(("category",), _ROUTING_OPTIONAL)
        found = routing.recipients(
            db.session(),
            string_field(payload, "category", max_chars=100),
            bool_field(payload, "external_only"),
            id_list_field(payload, "excluded_handlers"),
            bool_field(payload, "involves_executive"),
        )
        keyring = service_context().keyring
        return jsonify(
            recipients=[
                {
                    "handler_id": r.handler_id,
                    "desk": r.desk,
                    "held": r.held,
                    "x25519": b64(r.public.x25519),
                    "mlkem": b64(r.public.mlkem),
                }
                for r in found
            ],
            receipt_salt=b64(keyring.receipt_salt),
            argon2={
                "ops": keyring.receipt_params.ops,
                "mem_bytes": keyring.receipt_params.mem_bytes,
            },
        )

    @bp.get("/receipt-params")
    @page_limit
    def receipt_params() -> Response:
        """What the browser needs to turn a receipt into its lookup tag and wrap key."""
        keyring = service_context().keyring
        return jsonify(
            receipt_salt=b64(keyring.receipt_salt),
            argon2={
                "ops": keyring.receipt_params.ops,
                "mem_bytes": keyring.receipt_params.mem_bytes,
            },
        )

    @bp.get("/pow")
    @page_limit
    def pow_challenge() -> Response:
        challenge = _pow().issue()
        return jsonify(
            challenge=b64(challenge.challenge), bits=challenge.bits, expires_in=challenge.expires_in
        )

    @bp.post("/reports")
    @report_global
    @report_limit
    def sealed_report() -> tuple[Response, int]:
        if request.mimetype not in ("application/json", "multipart/form-data"):
            raise UnsupportedMediaType("send JSON with Content-Type: application/json")
        challenge, digest = _redeem_proof()  # before a byte of the body is read
        payload = json_object(_REPORT_FIELDS, _REPORT_OPTIONAL, form_field="report")
        grants_raw = payload["grants"]
        if not isinstance(grants_raw, list) or not 0 < len(grants_raw) <= 50:
            raise InvalidInput("grants must be a list", field="grants")
        grants = []
        for item in grants_raw:
            entry = check_object(item, ("handler_id", "sealed_keys"))
            if not isinstance(entry["handler_id"], int):
                raise InvalidInput("grant handler_id must be a number", field="grants")
            grants.append(
                sealed_intake.SealedGrant(
                    entry["handler_id"],
                    b64_field(entry, "sealed_keys", exact=sealed_intake.GRANT_BYTES),
                )
            )
        submission = sealed_intake.SealedSubmission(
            case_id=string_field(payload, "case_id", 16),
            category=string_field(payload, "category", 40),
            language=string_field(payload, "language", 8),
            external_only=bool_field(payload, "external_only"),
            excluded_handler_ids=id_list_field(payload, "excluded_handlers"),
            sealed_report=b64_field(
                payload, "sealed_report", maximum=sealed_intake.MAX_SEALED_REPORT_BYTES
            ),
            lookup_tag=b64_field(payload, "lookup_tag", exact=32),
            reporter_wrapped_key=b64_field(
                payload, "reporter_wrapped_key", exact=sealed_intake.REPORTER_KEY_BYTES
            ),
            grants=tuple(grants),
            files=_browser_files(payload),
            involves_executive=bool_field(payload, "involves_executive"),
        )
        check_binding(challenge, digest, tuple(pow_rule.wire_fields(payload)))
        result = sealed_intake.submit_sealed(db.session(), service_context(), submission, _blobs())
        return jsonify(
            case_id=result.case_id, acknowledge_by=result.acknowledge_by.isoformat()
        ), 201

    @bp.post("/followup")
    @receipt_global
    @receipt_limit
    def sealed_followup_open() -> Response:
        payload = json_object(("lookup_tag",))
        tag = b64_field(payload, "lookup_tag", exact=32)
        case = guarded(lambda: sealed_followup.open_case(db.session(), service_context(), tag))
        return jsonify(
            case_id=case.case_id,
            category=case.category,
            status=case.status,
            outcome=case.outcome,
            received_on=case.received_on.isoformat(),
            acknowledge_by=case.acknowledge_by.isoformat(),
            feedback_by=case.feedback_by.isoformat(),
            sealed_report=b64(case.sealed_report),
            reporter_wrapped_key=b64(case.reporter_wrapped_key),
            messages=[
                {
                    "author": m.author,
                    "author_id": m.author_id,
                    "seq": m.seq,
                    "sealed_body": b64(m.sealed_body),
                    "date": m.sent_on.isoformat(),
                }
                for m in case.messages
            ],
            next_message_seq=case.next_message_seq,
            attachments=[
                {
                    "id": a.attachment_id,
                    "author": a.author,
                    "sealed_file_key": b64(a.sealed_file_key),
                    "sealed_meta": b64(a.sealed_meta),
                    "stored_bytes": a.stored_bytes,
                    "date": a.added_on.isoformat(),
                }
                for a in case.attachments
            ],
        )

    @bp.post("/followup/messages")
    @receipt_global
    @receipt_limit
    def sealed_followup_message() -> tuple[Response, int]:
        payload = json_object(
            ("lookup_tag", "sealed_body", "seq"), ("attachments",), form_field="message"
        )
        tag = b64_field(payload, "lookup_tag", exact=32)
        body = b64_field(payload, "sealed_body", maximum=sealed_followup.MAX_SEALED_MESSAGE_BYTES)
        seq = sequence.parse(payload["seq"])
        files = _browser_files(payload)
        case_id = guarded(
            lambda: sealed_followup.add_message(
                db.session(), service_context(), tag, body, seq, files, _blobs()
            )
        )
        return jsonify(case_id=case_id, stored=True), 201

    @bp.post("/followup/attachments/<attachment_id>")
    @receipt_global
    @receipt_limit
    def sealed_attachment(attachment_id: str) -> Response:
        payload = json_object(("lookup_tag",))
        tag = b64_field(payload, "lookup_tag", exact=32)
        attachment_id = path_id(attachment_id, "attachment", ATTACHMENT_ID_MAX)
        item = guarded(
            lambda: sealed_followup.attachment(db.session(), service_context(), tag, attachment_id)
        )
        chunks = attachments.ciphertext_chunks(_blobs(), item)
        return Response(
            stream_with_context(chunks),
            mimetype="application/octet-stream",
            headers={"X-Sealed-File-Key": base64.b64encode(item.sealed_file_key).decode()},
        )

    return bp
