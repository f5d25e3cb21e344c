"""The pepper's check value in the database: a start with another pepper is refused.

A lost pepper used to be regenerated silently, locking every reporter and handler out and
mixing cases under two peppers. Now the database keeps a keyed hash of a constant under the
pepper (`pepper_check`, one row). At every start (each gunicorn worker, each command):

- the row is there: the pepper must give the same value, or the start is refused;
- no row and no case and no handler: this is a new instance; the value is written;
- no row but cases or handlers: the pepper is new to a database that holds data; refused
  (unless `HOTLINE_PEPPER_ADOPT=1`, for a database migrated without `flask db upgrade`);
- no table yet (before `flask db upgrade`): nothing to check; `flask db upgrade` writes
  the row when it adds the table (`adopt`), whatever the database holds.
"""

from __future__ import annotations

import hmac

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from crypto.pepper import Pepper
from hotline.config import ConfigError
from hotline.models import Case, Handler, PepperCheck

TABLE = "pepper_check"
_ROW = 1


class PepperMismatch(ConfigError):
    """The pepper is not the one this database was written with."""


def check_value(pepper: Pepper) -> bytes:
    return pepper.tag("pepper-check", b"hotline:pepper-check:v1")


def has_table(session: Session) -> bool:
    return inspect(session.connection()).has_table(TABLE)


def verify(sessions: sessionmaker[Session], pepper: Pepper, adopt: bool = False) -> str:
    """Check the pepper against the database; write the value into a new one (or, with
    `adopt`, into one that holds data but no value). Returns "unmigrated", "matches" or
    "recorded"; raises `PepperMismatch`."""
    with sessions() as session:
        if not has_table(session):
            return "unmigrated"
        stored = session.scalar(select(PepperCheck.value).where(PepperCheck.id == _ROW))
        if stored is not None:
            _compare(stored, pepper)
            return "matches"
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        handlers = session.scalar(select(func.count()).select_from(Handler)) or 0
        if (cases or handlers) and not adopt:
            raise PepperMismatch(
                f"the pepper is new (no check value) but the database holds {cases} cases "
                f"and {handlers} handlers: the pepper they were written with is missing. "
                "Give that pepper (HOTLINE_PEPPER or HOTLINE_PEPPER_FILE, from its backup); "
                "a new pepper would lock every reporter and handler out. Only if this IS "
                "that pepper, start once with HOTLINE_PEPPER_ADOPT=1 to record it"
            )
        return _record(session, pepper)


def adopt(sessions: sessionmaker[Session], pepper: Pepper) -> str:
    """Write the check value for the pepper in use when it is absent, whatever the database
    holds (`flask db upgrade` when it has just added the table). "matches"/"recorded"."""
    with sessions() as session:
        stored = session.scalar(select(PepperCheck.value).where(PepperCheck.id == _ROW))
        if stored is not None:
            _compare(stored, pepper)
            return "matches"
        return _record(session, pepper)


def _record(session: Session, pepper: Pepper) -> str:
    session.add(PepperCheck(id=_ROW, value=check_value(pepper)))
    try:
        session.commit()
    except IntegrityError:  # another worker wrote it first: compare with theirs
        session.rollback()
        stored = session.scalar(select(PepperCheck.value).where(PepperCheck.id == _ROW))
        _compare(stored or b"", pepper)
        return "matches"
    return "recorded"


def _compare(stored: bytes, pepper: Pepper) -> None:
    if not hmac.compare_digest(stored, check_value(pepper)):
        raise PepperMismatch(
            "the pepper does not match this database (its check value differs): the "
            "database was written with another pepper. Give that pepper (HOTLINE_PEPPER or "
            "HOTLINE_PEPPER_FILE, from its backup, docs/operations.md); nothing was changed"
        )
