"""Who receives a case. One function serves intake, the browser's preview and the server check.

Minimal policy for now: a category maps to desks; every active handler of those desks
receives a grant. "External ombudsperson only" replaces internal desks with external ones;
named handlers (conflict of interest) are left out entirely.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.handler_keys import HandlerPublicKeys
from hotline.models import Category, Desk, DeskKind, Handler
from hotline.services.errors import NoRecipients, UnknownCategory


@dataclass(frozen=True)
class Recipient:
    handler_id: int
    desk: str
    public: HandlerPublicKeys


@dataclass(frozen=True)
class CategoryInfo:
    slug: str
    label_en: str
    label_ja: str


def categories(session: Session) -> list[CategoryInfo]:
    rows = session.scalars(select(Category).order_by(Category.position, Category.id))
    return [CategoryInfo(c.slug, c.label_en, c.label_ja) for c in rows]


def recipients(
    session: Session,
    category: str,
    external_only: bool = False,
    excluded_handler_ids: Iterable[int] = (),
) -> list[Recipient]:
    found = session.scalar(select(Category).where(Category.slug == category))
    if found is None:
        raise UnknownCategory("unknown category", field="category")
    if external_only:
        desks = list(
            session.scalars(
                select(Desk).where(Desk.kind == DeskKind.EXTERNAL, Desk.active.is_(True))
            )
        )
    else:
        desks = [d for d in found.desks if d.active and d.kind == DeskKind.INTERNAL]
    excluded = set(excluded_handler_ids)
    handlers = session.scalars(
        select(Handler)
        .where(Handler.desk_id.in_([d.id for d in desks]), Handler.active.is_(True))
        .order_by(Handler.id)
    )
    chosen = [
        Recipient(h.id, h.desk.slug, HandlerPublicKeys(h.x25519_public, h.mlkem_public))
        for h in handlers
        if h.id not in excluded
    ]
    if not chosen:
        raise NoRecipients(
            "no handler is available to receive this report right now; "
            "please try again later or use another channel"
        )
    return chosen


def load_policy(session: Session, path: Path) -> tuple[int, int]:
    """Create or update desks and categories from the policy file. Returns (desks, categories)."""
    policy: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    desks: dict[str, Desk] = {d.slug: d for d in session.scalars(select(Desk))}
    for item in policy["desks"]:
        desk = desks.get(item["slug"]) or Desk(slug=item["slug"], active=True)
        desk.name_en, desk.name_ja = item["name_en"], item["name_ja"]
        desk.kind = DeskKind(item["kind"])
        session.add(desk)
        desks[desk.slug] = desk
    existing = {c.slug: c for c in session.scalars(select(Category))}
    for position, item in enumerate(policy["categories"]):
        category = existing.get(item["slug"]) or Category(slug=item["slug"])
        category.label_en, category.label_ja = item["label_en"], item["label_ja"]
        category.position = position
        category.desks = [desks[slug] for slug in item["desks"]]
        session.add(category)
    session.commit()
    return len(policy["desks"]), len(policy["categories"])
