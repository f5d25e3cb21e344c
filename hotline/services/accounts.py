"""Handler accounts: create with keys, list, and check a password (server-side path)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crypto import handler_keys
from hotline.key_trust import KeyTrust
from hotline.models import Desk, Handler
from hotline.services import audit, dates, key_directory
from hotline.services.context import ServiceContext
from hotline.services.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger("hotline.accounts")
MIN_PASSWORD_CHARS = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


@dataclass(frozen=True)
class CreatedHandler:
    handler_id: int
    username: str
    desk: str
    recovery_key: str


@dataclass(frozen=True)
class HandlerSummary:
    handler_id: int
    username: str
    display_name: str
    role: str
    desk: str
    active: bool


def create_handler(
    session: Session,
    ctx: ServiceContext,
    username: str,
    desk_slug: str | None,
    password: str,
    display_name: str | None = None,
    role: str = "",
    email: str = "",
    is_admin: bool = False,
) -> CreatedHandler:
    """Create a desk handler, or (is_admin, no desk) an administrator who never gets grants."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            "username: 2-64 of a-z 0-9 . _ -, starting with a letter or digit", field="username"
        )
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_CHARS} characters", field="password"
        )
    if email and not _EMAIL.match(email):
        raise InvalidInput("email address is not valid", field="email")
    desk: Desk | None = None
    if is_admin:
        if desk_slug:
            raise InvalidInput("administrators belong to no desk", field="desk")
    else:
        desk = session.scalar(select(Desk).where(Desk.slug == (desk_slug or "")))
        if desk is None:
            raise NotFound(f"no desk named {desk_slug}", field="desk")
    params = ctx.keyring.password_params
    keys = handler_keys.create(password, params)
    pepper = ctx.keyring.pepper
    handler = Handler(
        username=username,
        display_name=display_name or username,
        role=role,
        desk_id=desk.id if desk else None,
        active=True,
        is_admin=is_admin,
        email=email,
        x25519_public=keys.public.x25519,
        mlkem_public=keys.public.mlkem,
        kdf_salt=keys.salt,
        kdf_ops=params.ops,
        kdf_mem=params.mem_bytes,
        login_verifier=pepper.tag("login", keys.auth),
        wrapped_private=pepper.wrap("handler-private", keys.wrapped_private),
        recovery_wrapped_private=pepper.wrap("handler-recovery", keys.recovery_wrapped_private),
        recovery_verifier=pepper.tag("recovery", handler_keys.recovery_auth(keys.recovery_key)),
        created_on=dates.today(),
    )
    session.add(handler)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"a handler named {username} exists already", field="username") from exc
    if desk is not None:
        # Until the root signs these keys, the handler receives no cases and no grants.
        key_directory.request_signature(
            session, ctx.keys, handler, key_directory.NEW, dates.today()
        )
    session.commit()
    desk_name = desk.slug if desk else "admin"
    log.info("handler.created", extra={"handler_id": handler.id, "desk": desk_name})
    return CreatedHandler(handler.id, username, desk_name, keys.recovery_key)


def session_current(session: Session, handler_id: int, epoch: object) -> bool:
    """Whether a session cookie still counts: the account is active and the cookie carries
    the account's current session epoch (see `end_sessions`)."""
    row = session.execute(
        select(Handler.active, Handler.session_epoch).where(Handler.id == handler_id)
    ).one_or_none()
    return (
        row is not None
        and bool(row.active)
        and isinstance(epoch, int)
        and row.session_epoch == epoch
    )


def end_sessions(handler: Handler) -> None:
    """Every session of this handler ends at once, in every browser that holds a copy of
    its cookie: the epoch the cookies carry is no longer the account's. The caller commits."""
    handler.session_epoch = Handler.session_epoch + 1


def list_handlers(session: Session) -> list[HandlerSummary]:
    rows = session.scalars(select(Handler).order_by(Handler.id))
    return [
        HandlerSummary(
            h.id, h.username, h.display_name, h.role, h.desk.slug if h.desk else "admin", h.active
        )
        for h in rows
    ]


@dataclass(frozen=True)
class AccountRow:
    """What an administrator sees of an account: no key, no verifier, no case."""

    handler_id: int
    username: str
    display_name: str
    role: str
    desk: str  # slug, "" for administrators
    is_admin: bool
    active: bool
    totp_enrolled: bool
    has_email: bool


def _row(h: Handler) -> AccountRow:
    return AccountRow(
        h.id,
        h.username,
        h.display_name,
        h.role,
        h.desk.slug if h.desk else "",
        h.is_admin,
        h.active,
        h.totp_wrapped is not None,
        bool(h.email),
    )


def account_rows(session: Session) -> list[AccountRow]:
    return [_row(h) for h in session.scalars(select(Handler).order_by(Handler.id))]


def set_active(
    session: Session, trust: KeyTrust, admin_id: int, handler_id: int, active: bool
) -> AccountRow:
    """Deactivate (no login, no new grants) or reactivate an account; audited.

    A desk handler's deactivation asks the root to revoke their keys in the directory, and
    a reactivation asks it to sign them again.
    """
    handler = session.get(Handler, handler_id)
    if handler is None:
        raise NotFound("no such handler", field="handler_id")
    if handler.active == active:
        return _row(handler)
    if not active and handler.id == admin_id:
        raise Conflict("you cannot deactivate your own account", field="handler_id")
    if not active and handler.is_admin:
        others = session.scalar(
            select(func.count()).where(
                Handler.is_admin.is_(True), Handler.active.is_(True), Handler.id != handler.id
            )
        )
        if not others:
            raise Conflict("the last active administrator cannot be deactivated")
    handler.active = active
    end_sessions(handler)  # a reactivation does not revive a cookie from before
    if handler.desk is not None:
        kind = key_directory.NEW if active else key_directory.DEACTIVATE
        key_directory.request_signature(session, trust, handler, kind, dates.today())
    audit.append(
        session,
        admin_id,
        "handler_activated" if active else "handler_deactivated",
        None,
        f"handler:{handler.id}",
    )
    session.commit()
    log.info(
        "handler.activated" if active else "handler.deactivated",
        extra={"handler_id": handler.id},
    )
    return _row(handler)
