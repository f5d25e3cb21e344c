"""The signed-in handler's session: who they are, admin or not, and idle/absolute timeouts.

The session cookie (Flask's, signed, SameSite=Strict, HttpOnly, no expiry date) holds only
the handler id, the admin flag, two epoch seconds and the account's session epoch (a counter
that sign-out, password change, deactivation and key rotation advance, ending every copy of
the cookie at once); never a key or a password proof.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import redirect, request, session, url_for

from hotline import db, wiring
from hotline.http_errors import EdgeError
from hotline.services import accounts
from hotline.services.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


class NotSignedIn(EdgeError):
    code = "not_signed_in"
    status = 401


class AdminOnly(EdgeError):
    code = "admin_only"
    status = 403


def sign_in(handler_id: int, is_admin: bool, epoch: int) -> None:
    session.clear()
    now = int(time.time())
    session["handler_id"] = handler_id
    session["is_admin"] = bool(is_admin)
    session["epoch"] = epoch
    session["auth_at"] = now
    session["seen_at"] = now


def sign_out() -> None:
    session.clear()


def current_handler_id() -> int | None:
    handler_id = session.get("handler_id")
    if not isinstance(handler_id, int):
        return None
    now = int(time.time())
    idle = wiring.settings().handler_idle_minutes * 60
    absolute = wiring.settings().handler_max_hours * 3600
    if (
        now - int(session.get("seen_at", 0)) > idle
        or now - int(session.get("auth_at", 0)) > absolute
    ):
        session.clear()
        return None
    # A deactivated account, a sign-out, a password change or a key rotation ends every
    # session at once (in every browser holding a copy of the cookie), not at a timeout.
    if not accounts.session_current(db.session(), handler_id, session.get("epoch")):
        session.clear()
        return None
    session["seen_at"] = now
    return handler_id


def signed_in_id() -> int:
    """The signed-in handler's id, in a view behind `login_required`."""
    handler_id = current_handler_id()
    if handler_id is None:  # login_required ran first; this is for the type checker
        raise NotSignedIn("please sign in")
    return handler_id


def is_admin() -> bool:
    return current_handler_id() is not None and bool(session.get("is_admin"))


def _refuse(error: ServiceError) -> Any:
    if request.path.startswith(("/handler/api/", "/admin/api/")) or request.is_json:
        raise error
    return redirect(url_for("handler.login_page", next=request.path))


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_handler_id() is None:
            return _refuse(NotSignedIn("please sign in"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_handler_id() is None:
            return _refuse(NotSignedIn("please sign in"))
        if not session.get("is_admin"):
            raise AdminOnly("administrators only")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
