"""Routing rules on the seeded policy, in an in-memory database: which desks a category
reaches, executive cases, the external ombudsperson, held escalation grants, exclusions,
inactive desks and handlers, administrators; and the policy editor's validation."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import hotline
from crypto.pepper import Pepper
from hotline.models import AuditEvent, Base, Desk, Handler
from hotline.services import audit, policy, routing
from hotline.services.errors import InvalidInput, NoRecipients, UnknownCategory

POLICY_FILE = Path(hotline.__file__).parent / "data" / "routing.json"
# username: desk (None: an administrator)
STAFF = {
    "comp.a": "compliance",
    "comp.b": "compliance",
    "harass.a": "harassment",
    "audit.a": "audit_committee",
    "privacy.a": "data_protection",
    "ombuds.a": "ombudsperson",
    "admin.a": None,
}


@pytest.fixture(autouse=True)
def _every_key_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules alone: whether a handler's keys are signed has its own tests
    (tests/integration/test_key_directory.py)."""
    monkeypatch.setattr(routing, "_keys_signed", lambda *_: True)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    # The audit chain is keyed from the pepper; the session carries that key as the app's do.
    with Session(engine, info=audit.session_info(Pepper(os.urandom(32)))) as s:
        routing.load_policy(s, POLICY_FILE)
        desks = {d.slug: d.id for d in s.scalars(select(Desk))}
        for username, desk in STAFF.items():
            s.add(
                Handler(
                    username=username,
                    display_name=username,
                    desk_id=desks[desk] if desk else None,
                    is_admin=desk is None,
                    x25519_public=os.urandom(32),
                    mlkem_public=os.urandom(1184),
                    kdf_salt=os.urandom(16),
                    kdf_ops=1,
                    kdf_mem=8192,
                    login_verifier=os.urandom(32),
                    wrapped_private=b"w",
                    recovery_wrapped_private=b"r",
                    created_on=date(2026, 1, 5),
                )
            )
        s.commit()
        yield s
    engine.dispose()


def ids(session: Session) -> dict[str, int]:
    return {h.username: h.id for h in session.scalars(select(Handler))}


def routed(session: Session, category: str, **options: object) -> dict[str, bool]:
    """username → held, for everyone who gets a grant."""
    names = {v: k for k, v in ids(session).items()}
    return {
        names[r.handler_id]: r.held
        for r in routing.recipients(session, category, **options)  # type: ignore[arg-type]
    }


CATEGORY_CASES = [
    # fraud: compliance and the audit committee; compliance's escalation desk is already
    # chosen, so nothing is held.
    ("fraud_accounting", {"comp.a": False, "comp.b": False, "audit.a": False}),
    # bribery: compliance, with the audit committee held for escalation.
    ("bribery_corruption", {"comp.a": False, "comp.b": False, "audit.a": True}),
    # harassment and discrimination: the consultation desk, compliance held.
    ("harassment", {"harass.a": False, "comp.a": True, "comp.b": True}),
    ("discrimination", {"harass.a": False, "comp.a": True, "comp.b": True}),
    # personal information: data protection, compliance held.
    ("personal_information", {"privacy.a": False, "comp.a": True, "comp.b": True}),
    ("safety_environment", {"comp.a": False, "comp.b": False, "audit.a": True}),
    ("other", {"comp.a": False, "comp.b": False, "audit.a": True}),
    # executive misconduct: the audit committee alone, which escalates nowhere.
    ("executive_misconduct", {"audit.a": False}),
]


def test_every_category_is_covered() -> None:
    seeded = {c["slug"] for c in json.loads(POLICY_FILE.read_text())["categories"]}
    assert seeded == {category for category, _ in CATEGORY_CASES}


@pytest.mark.parametrize(("category", "expected"), CATEGORY_CASES)
def test_categories_reach_their_desks(
    session: Session, category: str, expected: dict[str, bool]
) -> None:
    assert routed(session, category) == expected


def test_executive_cases_add_the_audit_committee(session: Session) -> None:
    assert routed(session, "harassment", involves_executive=True) == {
        "harass.a": False,
        "comp.a": True,
        "comp.b": True,
        "audit.a": False,
    }
    # Already chosen: no second grant, and no longer held.
    assert routed(session, "bribery_corruption", involves_executive=True) == {
        "comp.a": False,
        "comp.b": False,
        "audit.a": False,
    }


def test_external_only_goes_to_the_ombudsperson_alone(session: Session) -> None:
    for category in ("fraud_accounting", "harassment", "personal_information"):
        assert routed(session, category, external_only=True) == {"ombuds.a": False}
        assert routed(session, category, external_only=True, involves_executive=True) == {
            "ombuds.a": False
        }


