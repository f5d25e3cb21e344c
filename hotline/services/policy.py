"""The routing policy as administrators see and edit it (routing.py applies it to cases).

An edit is the whole policy at once (every category's desks, every desk's settings),
validated as a whole so the hotline never ends up with a category nobody receives, and
written to the audit log as "policy_changed" with a compact, content-free summary. A change
applies to cases submitted afterwards; existing grants are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Category, Desk, DeskKind, Handler
from hotline.services import audit
from hotline.services.errors import InvalidInput

log = logging.getLogger("hotline.policy")


@dataclass(frozen=True)
class DeskSettings:
    slug: str
    name_en: str
    name_ja: str
    kind: str
    active: bool
    receives_executive_cases: bool
    escalates_to: str | None
    handlers: int  # active handlers on the desk


@dataclass(frozen=True)
class CategoryRoute:
    slug: str
    label_en: str
    label_ja: str
    desks: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    desks: list[DeskSettings]
    categories: list[CategoryRoute]


@dataclass(frozen=True)
class DeskChange:
    active: bool
    receives_executive_cases: bool
    escalates_to: str | None


@dataclass(frozen=True)
class PolicyChange:
    categories: Mapping[str, tuple[str, ...]]
    desks: Mapping[str, DeskChange]


def current(session: Session) -> Policy:
    desks = list(session.scalars(select(Desk).order_by(Desk.id)))
    slug_of = {d.id: d.slug for d in desks}
    staffed = dict(
        session.execute(
            select(Handler.desk_id, func.count())
            .where(Handler.active.is_(True), Handler.desk_id.is_not(None))
            .group_by(Handler.desk_id)
        ).all()
    )
    categories = session.scalars(select(Category).order_by(Category.position, Category.id))
    return Policy(
        desks=[
            DeskSettings(
                d.slug,
                d.name_en,
                d.name_ja,
                d.kind.value,
                d.active,
                d.receives_executive_cases,
                slug_of.get(d.escalation_desk_id) if d.escalation_desk_id else None,
                int(staffed.get(d.id, 0)),
            )
            for d in desks
        ],
        categories=[
            CategoryRoute(
                c.slug,
                c.label_en,
                c.label_ja,
                tuple(d.slug for d in sorted(c.desks, key=lambda d: d.id)),
            )
            for c in categories
        ],
    )


def _validate(session: Session, change: PolicyChange) -> tuple[dict[str, Desk], list[Category]]:
    desks = {d.slug: d for d in session.scalars(select(Desk))}
    categories = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
    if set(change.desks) != set(desks) or set(change.categories) != {c.slug for c in categories}:
        raise InvalidInput("the form is out of date; reload the page and try again", field="form")
    for slug, settings in change.desks.items():
        target = settings.escalates_to
        if target is None:
            continue
        if target not in desks or desks[target].kind != DeskKind.INTERNAL:
            raise InvalidInput(
                f"desk {slug}: escalation must go to an internal desk", field=f"esc-{slug}"
            )
        if target == slug:
            raise InvalidInput(
                f"desk {slug}: a desk cannot escalate to itself", field=f"esc-{slug}"
            )
    for category in categories:
        chosen = change.categories[category.slug]
        for slug in chosen:
            if slug not in desks or desks[slug].kind != DeskKind.INTERNAL:
                raise InvalidInput(
                    f"category {category.slug}: only internal desks can be chosen "
                    "(the external ombudsperson is the reporter's own choice)",
                    field=f"cat-{category.slug}",
                )
        if not any(change.desks[slug].active for slug in chosen):
            raise InvalidInput(
                f"category {category.slug}: choose at least one active desk",
                field=f"cat-{category.slug}",
            )
    return desks, categories


def update(session: Session, admin_id: int, change: PolicyChange) -> list[str]:
    """Apply a whole-policy edit; return what changed (empty: nothing to do, nothing logged)."""
    desks, categories = _validate(session, change)
    changes: list[str] = []
    for category in categories:
        wanted = sorted(set(change.categories[category.slug]), key=lambda s: desks[s].id)
        if sorted(d.slug for d in category.desks) != sorted(wanted):
            category.desks = [desks[slug] for slug in wanted]
            changes.append(f"cat:{category.slug}=" + "+".join(wanted))
    for slug, desk in sorted(desks.items(), key=lambda kv: kv[1].id):
        settings = change.desks[slug]
        target_id = desks[settings.escalates_to].id if settings.escalates_to else None
        if desk.active != settings.active:
            desk.active = settings.active
            changes.append(f"desk:{slug}:active={int(settings.active)}")
        if desk.receives_executive_cases != settings.receives_executive_cases:
            desk.receives_executive_cases = settings.receives_executive_cases
            changes.append(f"desk:{slug}:executive={int(settings.receives_executive_cases)}")
        if desk.escalation_desk_id != target_id:
            desk.escalation_desk_id = target_id
            changes.append(f"desk:{slug}:escalates={settings.escalates_to or '-'}")
    if not changes:
        session.rollback()
        return []
    audit.append(session, admin_id, "policy_changed", None, ";".join(changes))
    session.commit()
    log.info("policy.changed", extra={"handler_id": admin_id, "count": len(changes)})
    return changes
