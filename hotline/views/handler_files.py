"""The handler console's file download: an attachment's ciphertext, streamed as stored.

The handler's browser opens the file key with the case key and decrypts the file itself;
the server never has either key.
"""

from __future__ import annotations

from flask import Blueprint, Response, stream_with_context
from flask_limiter import Limiter

from hotline import db, wiring
from hotline.blobs.store import BlobStore
from hotline.services import attachments, console
from hotline.views.handler_session import login_required, signed_in_id
from hotline.views.json_input import ATTACHMENT_ID_MAX, CASE_ID_MAX, path_id


def _blobs() -> BlobStore:
    store: BlobStore = wiring.services().blobs
    return store


def make_handler_files_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("handler_files", __name__, url_prefix="/handler/api")

    @bp.get("/cases/<case_id>/attachments/<attachment_id>")
    @login_required
    def case_attachment(case_id: str, attachment_id: str) -> Response:
        item = console.open_attachment(
            db.session(),
            signed_in_id(),
            path_id(case_id, "case_id", CASE_ID_MAX),
            path_id(attachment_id, "attachment", ATTACHMENT_ID_MAX),
        )
        return Response(
            stream_with_context(attachments.ciphertext_chunks(_blobs(), item)),
            mimetype="application/octet-stream",
            headers={"Content-Disposition": "attachment"},
        )

    return bp
