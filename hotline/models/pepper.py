"""The pepper's check value: one row, so a start with another pepper is refused."""

from __future__ import annotations

from sqlalchemy import Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class PepperCheck(Base):
    """A keyed hash of a constant under the pepper (never the pepper, nor anything that
    tests a guess of it faster than the hash itself). Always the row with id 1."""

    __tablename__ = "pepper_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[bytes] = mapped_column(LargeBinary(32))
