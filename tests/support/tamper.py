"""What a database writer does in the tests: a grant copied onto another case, a file
planted on a case with a description of the test's choosing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from crypto import attachments as file_crypto
from hotline import db, wiring
from hotline.models import Attachment, Author, CaseGrant
from hotline.services import dates


def copy_grant(app: Flask, handler_id: int, from_case: str, to_case: str) -> bytes:
    """The handler's grant of `from_case` written over their grant of `to_case`; returns
    the grant's bytes."""
    with app.app_context():
        session = db.session()
        sealed = session.scalars(
            select(CaseGrant.sealed_keys).where(
                CaseGrant.case_id == from_case, CaseGrant.handler_id == handler_id
            )
        ).one()
        session.execute(
            update(CaseGrant)
            .where(CaseGrant.case_id == to_case, CaseGrant.handler_id == handler_id)
            .values(sealed_keys=sealed)
        )
        session.commit()
    return sealed


def plant_file(
    app: Flask,
    case_id: str,
    case_key: bytes,
    data: bytes,
    sealed_meta: bytes,
    padded: bool = True,
) -> str:
    """A reporter's file on the case, stored as a browser upload is (or, `padded=False`, as
    an earlier release stored it, unpadded), with `sealed_meta` as its description; returns
    the attachment's id."""
    file_key = file_crypto.new_file_key()
    encrypt = file_crypto.encrypt_file if padded else file_crypto.encrypt_stream
    ciphertext = b"".join(encrypt(file_key, [data]))
    blobs = wiring.services(app).blobs
    blob_id = blobs.new_id()
    writer = blobs.writer(blob_id)
    writer.write(ciphertext)
    writer.close()
    with app.app_context():
        session = db.session()
        blobs.claim(session, blob_id)
        session.add(
            Attachment(
                id=blob_id,
                case_id=case_id,
                author=Author.REPORTER,
                sealed_file_key=file_crypto.seal_file_key(case_key, file_key, case_id),
                sealed_meta=sealed_meta,
                stored_bytes=len(ciphertext),
                added_on=dates.today(),
            )
        )
        session.commit()
    return blob_id
