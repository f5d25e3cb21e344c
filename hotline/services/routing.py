"""Who receives a case. One function serves intake, the browser's preview and the server check.

Policy (stored in the database, seeded from hotline/data/routing.json, edited by admins):
- a category maps to internal desks; every active handler of those desks gets a grant;
- a case involving an executive also goes to the desks that receive executive cases;
- "external ombudsperson only" replaces every internal desk with the external desks;
- each chosen desk's escalation desk gets grants too, held back until escalation;
- handlers named for conflict of interest get nothing at all, now or later;
- a handler whose current keys have no signed entry in the key directory (new and not yet
  signed, rotated and awaiting the root, revoked, or substituted in the database) gets
  nothing: routing leaves them out and logs it. Encryptors then verify the signatures
  themselves (`verify_keys` on the server, web/js/key-directory.js in the browser).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.handler_keys import HandlerPublicKeys
from crypto.key_directory import Entry, KeyNotSigned, check_keys
from hotline.key_trust import KeyTrust
from hotline.models import Category, Desk, DeskKind, Handler
from hotline.services import dates, key_directory
from hotline.services.errors import NoRecipients, UnknownCategory

log = logging.getLogger("hotline.routing")


@dataclass(frozen=True)
class Recipient:
    handler_id: int
    desk: str
    public: HandlerPublicKeys
    held: bool = False


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
    involves_executive: bool = False,
) -> list[Recipient]:
    found = session.scalar(select(Category).where(Category.slug == category))
    if found is None:
        raise UnknownCategory("unknown category", field="category")
    active = list(session.scalars(select(Desk).where(Desk.active.is_(True))))
    if external_only:
        chosen = [d for d in active if d.kind == DeskKind.EXTERNAL]
    else:
        chosen = [d for d in found.desks if d.active and d.kind == DeskKind.INTERNAL]
        if involves_executive:
            chosen += [d for d in active if d.receives_executive_cases and d not in chosen]
    chosen_ids = {d.id for d in chosen}
    by_id = {d.id: d for d in active}
    held_ids = {
        d.escalation_desk_id
        for d in chosen
        if d.escalation_desk_id in by_id and d.escalation_desk_id not in chosen_ids
    }
    excluded = set(excluded_handler_ids)
    signed = key_directory.signed_now(session, dates.today())
    handlers = session.scalars(
        select(Handler)
        .where(
            Handler.desk_id.in_(chosen_ids | held_ids),
            Handler.active.is_(True),
            Handler.is_admin.is_(False),
        )
        .order_by(Handler.id)
    )
    result = [
        Recipient(
            h.id,
            by_id[h.desk_id].slug if h.desk_id is not None else "",
            HandlerPublicKeys(h.x25519_public, h.mlkem_public),
            held=h.desk_id not in chosen_ids,
        )
        for h in handlers
        if h.id not in excluded and _keys_signed(signed, h, by_id)
    ]
    if not any(not r.held for r in result):
        raise NoRecipients(
            "no handler is available to receive this report right now; "
            "please try again later or use another channel"
        )
    return result


def _keys_signed(signed: dict[int, Entry], handler: Handler, desks: dict[int, Desk]) -> bool:
    desk = desks[handler.desk_id].slug if handler.desk_id is not None else ""
    public = HandlerPublicKeys(handler.x25519_public, handler.mlkem_public)
    try:
        check_keys(signed, handler.id, desk, public)
    except KeyNotSigned as exc:
        log.warning(
            "routing.keys_not_signed",
            extra={"handler_id": handler.id, "desk": desk, "reason": str(exc)},
        )
        return False
    return True


def verify_keys(session: Session, trust: KeyTrust, found: list[Recipient]) -> None:
    """Before sealing: the whole directory verifies against the configured root, and every
    recipient's keys are exactly those of their current signed entry. KeysNotVerified else."""
    current = key_directory.trusted_entries(session, trust, dates.today())
    for r in found:
        key_directory.require_signed(current, r.handler_id, r.desk, r.public)


def load_policy(session: Session, path: Path) -> tuple[int, int]:
    """Create or update desks and categories from the policy file. Returns (desks, categories)."""
    policy: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    desks: dict[str, Desk] = {d.slug: d for d in session.scalars(select(Desk))}
    for item in policy["desks"]:
        desk = desks.get(item["slug"]) or Desk(slug=item["slug"], active=True)
        desk.name_en, desk.name_ja = item["name_en"], item["name_ja"]
        desk.kind = DeskKind(item["kind"])
        desk.receives_executive_cases = bool(item.get("receives_executive_cases", False))
        session.add(desk)
        desks[desk.slug] = desk
    session.flush()
    for item in policy["desks"]:
        target = item.get("escalates_to")
        desks[item["slug"]].escalation_desk_id = desks[target].id if target else None
    existing = {c.slug: c for c in session.scalars(select(Category))}
    for position, item in enumerate(policy["categories"]):
        category = existing.get(item["slug"]) or Category(slug=item["slug"])
        category.label_en, category.label_ja = item["label_en"], item["label_ja"]
        category.position = position
        category.desks = [desks[slug] for slug in item["desks"]]
        session.add(category)
    session.commit()
    return len(policy["desks"]), len(policy["categories"])
