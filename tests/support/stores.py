"""Where bytes end up: throwaway databases and their raw stored bytes, the log lines as they
would be written, and a spy on every path a block of code opens for writing."""

from __future__ import annotations

import builtins
import io
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, inspect, select, text

from hotline import db, wiring
from hotline.logs import ContentFreeFormatter
from hotline.models import BlobChunk
from tests.support.config import PG_ADMIN_URL


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A brand-new empty database: a SQLite file, or a new PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'hotline.db'}"
        return
    name = f"hotline_t_{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def raw_database_bytes(url: str) -> bytes:
    """The stored bytes: the SQLite files as on disk, or every row of every PostgreSQL table."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return b"".join(
            p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
    engine = create_engine(url)
    chunks: list[bytes] = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                    chunks.append(str(row[0]).encode("utf-8"))
                for column in inspect(conn).get_columns(table):
                    if "BYTEA" in str(column["type"]).upper():
                        for (value,) in conn.execute(
                            text(f'SELECT "{column["name"]}" FROM "{table}"')
                        ):
                            if value is not None:
                                chunks.append(bytes(value))
    finally:
        engine.dispose()
    return b"\n".join(chunks)


def blob_bytes(app: Flask) -> bytes:
    """Every attachment's ciphertext read back whole (it is stored in chunks in the database;
    read whole, no chunk boundary can hide a match)."""
    store = wiring.services(app).blobs
    with app.app_context():
        ids = db.session().scalars(select(BlobChunk.blob_id).distinct()).all()
        return b"".join(b"".join(store.chunks(blob_id)) for blob_id in ids)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (an instance folder: blobs, secrets, anything written)."""
    if not folder.exists():
        return {}
    return {
        f"file {p.relative_to(folder)}": p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class LogCapture:
    """Everything logged, formatted exactly as it would be written to the log file."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setFormatter(ContentFreeFormatter())
        self.handler.setLevel(logging.DEBUG)

    def __enter__(self) -> LogCapture:
        logging.getLogger().addHandler(self.handler)
        return self

    def __exit__(self, *_exc: object) -> None:
        logging.getLogger().removeHandler(self.handler)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


@contextmanager
def paths_written() -> Iterator[list[str]]:
    """Every path this process opens for writing inside the block, and any use of the
    temporary-file folder (recorded as "<tempfile>"), so a test can prove where bytes went."""
    seen: list[str] = []
    real_open, real_os_open, real_tmp = builtins.open, os.open, tempfile.gettempdir

    def spy_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path) and any(c in mode for c in "wax+"):
            seen.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    def spy_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            seen.append(str(path))
        return real_os_open(path, flags, *args, **kwargs)

    def spy_tmp() -> str:
        seen.append("<tempfile>")
        return real_tmp()

    builtins.open, os.open, tempfile.gettempdir = spy_open, spy_os_open, spy_tmp
    try:
        yield seen
    finally:
        builtins.open, os.open, tempfile.gettempdir = real_open, real_os_open, real_tmp
