"""Demonstration data: desks, categories and one handler per desk, and starting over.

The demo passwords are printed once and never stored. When they are lost, `reset` wipes
the demo instance (cases, files, accounts, audit trail) and seeds it again; it refuses to
touch an instance that holds any account other than the demo ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.models import Base, CacheVersion, Handler
from hotline.services import accounts, routing
from hotline.services.context import ServiceContext
from hotline.services.errors import Conflict, ServiceError

DEMO_HANDLERS = (
    ("compliance", "compliance.officer", "Compliance officer", "Compliance office"),
    ("harassment", "harassment.counsellor", "Harassment counsellor", "Consultation desk"),
    ("audit_committee", "audit.chair", "Audit committee chair", "Audit committee"),
    ("data_protection", "privacy.officer", "Data protection officer", "Data protection"),
    ("ombudsperson", "ombudsperson", "External ombudsperson", "Outside counsel"),
)
DEMO_USERNAMES = frozenset(username for _, username, _, _ in DEMO_HANDLERS)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    desk: str
    password: str | None  # None: the account could not be created (error says why)
    error: str = ""


def has_handlers(session: Session) -> bool:
    return session.scalar(select(Handler.id).limit(1)) is not None


def seed(session: Session, ctx: ServiceContext, routing_file: Path) -> list[DemoAccount]:
    """Load the routing policy and create one demo handler per desk with a fresh password."""
    routing.load_policy(session, routing_file)
    made: list[DemoAccount] = []
    for desk, username, display, role in DEMO_HANDLERS:
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        try:
            accounts.create_handler(session, ctx, username, desk, password, display, role)
        except ServiceError as error:
            made.append(DemoAccount(username, desk, None, error.message))
            continue
        made.append(DemoAccount(username, desk, password))
    return made


def reset(session: Session, ctx: ServiceContext, routing_file: Path) -> list[DemoAccount]:
    """Wipe a demo instance and seed it again. Refuses if a non-demo account exists."""
    others = sorted(
        name for name in session.scalars(select(Handler.username)) if name not in DEMO_USERNAMES
    )
    if others:
        raise Conflict(
            "this instance has accounts that are not demo accounts "
            f"({', '.join(others[:5])}); a demo reset would destroy real data, so nothing was done"
        )
    # Every table, attachment ciphertext (blob_chunks) included.
    # (Not the cache counters: the deletes bump them, and without their rows nothing is cached.)
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != CacheVersion.__tablename__:
            session.execute(delete(table))
    session.commit()
    return seed(session, ctx, routing_file)
