"""A handler unlocks their private keys with their password and opens cases granted to them.

This is the server-side path used by the CLI (the external ombudsperson working offline)
and by tests; in the console the same steps run in the handler's browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crypto import handler_keys, sealing
from crypto.errors import CryptoError, DecryptionError
from crypto.grants import CASE_KEY, GrantFor, open_grant
from crypto.handler_keys import HandlerPrivateKeys
from crypto.primitives import Argon2Params, constant_time_equal, random_bytes
from hotline.blobs.store import BlobStore
from hotline.models import Attachment, Author, Case, Handler, Message
from hotline.services import attachments, audit, dates, sequence, validation, workflow
from hotline.services.case_view import CaseView, MessageView, case_fields, open_messages
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidCredentials, NotFound, NotGranted

log = logging.getLogger("hotline.handler_access")
_BAD_LOGIN = "unknown username or wrong password"


@dataclass(frozen=True)
class UnlockedHandler:
    handler_id: int
    username: str
    private: HandlerPrivateKeys


@dataclass(frozen=True)
class HandlerCase(CaseView):
    report: dict[str, Any]
    messages: list[MessageView]


def unlock(session: Session, ctx: ServiceContext, username: str, password: str) -> UnlockedHandler:
    handler = session.scalar(select(Handler).where(Handler.username == username))
    if handler is None or not handler.active:
        # Spend the same Argon2id time so a missing account is not told apart by timing.
        handler_keys.password_secrets(password, random_bytes(16), ctx.keyring.password_params)
        raise InvalidCredentials(_BAD_LOGIN)
    params = Argon2Params(ops=handler.kdf_ops, mem_bytes=handler.kdf_mem)
    derived = handler_keys.password_secrets(password, handler.kdf_salt, params)
    pepper = ctx.keyring.pepper
    if not constant_time_equal(pepper.tag("login", derived.auth), handler.login_verifier):
        log.info("handler.login_failed", extra={"handler_id": handler.id})
        raise InvalidCredentials(_BAD_LOGIN)
    try:
        wrapped = pepper.unwrap("handler-private", handler.wrapped_private)
        private = handler_keys.unwrap_private(wrapped, derived.unwrap_key)
    except DecryptionError as exc:
        log.error("handler.unwrap_failed", extra={"handler_id": handler.id})
        raise InvalidCredentials(_BAD_LOGIN) from exc
    return UnlockedHandler(handler.id, handler.username, private)


def _case_key(session: Session, who: UnlockedHandler, case_id: str) -> tuple[Case, bytes]:
    """The case and its key, checked: the grant must be this handler's for this case, and
    the key must open the case's report; otherwise nothing is read or written with it."""
    case, grant = workflow.released_grant(
        session, who.handler_id, case_id, options=[selectinload(Case.messages)]
    )
    try:
        case_key = open_grant(
            grant.sealed_keys, who.private, GrantFor(CASE_KEY, case.id, who.handler_id)
        )
        sealing.open_report(case_key, case.sealed_report, case.id)
    except CryptoError as exc:
        log.error("grant.open_failed", extra={"case_id": case_id, "handler_id": who.handler_id})
        raise NotGranted("your key does not open this case") from exc
    return case, case_key


def open_case(
    session: Session, who: UnlockedHandler, case_id: str, export: bool = False
) -> HandlerCase:
    case, case_key = _case_key(session, who, case_id)
    report = sealing.open_report(case_key, case.sealed_report, case.id)
    messages = open_messages(case_key, case.messages)
    audit.append(session, who.handler_id, "export" if export else "view", case.id)
    session.commit()
    log.info("case.handler_opened", extra={"case_id": case.id, "handler_id": who.handler_id})
    return HandlerCase(**case_fields(case), report=report, messages=messages)


def reply(
    session: Session, ctx: ServiceContext, who: UnlockedHandler, case_id: str, body: object
) -> None:
    text = validation.clean_text(body, "body", ctx.max_field_chars)
    case, case_key = _case_key(session, who, case_id)
    seq = sequence.next_message_seq(session, case.id)
    author = sealing.handler_author(who.handler_id)
    sequence.insert(
        session,
        Message(
            case_id=case.id,
            author=Author.HANDLER,
            handler_id=who.handler_id,
            seq=seq,
            sealed_body=sealing.seal_message(case_key, text, case.id, author, seq),
            sent_on=dates.today(),
        ),
    )
    audit.append(session, who.handler_id, "reply", case.id)
    workflow.acknowledge_on_reply(session, ctx, who.handler_id, case)
    sequence.commit(session)
    log.info("case.handler_reply", extra={"case_id": case.id, "handler_id": who.handler_id})


def attachments_of(
    session: Session, who: UnlockedHandler, case_id: str
) -> list[attachments.AttachmentView]:
    case, case_key = _case_key(session, who, case_id)
    items = session.scalars(
        select(Attachment)
        .where(Attachment.case_id == case.id)
        .order_by(Attachment.added_on, Attachment.id)
    )
    return [attachments.describe(case_key, a) for a in items]


def attachment_plaintext(
    session: Session, blobs: BlobStore, who: UnlockedHandler, case_id: str, attachment_id: str
) -> tuple[attachments.AttachmentView, bytes]:
    """Decrypt one file in memory for the offline CLI or tests; the console does this in JS."""
    case, case_key = _case_key(session, who, case_id)
    item = session.scalar(
        select(Attachment).where(Attachment.case_id == case.id, Attachment.id == attachment_id)
    )
    if item is None:
        raise NotFound("no such file on this case", field="attachment")
    log.info("case.handler_file", extra={"case_id": case.id, "handler_id": who.handler_id})
    data = b"".join(attachments.open_plaintext(blobs, case_key, item).chunks)
    return attachments.describe(case_key, item), data
