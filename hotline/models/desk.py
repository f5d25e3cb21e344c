"""A desk receives cases: an internal team or the external ombudsperson."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class DeskKind(enum.StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class Desk(Base):
    __tablename__ = "desks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ja: Mapped[str] = mapped_column(String(120))
    kind: Mapped[DeskKind] = mapped_column(
        Enum(DeskKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Receives every case that involves an executive (the audit committee).
    receives_executive_cases: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where this desk's cases escalate when the acknowledgement deadline is missed: those
    # handlers' grants are made at intake and held back until the escalation releases them.
    escalation_desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"), default=None)
