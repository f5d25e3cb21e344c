"""Engine and per-request sessions. SQLite gets WAL, secure_delete and foreign keys."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from hotline import wiring


class Database:
    def __init__(self, url: str, session_info: dict[str, Any] | None = None) -> None:
        """`session_info` is given to every session (the audit chain's key rides there)."""
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(
            self.engine, expire_on_commit=False, info=dict(session_info or {})
        )

    def dispose(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """One round trip, for readiness checks; raises when the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def register(app: Flask) -> None:
    """Close each request's (or command's) session when its app context ends."""
    app.teardown_appcontext(_close_session)


def database() -> Database:
    """The current app's database (made once by `create_app`)."""
    return wiring.services().database


def session() -> Session:
    """The session of this request (or CLI command); closed when the app context ends."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    current: Session = g.db_session
    return current


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