def test_excluded_handlers_get_nothing_now_or_held(session: Session) -> None:
    who = ids(session)
    assert routed(session, "harassment", excluded_handler_ids=[who["comp.a"]]) == {
        "harass.a": False,
        "comp.b": True,
    }
    assert routed(
        session, "fraud_accounting", excluded_handler_ids=[who["comp.a"], who["audit.a"]]
    ) == {"comp.b": False}


def test_nobody_left_to_receive_is_refused(session: Session) -> None:
    who = ids(session)
    with pytest.raises(NoRecipients):
        routed(session, "harassment", excluded_handler_ids=[who["harass.a"]])  # only held left
    with pytest.raises(NoRecipients):
        routed(session, "other", external_only=True, excluded_handler_ids=[who["ombuds.a"]])


def test_inactive_handlers_desks_and_admins_never_receive(session: Session) -> None:
    handler = session.scalar(select(Handler).where(Handler.username == "comp.b"))
    assert handler is not None
    handler.active = False
    session.commit()
    assert routed(session, "bribery_corruption") == {"comp.a": False, "audit.a": True}
    audit_desk = session.scalar(select(Desk).where(Desk.slug == "audit_committee"))
    assert audit_desk is not None
    audit_desk.active = False
    session.commit()
    assert routed(session, "fraud_accounting") == {"comp.a": False}
    assert routed(session, "bribery_corruption") == {"comp.a": False}  # nothing held
    everyone = [
        r.handler_id
        for c in ("fraud_accounting", "harassment", "personal_information")
        for r in routing.recipients(session, c)
    ]
    assert ids(session)["admin.a"] not in everyone


def test_unknown_category_is_refused(session: Session) -> None:
    with pytest.raises(UnknownCategory):
        routing.recipients(session, "gossip")


# --- the policy editor -------------------------------------------------------------------


def as_change(current: policy.Policy) -> policy.PolicyChange:
    return policy.PolicyChange(
        categories={c.slug: c.desks for c in current.categories},
        desks={
            d.slug: policy.DeskChange(d.active, d.receives_executive_cases, d.escalates_to)
            for d in current.desks
        },
    )


def test_an_edit_applies_to_routing_and_is_audited(session: Session) -> None:
    admin = ids(session)["admin.a"]
    change = as_change(policy.current(session))
    assert policy.update(session, admin, change) == []  # nothing changed, nothing logged
    edited = replace(
        change,
        categories={**change.categories, "harassment": ("harassment", "data_protection")},
    )
    assert policy.update(session, admin, edited) == ["cat:harassment=harassment+data_protection"]
    assert routed(session, "harassment") == {
        "harass.a": False,
        "privacy.a": False,
        "comp.a": True,
        "comp.b": True,
    }
    [entry] = session.scalars(select(AuditEvent)).all()
    assert (entry.action, entry.actor_id) == ("policy_changed", admin)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"categories": {"harassment": ()}}, "choose at least one active desk"),
        ({"categories": {"harassment": ("ombudsperson",)}}, "only internal desks"),
        ({"categories": {"harassment": ("no_such_desk",)}}, "only internal desks"),
        ({"desks": {"harassment": {"active": False}}}, "choose at least one active desk"),
        ({"desks": {"compliance": {"escalates_to": "compliance"}}}, "cannot escalate to itself"),
        ({"desks": {"compliance": {"escalates_to": "ombudsperson"}}}, "internal desk"),
        ({"desks": {"compliance": {"escalates_to": "nowhere"}}}, "internal desk"),
        ({"drop_category": "harassment"}, "reload the page"),
        ({"drop_desk": "harassment"}, "reload the page"),
    ],
)
def test_invalid_edits_are_refused_and_change_nothing(
    session: Session, edit: dict[str, object], message: str
) -> None:
    before = policy.current(session)
    change = as_change(before)
    categories = dict(change.categories)
    desks = dict(change.desks)
    for slug, chosen in edit.get("categories", {}).items():  # type: ignore[attr-defined]
        categories[slug] = chosen
    for slug, settings in edit.get("desks", {}).items():  # type: ignore[attr-defined]
        desks[slug] = replace(desks[slug], **settings)
    if "drop_category" in edit:
        del categories[str(edit["drop_category"])]
    if "drop_desk" in edit:
        del desks[str(edit["drop_desk"])]
    with pytest.raises(InvalidInput, match=message):
        policy.update(session, ids(session)["admin.a"], policy.PolicyChange(categories, desks))
    session.rollback()
    assert policy.current(session) == before
    assert session.scalars(select(AuditEvent)).all() == []
