"""Handler sign-in without the server ever seeing the password.

The browser runs Argon2id(password, the handler's salt) and sends only the first half
(the login proof) together with a TOTP code (single use); the server compares its peppered
tag with the stored verifier, checks the code, and only when both are right hands back the
private-key bundle with the pepper layer removed, still sealed under the second half, which
never leaves the browser. Whatever is wrong, the answer is the same. The TOTP secret is made
here at enrolment, never chosen by the browser. Unknown usernames get a stable fake salt so
a probe cannot tell who has an account.
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


def _proof_matches(ctx: ServiceContext, handler: Handler | None, auth: bytes) -> bool:
    """Whether `auth` is the active handler's login proof (constant time, also for none)."""
    if len(auth) != 32:
        raise InvalidInput("login proof must be 32 bytes", field="auth")
    expected = handler.login_verifier if handler is not None else bytes(32)
    matches = constant_time_equal(ctx.keyring.pepper.tag("login", auth), expected)
    return handler is not None and handler.active and matches


def _check_proof(ctx: ServiceContext, handler: Handler | None, auth: bytes) -> Handler:
    if not _proof_matches(ctx, handler, auth) or handler is None:
        raise InvalidCredentials(_BAD)
    return handler


def totp_secret(ctx: ServiceContext, handler: Handler) -> str | None:
    if handler.totp_wrapped is None:
        return None
    return ctx.keyring.pepper.unwrap("totp", handler.totp_wrapped).decode("ascii")


# Checked against when there is no secret, so every sign-in does the same work.
_NO_SECRET = "A" * 32


def _code_step(secret: str | None, code: str | None) -> int | None:
    """The time step `code` is valid for under `secret` (one step of clock drift either
    way), or None. Every candidate is compared, in constant time."""
    digits = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(digits) != 6:
        digits = "x" * 6  # matches nothing, after the same work
    totp = pyotp.TOTP(secret or _NO_SECRET)
    now = totp.timecode(_now())
    found = None
    for at in (now, now - 1, now + 1):
        if constant_time_equal(totp.generate_otp(at).encode(), digits.encode()):
            found = at
    return found if secret is not None else None


def _both_factors(
    ctx: ServiceContext, handler: Handler | None, proof_ok: bool, code: str | None
) -> tuple[Handler, int]:
    """The handler and their code's time step when the proof and the code are both right.
    One answer whatever is wrong, after the same work; before an authenticator is enrolled
    the proof is the only factor, and a right one answers EnrolmentRequired."""
    secret = totp_secret(ctx, handler) if handler is not None else None
    step = _code_step(secret, code)
    if handler is not None and proof_ok and secret is None:
        raise EnrolmentRequired("set up your authenticator app first")
    if handler is None or not proof_ok or step is None:
        raise InvalidCredentials(_BAD)
    return handler, step


def _spend_code(store: ExpiringStore, handler_id: int, step: int) -> None:
    """Each code works once: a replayed code (shoulder-surfed, logged) is refused."""
    if not store.add(f"totp:{handler_id}:{step}", 120):
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
    """Password proof and code together, one answer for whatever is wrong: a right
    password with a missing or wrong code looks exactly like a wrong password, so
    passwords cannot be confirmed without the second factor.

    Before enrolment the password is the only factor a handler has: a right password then
    answers EnrolmentRequired, and the enrolment steps need it."""
    found = session.scalar(select(Handler).where(Handler.username == username))
    handler, step = _both_factors(ctx, found, _proof_matches(ctx, found, auth), code)
    _spend_code(store, handler.id, step)
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


def _unenrolled(session: Session, ctx: ServiceContext, username: str, auth: bytes) -> Handler:
    handler = _check_proof(
        ctx, session.scalar(select(Handler).where(Handler.username == username)), auth
    )
    if handler.totp_wrapped is not None:
        raise InvalidCredentials(_BAD)
    return handler


def start_enrolment(session: Session, ctx: ServiceContext, username: str, auth: bytes) -> Enrolment:
    """After a correct password proof, a handler without TOTP gets a secret the server
    makes, as a QR code. The server keeps it (sealed under the pepper) until a code made
    from it confirms the enrolment; starting again replaces it."""
    handler = _unenrolled(session, ctx, username, auth)
    secret = pyotp.random_base32()
    handler.totp_pending_wrapped = ctx.keyring.pepper.wrap("totp-pending", secret.encode("ascii"))
    session.commit()
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
    code: str,
) -> KeyMaterial:
    """A code from the secret the server issued confirms the enrolment and signs in."""
    handler = _unenrolled(session, ctx, username, auth)
    if handler.totp_pending_wrapped is None:
        raise InvalidCredentials(_BAD)
    secret = ctx.keyring.pepper.unwrap("totp-pending", handler.totp_pending_wrapped)
    step = _code_step(secret.decode("ascii"), code)
    if step is None:
        raise InvalidCredentials(_BAD)
    _spend_code(store, handler.id, step)
    handler.totp_wrapped = ctx.keyring.pepper.wrap("totp", secret)
    handler.totp_pending_wrapped = None
    audit.append(session, handler.id, "totp_enrolled")
    audit.append(session, handler.id, "login")
    session.commit()
    log.info("handler.totp_enrolled", extra={"handler_id": handler.id})
    return key_material(ctx, handler)


def _recovery_matches(ctx: ServiceContext, handler: Handler | None, proof: bytes) -> bool:
    expected = handler.recovery_verifier if handler is not None else None
    matches = constant_time_equal(ctx.keyring.pepper.tag("recovery", proof), expected or bytes(32))
    return handler is not None and handler.active and expected is not None and matches


def recovery_material(
    session: Session, ctx: ServiceContext, username: str, recovery_proof: bytes
) -> bytes:
    """The recovery-wrapped private bundle, for whoever proves they hold the recovery key."""
    handler = session.scalar(select(Handler).where(Handler.username == username))
    if (
        len(recovery_proof) != 32
        or not _recovery_matches(ctx, handler, recovery_proof)
        or handler is None
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
    together with a TOTP code: one answer whichever is wrong. The new wrapping was made in
    the browser; the keys do not change. Every open session ends."""
    if proof_kind not in ("password", "recovery"):
        raise InvalidInput("proof must be password or recovery", field="proof_kind")
    if len(proof) != 32:
        raise InvalidInput("the proof must be 32 bytes", field="proof")
    found = session.scalar(select(Handler).where(Handler.username == username))
    if proof_kind == "password":
        proof_ok = _proof_matches(ctx, found, proof)
    else:
        proof_ok = _recovery_matches(ctx, found, proof)
    handler, step = _both_factors(ctx, found, proof_ok, code)
    if len(salt) != SALT_BYTES or len(new_auth) != 32 or not 100 < len(new_wrapped_private) < 400:
        raise InvalidInput("new password material has the wrong size", field="salt")
    _spend_code(store, handler.id, step)
    params = ctx.keyring.password_params
    handler.kdf_salt, handler.kdf_ops, handler.kdf_mem = salt, params.ops, params.mem_bytes
    handler.login_verifier = ctx.keyring.pepper.tag("login", new_auth)
    handler.wrapped_private = ctx.keyring.pepper.wrap("handler-private", new_wrapped_private)
    accounts.end_sessions(handler)  # every session of the old password ends
    audit.append(session, handler.id, "password_changed", detail=proof_kind)
    session.commit()
    log.info("handler.password_changed", extra={"handler_id": handler.id, "kind": proof_kind})
