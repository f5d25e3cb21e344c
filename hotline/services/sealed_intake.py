"""Intake, browser-sealed half: reports the browser has already encrypted (web form with
JavaScript).

The server never sees the text or the receipt: it gets the case id the browser chose (the
report, file keys and grants are bound to it), ciphertext, the lookup tag, the reporter's
wrapped case key and one hybrid case-key grant per recipient; never a notes key (grants hold
exactly one key, and there is no field for another). This half checks the shapes and that
the grants go to exactly the handlers its own routing chooses, then hands the case to
`case_store`, the one place a case is stored (the server-sealed half ends there too).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crypto.grants import GRANT_BYTES
from crypto.primitives import KEY_BYTES, NONCE_BYTES, TAG_BYTES
from crypto.sealing import is_case_id
from hotline.blobs.store import BlobStore
from hotline.models import Channel
from hotline.services import attachments, case_store, routing, validation
from hotline.services.context import ServiceContext
from hotline.services.errors import Conflict, InvalidInput

__all__ = ["GRANT_BYTES", "GrantMismatch", "SealedGrant", "SealedSubmission", "submit_sealed"]
REPORTER_KEY_BYTES = NONCE_BYTES + TAG_BYTES + KEY_BYTES
LOOKUP_TAG_BYTES = 32
MAX_SEALED_REPORT_BYTES = 256 * 1024


class GrantMismatch(Conflict):
    code = "grant_mismatch"


@dataclass(frozen=True)
class SealedGrant:
    handler_id: int
    sealed_keys: bytes


@dataclass(frozen=True)
class SealedSubmission:
    case_id: str
    category: str
    language: str
    external_only: bool
    excluded_handler_ids: tuple[int, ...]
    sealed_report: bytes
    lookup_tag: bytes
    reporter_wrapped_key: bytes
    grants: tuple[SealedGrant, ...]
    files: tuple[attachments.SealedFile, ...] = ()
    involves_executive: bool = False


def check_shapes(sub: SealedSubmission) -> None:
    if not is_case_id(sub.case_id):
        raise InvalidInput("case_id must be HL- and 10 base32 characters", field="case_id")
    if not NONCE_BYTES + TAG_BYTES < len(sub.sealed_report) <= MAX_SEALED_REPORT_BYTES:
        raise InvalidInput("sealed report has the wrong size", field="sealed_report")
    if len(sub.lookup_tag) != LOOKUP_TAG_BYTES:
        raise InvalidInput("lookup tag must be 32 bytes", field="lookup_tag")
    if len(sub.reporter_wrapped_key) != REPORTER_KEY_BYTES:
        raise InvalidInput("reporter key has the wrong size", field="reporter_wrapped_key")
    for grant in sub.grants:
        if len(grant.sealed_keys) != GRANT_BYTES:
            # One key per grant: a grant that also carries a notes key is refused here.
            raise InvalidInput("a grant has the wrong size", field="grants")
    if len({g.handler_id for g in sub.grants}) != len(sub.grants):
        raise InvalidInput("two grants for one handler", field="grants")


def submit_sealed(
    session: Session, ctx: ServiceContext, sub: SealedSubmission, blobs: BlobStore | None = None
) -> case_store.StoredCase:
    """Store the case; Conflict on a lookup-tag collision (the browser makes a new receipt)."""
    check_shapes(sub)
    language = validation.language(sub.language)
    expected = routing.recipients(
        session, sub.category, sub.external_only, sub.excluded_handler_ids, sub.involves_executive
    )
    routing.verify_keys(session, ctx.keys, expected)  # the browser checked; so does the server
    if {r.handler_id for r in expected} != {g.handler_id for g in sub.grants}:
        raise GrantMismatch(
            "the report is not encrypted for exactly the handlers it is routed "
            "to; reload the page and try again",
            field="grants",
        )
    held = {r.handler_id for r in expected if r.held}
    return case_store.store(
        session,
        ctx,
        case_store.NewCase(
            case_id=sub.case_id,
            category=sub.category,
            channel=Channel.WEB,
            language=language,
            external_only=sub.external_only,
            involves_executive=sub.involves_executive,
            sealed_report=sub.sealed_report,
            lookup_tag=sub.lookup_tag,
            reporter_wrapped_key=sub.reporter_wrapped_key,
            grants=tuple(
                case_store.GrantRow(g.handler_id, g.sealed_keys, g.handler_id not in held)
                for g in sub.grants
            ),
            excluded_handler_ids=sub.excluded_handler_ids,
            files=sub.files,
            sealed_by="browser",
        ),
        blobs,
    )
