"""Handler sign-in without the server ever seeing the password.

The browser runs Argon2id(password, the handler's salt) and sends only the first half
(the login proof); the server compares its peppered tag with the stored verifier, checks a
TOTP code (single use), and hands back the private-key bundle with the pepper layer
removed, still sealed under the second half, which never leaves the browser.
Unknown usernames get a stable fake salt so a probe cannot tell who has an account.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.primitives import SALT_BYTES, constant_time_equal, keyed_hash
from hotline.kv import ExpiringStore
from hotline.models import Handler
from hotline.services import accounts, audit
from hotline.services.context import ServiceContext
from hotline.services.errors import InvalidCredentials, InvalidInput, ServiceError

log = logging.getLogger("hotline.handler_auth")
_BAD = "unknown username, wrong password or wrong code"
TOTP_ISSUER = "Speak-up hotline"


class TotpRequired(ServiceError):
    code = "totp_required"


class EnrolmentRequired(ServiceError):
    code = "totp_enrolment_required"


@dataclass(frozen=True)
class LoginParameters:
    salt: bytes
    ops: int
    mem_bytes: int


@dataclass(frozen=True)
class KeyMaterial:
    handler_id: int
    username: str
    display_name: str
    is_admin: bool
    desk: str
    wrapped_private: bytes
    x25519_public: bytes
    mlkem_public: bytes
    session_epoch: int  # for the session cookie (see accounts.end_sessions)


def login_parameters(session: Session, ctx: ServiceContext, username: str) -> LoginParameters:
    handler = session.scalar(select(Handler).where(Handler.username == username))
    if handler is None or not handler.active:
        fake = keyed_hash(
            ctx.keyring.pseudonym_key,
            "hotline:fake-login-salt:v1",
            username.encode("utf-8", "replace"),
        )[:SALT_BYTES]
        params = ctx.keyring.password_params
        return LoginParameters(fake, params.ops, params.mem_bytes)
    return LoginParameters(handler.kdf_salt, handler.kdf_ops, handler.kdf_mem)


def _check_proof(ctx: ServiceContext, handler: Handler | None, auth: bytes) -> Handler:
    if len(auth) != 32:
        raise InvalidInput("login proof must be 32 bytes", field="auth")
    expected = handler.login_verifier if handler is not None else bytes(32)
    if (
        handler is None
        or not handler.active
        or not constant_time_equal(ctx.keyring.pepper.tag("login", auth), expected)
    ):
        raise InvalidCredentials(_BAD)
    return handler


def totp_secret(ctx: ServiceContext, handler: Handler) -> str | None:
    if handler.totp_wrapped is None:
        return None
    return ctx.keyring.pepper.unwrap("totp", handler.totp_wrapped).decode("ascii")


def _check_code(
    ctx: ServiceContext, store: ExpiringStore, handler_id: int, secret: str, code: str
) -> None:
    code = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(secret)
    if len(code) != 6:
        raise InvalidCredentials(_BAD)
    for offset in (0, -1, 1):  # one step of clock drift either way
        at = totp.timecode(_now()) + offset
        if constant_time_equal(totp.generate_otp(at).encode(), code.encode()):
            # Each code works once: a replayed code (shoulder-surfed, logged) is refused.
            if not store.add(f"totp:{handler_id}:{at}", 120):
                raise InvalidCredentials(_BAD)
            return
    raise InvalidCredentials(_BAD)


def _now() -> datetime:
    return datetime.now(UTC)


def sign_in(
    session: Session,
    ctx: ServiceContext,
    store: ExpiringStore,
    username: str,
    auth: bytes,
    code: str | None,
) -> KeyMaterial:
    handler = _check_proof(
        ctx, session.scalar(select(Handler).where(Handler.username == username)), auth
    )
    secret = totp_secret(ctx, handler)
    if secret is None:
        raise EnrolmentRequired("set up your authenticator app first")
    if not code:
        raise TotpRequired("enter the 6-digit code from your authenticator app")
    _check_code(ctx, store, handler.id, secret, code)
    audit.append(session, handler.id, "login")
    session.commit()
    log.info("handler.login", extra={"handler_id": handler.id})
    return key_material(ctx, handler)


def sign_out(session: Session, handler_id: int) -> None:
    """The handler signed out: every session of theirs ends (each copy of the cookie, in
    any browser), recorded in the audit log."""
    handler = session.get(Handler, handler_id)
    if handler is not None:
        accounts.end_sessions(handler)
    audit.append(session, handler_id, "logout")
    session.commit()


def key_material(ctx: ServiceContext, handler: Handler) -> KeyMaterial:
    return KeyMaterial(
        handler_id=handler.id,
        username=handler.username,
        display_name=handler.display_name,
        is_admin=handler.is_admin,
        desk=handler.desk.slug if handler.desk else "",
        wrapped_private=ctx.keyring.pepper.unwrap("handler-private", handler.wrapped_private),
        x25519_public=handler.x25519_public,
        mlkem_public=handler.mlkem_public,
        session_epoch=handler.session_epoch,
    )


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def start_enrolment(session: Session, ctx: ServiceContext, username: str, auth: bytes) -> Enrolment:
    """After a correct password proof, a handler without TOTP gets a new secret and QR code."""
    handler = _check_proof(
        ctx, session.scalar(select(Handler).where(Handler.username == username)), auth
    )
    if handler.totp_wrapped is not None:
        raise InvalidCredentials(_BAD)
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=handler.username, issuer_name=TOTP_ISSUER)
    import qrcode  # only here, at enrolment: it keeps ~4 MiB out of every worker
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return Enrolment(secret, uri, buffer.getvalue().decode("utf-8"))


def finish_enrolment(
    session: Session,
    ctx: ServiceContext,
    store: ExpiringStore,
    username: str,
    auth: bytes,
    secret: str,
    code: str,
) -> KeyMaterial:
    handler = _check_proof(
        ctx, session.scalar(select(Handler).where(Handler.username == username)), auth
    )
    if handler.totp_wrapped is not None:
        raise InvalidCredentials(_BAD)
    try:
        pyotp.TOTP(secret).now()
    except Exception as exc:
        raise InvalidInput("invalid authenticator secret", field="secret") from exc
    _check_code(ctx, store, handler.id, secret, code)
    handler.totp_wrapped = ctx.keyring.pepper.wrap("totp", secret.encode("ascii"))
    audit.append(session, handler.id, "totp_enrolled")
    audit.append(session, handler.id, "login")
    session.commit()
    log.info("handler.totp_enrolled", extra={"handler_id": handler.id})
    return key_material(ctx, handler)


def recovery_material(
    session: Session, ctx: ServiceContext, username: str, recovery_proof: bytes
) -> bytes:
    """The recovery-wrapped private bundle, for whoever proves they hold the recovery key."""
    handler = session.scalar(select(Handler).where(Handler.username == username))
    if (
        handler is None
        or not handler.active
        or handler.recovery_verifier is None
        or len(recovery_proof) != 32
        or not constant_time_equal(
            ctx.keyring.pepper.tag("recovery", recovery_proof), handler.recovery_verifier
        )
    ):
        raise InvalidCredentials("unknown username or wrong recovery key")
    return ctx.keyring.pepper.unwrap("handler-recovery", handler.recovery_wrapped_private)


def set_password(
    session: Session,
    ctx: ServiceContext,
    store: ExpiringStore,
    username: str,
    proof_kind: str,
    proof: bytes,
    code: str,
    salt: bytes,
    new_auth: bytes,
    new_wrapped_private: bytes,
) -> None:
    """Replace the password wrapping, proven by the old password or by the recovery key,
    plus a TOTP code. The new wrapping was made in the browser; the keys do not change."""
    handler = session.scalar(select(Handler).where(Handler.username == username))
    if proof_kind == "password":
        handler = _check_proof(ctx, handler, proof)
    elif proof_kind == "recovery":
        recovery_material(session, ctx, username, proof)
    else:
        raise InvalidInput("proof must be password or recovery", field="proof_kind")
    assert handler is not None
    secret = totp_secret(ctx, handler)
    if secret is None:
        raise EnrolmentRequired("set up your authenticator app first")
    _check_code(ctx, store, handler.id, secret, code)
    if len(salt) != SALT_BYTES or len(new_auth) != 32 or not 100 < len(new_wrapped_private) < 400:
        raise InvalidInput("new password material has the wrong size", field="salt")
    params = ctx.keyring.password_params
    handler.kdf_salt, handler.kdf_ops, handler.kdf_mem = salt, params.ops, params.mem_bytes
    handler.login_verifier = ctx.keyring.pepper.tag("login", new_auth)
    handler.wrapped_private = ctx.keyring.pepper.wrap("handler-private", new_wrapped_private)
    accounts.end_sessions(handler)  # every session of the old password ends
    audit.append(session, handler.id, "password_changed", detail=proof_kind)
    session.commit()
    log.info("handler.password_changed", extra={"handler_id": handler.id, "kind": proof_kind})
