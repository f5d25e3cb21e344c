"""A handler replaces their key pairs: every grant they hold is re-made to the new keys.

This runs where the handler's password is typed (the `flask keys rotate` CLI, like the
offline `flask cases decrypt` path): the old private keys open each grant in memory, the
case keys are granted again to the new public keys, and the new private keys are wrapped
under the same password with a new recovery key. The new keys then wait for the root's
signature like a new handler's: until it is imported, no new case and no grant reaches them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import handler_keys, key_directory
from crypto.grants import CASE_KEY, NOTES_KEY, GrantFor, make_grant, open_grant
from hotline.models import CaseGrant, Handler
from hotline.services import accounts, audit, dates, handler_access
from hotline.services import key_directory as directory
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidInput

log = logging.getLogger("hotline.keys")


@dataclass(frozen=True)
class RotatedKeys:
    handler_id: int
    recovery_key: str
    fingerprint: str
    regranted: int
    signed: bool  # True when an online root signed the new keys at once


def rotate(session: Session, ctx: ServiceContext, username: str, password: str) -> RotatedKeys:
    who = handler_access.unlock(session, ctx, username, password)
    handler = session.get(Handler, who.handler_id)
    if handler is None or handler.desk is None:
        raise InvalidInput("only desk handlers hold case keys to rotate", field="username")
    private = handler_keys.generate_private()
    public = private.public()
    grants = list(session.scalars(select(CaseGrant).where(CaseGrant.handler_id == handler.id)))
    for grant in grants:
        about = GrantFor(CASE_KEY, grant.case_id, handler.id)
        grant.sealed_keys = make_grant(
            open_grant(grant.sealed_keys, who.private, about), public, about
        )
        if grant.sealed_notes_key is not None:
            notes = GrantFor(NOTES_KEY, grant.case_id, handler.id)
            grant.sealed_notes_key = make_grant(
                open_grant(grant.sealed_notes_key, who.private, notes), public, notes
            )
    params = ctx.keyring.password_params
    salt, secrets_, wrapped = handler_keys.rewrap_with_password(private, password, params)
    recovery_key, recovery_wrapped = handler_keys.new_recovery(private)
    pepper = ctx.keyring.pepper
    handler.x25519_public, handler.mlkem_public = public.x25519, public.mlkem
    handler.kdf_salt, handler.kdf_ops, handler.kdf_mem = salt, params.ops, params.mem_bytes
    handler.login_verifier = pepper.tag("login", secrets_.auth)
    handler.wrapped_private = pepper.wrap("handler-private", wrapped)
    handler.recovery_wrapped_private = pepper.wrap("handler-recovery", recovery_wrapped)
    handler.recovery_verifier = pepper.tag("recovery", handler_keys.recovery_auth(recovery_key))
    accounts.end_sessions(handler)  # sessions opened with the old keys end
    audit.append(session, handler.id, "keys_rotated", None, f"handler:{handler.id}")
    request = directory.request_signature(
        session, ctx.keys, handler, directory.ROTATE, dates.today()
    )
    session.commit()
    log.info("keys.rotated", extra={"handler_id": handler.id, "count": len(grants)})
    return RotatedKeys(
        handler.id,
        recovery_key,
        key_directory.key_fingerprint(public),
        len(grants),
        request.signed_sequence is not None,
    )
