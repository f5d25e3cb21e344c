"""The reporter's way back, browser-sealed half: the browser holds the keys.

The browser derives the lookup tag from the receipt and sends only that; the server adds the
pepper, finds the case and returns its ciphertext with the pepper layer removed from the
reporter's wrapped key, which only the receipt's wrap key can open. Finding the case and
storing messages and files is `reporter_case`'s job, shared with `followup`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from crypto.primitives import NONCE_BYTES, TAG_BYTES
from hotline.blobs.store import BlobStore
from hotline.models import Attachment
from hotline.services import attachments, reporter_case
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidInput
from hotline.services.reporter_case import SealedCase

log = logging.getLogger("hotline.followup")
MAX_SEALED_MESSAGE_BYTES = 256 * 1024


def open_case(session: Session, ctx: ServiceContext, lookup_tag: bytes) -> SealedCase:
    case = reporter_case.find(session, ctx, lookup_tag)
    log.debug("case.reporter_opened", extra={"kind": "browser"})
    return reporter_case.sealed_view(ctx, case)


def add_message(
    session: Session,
    ctx: ServiceContext,
    lookup_tag: bytes,
    sealed_body: bytes,
    seq: int,
    files: Sequence[attachments.SealedFile] = (),
    blobs: BlobStore | None = None,
) -> str:
    """Store a message the browser sealed for place `seq` (the `next_message_seq` it read);
    StaleSequence (409) when another message took that place first."""
    if not NONCE_BYTES + TAG_BYTES < len(sealed_body) <= MAX_SEALED_MESSAGE_BYTES:
        raise InvalidInput("sealed message has the wrong size", field="sealed_body")
    case = reporter_case.find(session, ctx, lookup_tag)
    return reporter_case.append(session, case, sealed_body, seq, files, blobs, "browser")


def attachment(
    session: Session, ctx: ServiceContext, lookup_tag: bytes, attachment_id: str
) -> Attachment:
    return reporter_case.attachment(reporter_case.find(session, ctx, lookup_tag), attachment_id)
