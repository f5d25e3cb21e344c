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
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from crypto.handler_keys import HandlerPublicKeys
from crypto.key_directory import Entry, KeyNotSigned, check_keys, current_entries
from hotline.key_trust import KeyTrust
from hotline.models import CacheVersion, Category, Desk, DeskKind, Handler
from hotline.models.cache_version import ROUTING
from hotline.services import dates, key_directory
from hotline.services.errors import NoRecipients, UnknownCategory

log = logging.getLogger("hotline.routing")

# The routing snapshot's lifetime, on top of the version check. Reason: the tables it copies
# change a few times a year, and reading and re-verifying them cost ~4 ms and 8 queries per
# submission. The counter (models/cache_version.py) is bumped by triggers on every write,
# in the same transaction, so a snapshot is never used after a change has committed; the
# lifetime only bounds how long a copy lives in a worker at all.
SNAPSHOT_SECONDS = 300.0


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


@dataclass(frozen=True)
class _Desk:
    id: int
    slug: str
    kind: DeskKind
    receives_executive_cases: bool
    escalation_desk_id: int | None


@dataclass(frozen=True)
class _Handler:
    id: int
    desk_id: int
    public: HandlerPublicKeys


@dataclass
class Snapshot:
    """What routing reads, copied once per version of the tables and per day: categories,
    their labels and desks, active desks, active handlers whose current keys have a signed
    entry (as stored), and the stored key directory entries. Public data only (policy and
    public keys)."""

    version: int | None
    day: date
    loaded: float
    categories: dict[str, tuple[int, ...]]
    category_list: tuple[CategoryInfo, ...]  # in the policy's order, with their labels
    desks: dict[int, _Desk]
    handlers: tuple[_Handler, ...]
    entries: tuple[Entry, ...]
    # The directory verified against a root (keyed by the root's bytes): filled on first
    # use, so one verification per snapshot and root, not one per submission.
    trusted: dict[bytes, dict[int, Entry]] = field(default_factory=dict)

    def fresh(self, version: int | None, day: date) -> bool:
        return (
            version is not None
            and version == self.version
            and day == self.day
            and time.monotonic() - self.loaded < SNAPSHOT_SECONDS
        )


# One snapshot per engine (each app has its own; tests make many). A memo, never a source:
# every use first reads the version counter, so no worker serves a copy another worker's
# write has made stale.
_snapshots: weakref.WeakKeyDictionary[Engine, Snapshot] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _version(session: Session) -> int | None:
    """The routing counter; None where the schema has none (then nothing is kept)."""
    # Core, not ORM: this one primary-key read runs on every submission.
    table = CacheVersion.__table__
    found = session.connection().execute(
        select(table.c.version).where(table.c.name == ROUTING)
    )
    value: int | None = found.scalar()
    return value


_IN_TRANSACTION = "hotline.routing.snapshot"


@event.listens_for(Session, "after_flush")
def _forget_in_transaction(session: Session, _context: object) -> None:
    """A write in this transaction may have changed what routing reads: read the version
    again (the triggers have bumped it inside this transaction already)."""
    session.info.pop(_IN_TRANSACTION, None)


def snapshot(session: Session) -> Snapshot:
    """The current snapshot: read once per transaction (recipients, then verify_keys)."""
    held = session.info.get(_IN_TRANSACTION)
    if held is not None and held[0] is session.get_transaction():
        found: Snapshot = held[1]
        return found
    version = _version(session)
    made = _current(session, version)
    session.info[_IN_TRANSACTION] = (session.get_transaction(), made)
    return made


def _current(session: Session, version: int | None) -> Snapshot:
    today = dates.today()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _lock:
        found = _snapshots.get(engine)
    if found is not None and found.fresh(version, today):
        return found
    made = _load(session, version, today)
    if version is not None:
        with _lock:
            _snapshots[engine] = made
    return made


def _load(session: Session, version: int | None, today: date) -> Snapshot:
    entries = tuple(key_directory.load_entries(session))
    signed = current_entries(entries, today)
    active = {d.id: d for d in session.scalars(select(Desk).where(Desk.active.is_(True)))}
    handlers = session.scalars(
        select(Handler)
        .where(
            Handler.desk_id.in_(list(active)),
            Handler.active.is_(True),
            Handler.is_admin.is_(False),
        )
        .order_by(Handler.id)
    )
    found = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
    return Snapshot(
        version=version,
        day=today,
        loaded=time.monotonic(),
        categories={c.slug: tuple(d.id for d in c.desks) for c in found},
        category_list=tuple(CategoryInfo(c.slug, c.label_en, c.label_ja) for c in found),
        desks={
            d.id: _Desk(d.id, d.slug, d.kind, d.receives_executive_cases, d.escalation_desk_id)
            for d in active.values()
        },
        handlers=tuple(
            _Handler(h.id, h.desk_id, HandlerPublicKeys(h.x25519_public, h.mlkem_public))
            for h in handlers
            if h.desk_id is not None and _keys_signed(signed, h, active)
        ),
        entries=entries,
    )


def categories(session: Session) -> list[CategoryInfo]:
    """The categories in the policy's order (from the snapshot: every form page shows them)."""
    return list(snapshot(session).category_list)


def recipients(
    session: Session,
    category: str,
    external_only: bool = False,
    excluded_handler_ids: Iterable[int] = (),
    involves_executive: bool = False,
) -> list[Recipient]:
    snap = snapshot(session)
    desk_ids = snap.categories.get(category)
    if desk_ids is None:
        raise UnknownCategory("unknown category", field="category")
    active = snap.desks
    if external_only:
        chosen = [d for d in active.values() if d.kind == DeskKind.EXTERNAL]
    else:
        chosen = [
            active[i] for i in desk_ids if i in active and active[i].kind == DeskKind.INTERNAL
        ]
        if involves_executive:
            chosen += [
                d for d in active.values() if d.receives_executive_cases and d not in chosen
            ]
    chosen_ids = {d.id for d in chosen}
    held_ids = {
        d.escalation_desk_id
        for d in chosen
        if d.escalation_desk_id in active and d.escalation_desk_id not in chosen_ids
    }
    excluded = set(excluded_handler_ids)
    result = [
        Recipient(h.id, active[h.desk_id].slug, h.public, held=h.desk_id not in chosen_ids)
        for h in snap.handlers
        if h.desk_id in chosen_ids | held_ids and h.id not in excluded
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
    snap = snapshot(session)
    root = trust.root.to_bytes() if trust.root is not None else b""
    current = snap.trusted.get(root)
    if current is None:
        current = key_directory.verify_entries(list(snap.entries), trust, snap.day)
        snap.trusted[root] = current
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
