"""A handler: public keys, peppered wrapped private keys and login verifier. Never a password."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base
from hotline.models.desk import Desk


class Handler(Base):
    __tablename__ = "handlers"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="")
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Admins configure routing and accounts and see statistics; they hold no desk, so
    # routing never gives them a grant, and the console never shows them content.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Work address for content-free reminders; empty when the handler wants none.
    email: Mapped[str] = mapped_column(String(254), default="")
    x25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    mlkem_public: Mapped[bytes] = mapped_column(LargeBinary(1184))
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    kdf_ops: Mapped[int] = mapped_column(Integer)
    kdf_mem: Mapped[int] = mapped_column(Integer)
    login_verifier: Mapped[bytes] = mapped_column(LargeBinary(32))
    wrapped_private: Mapped[bytes] = mapped_column(LargeBinary)
    recovery_wrapped_private: Mapped[bytes] = mapped_column(LargeBinary)
    # Peppered tag of a value derived from the recovery key: proves possession of it.
    recovery_verifier: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=None)
    # TOTP secret sealed under the pepper; None until the handler has enrolled.
    totp_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The secret the server issued at enrolment, sealed under the pepper, until a code
    # from it confirms the enrolment (then it moves to totp_wrapped).
    totp_pending_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Carried in every session cookie; sign-out, a password change, deactivation and a
    # key rotation add one, so every copy of an older cookie stops working at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_on: Mapped[date] = mapped_column(Date)
    last_digest_on: Mapped[date | None] = mapped_column(Date, default=None)

    desk: Mapped[Desk | None] = relationship(lazy="joined")
