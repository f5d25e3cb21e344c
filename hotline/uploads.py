"""The request class that routes uploaded file parts into our blob streams (never temp files)."""

from __future__ import annotations

from typing import IO

from flask import Flask, Response, current_app, g, request
from flask.wrappers import Request

from crypto.attachments import encrypted_size
from hotline import db, wiring
from hotline.blobs.store import BlobStore
from hotline.blobs.streams import CiphertextUpload, EncryptingUpload, UploadedFile, UploadStream
from hotline.services.errors import ServiceError, TooManyFiles


class HotlineRequest(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        app = current_app
        uploads: list[UploadStream] = g.setdefault("uploads", [])
        most = wiring.settings(app).max_attachments
        if len([u for u in uploads if u.filename or u.received]) >= most:
            raise TooManyFiles(most)
        store: BlobStore = wiring.services(app).blobs
        limit = wiring.settings(app).max_attachment_bytes
        if self.path.startswith("/api/"):
            # The browser pads before it encrypts: the largest file allowed fills its bucket.
            stream: UploadStream = CiphertextUpload(store, encrypted_size(limit), "", "")
        else:
            stream = EncryptingUpload(
                store,
                limit,
                (content_type or "").split(";")[0].strip(),
                _clean_filename(filename or ""),
                wiring.services(app).images,
            )
        uploads.append(stream)
        return stream  # type: ignore[return-value]


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:200]


def finished_uploads() -> tuple[list[UploadedFile], list[ServiceError]]:
    """(finished non-empty uploads, refusals) of this request, parsing the form first."""
    request.files  # noqa: B018 (parsing the form fills g.uploads)
    done: list[UploadedFile] = []
    errors: list[ServiceError] = []
    for upload in g.get("uploads", []):
        if upload.error:
            errors.append(upload.error)
        elif upload.finished is not None and upload.received > 0:
            done.append(upload.finished)
        else:
            upload.abort()
    return done, errors


def register(app: Flask) -> None:
    app.request_class = HotlineRequest

    @app.before_request
    def _cap_json_bodies() -> None:
        if request.mimetype != "multipart/form-data":
            request.max_content_length = wiring.settings(app).max_json_bytes

    @app.teardown_request
    def _discard_unclaimed(_exc: BaseException | None) -> None:
        uploads = g.pop("uploads", [])
        if uploads:
            # What the request did not commit is void: end its transaction first, so that
            # discarding (on another connection) never waits on this request's own lock.
            db.session().rollback()
        for upload in uploads:
            upload.abort()  # a no-op for blobs an attachment row has claimed


__all__ = ["HotlineRequest", "Response", "finished_uploads", "register"]
