"""Shared test helpers: cheap Argon2 config, throwaway databases, the plaintext scan."""

from __future__ import annotations

import base64
import io
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from werkzeug.test import TestResponse

from crypto import signing
from crypto.primitives import Argon2Params
from hotline.logs import ContentFreeFormatter

CHEAP_ARGON = {
    "ARGON2_RECEIPT_OPS": 1,
    "ARGON2_RECEIPT_MEM": 8192,
    "ARGON2_PASSWORD_OPS": 1,
    "ARGON2_PASSWORD_MEM": 8192,
}
PG_ADMIN_URL = os.environ.get(
    "HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


def needle_forms(secret: str) -> set[bytes]:
    """Byte forms a plaintext could take on disk: UTF-8, UTF-16, hex of UTF-8."""
    forms = {secret.encode("utf-8"), secret.encode("utf-16-le")}
    forms.add(secret.encode("utf-8").hex().encode())
    return forms


def receipt_forms(receipt: str) -> list[str]:
    digits = "".join(ch for ch in receipt if ch.isdigit())
    return [digits, receipt, "-".join(receipt.split())]


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


def find_plaintext(haystacks: dict[str, bytes], secrets_: Iterable[str]) -> list[str]:
    found = []
    for secret in secrets_:
        for form in needle_forms(secret):
            for where, data in haystacks.items():
                if form in data:
                    found.append(f"{secret!r} in {where}")
    return found


TEST_ROOT_PASSPHRASE = "test root passphrase, never real"
_test_root: dict[str, Any] = {}


def test_root() -> tuple[signing.SigningPrivateKey, Path]:
    """One organisation root per test process, in a folder outside every instance folder."""
    if not _test_root:
        private = signing.generate()
        folder = Path(tempfile.mkdtemp(prefix="hotline-test-root-"))
        path = folder / "root.key"
        path.write_text(
            signing.root_file(private, TEST_ROOT_PASSPHRASE, Argon2Params(1, 8192)), "utf-8"
        )
        _test_root.update(private=private, path=path)
    return _test_root["private"], _test_root["path"]


def online_root_config() -> dict[str, Any]:
    """Tests keep the root online (handlers' keys are signed as they are made), like the demo;
    the key directory's own tests turn it off to exercise the offline signing flow."""
    return {
        "KEYS_ONLINE_ROOT_FILE": str(test_root()[1]),
        "KEYS_ONLINE_ROOT_PASSPHRASE": TEST_ROOT_PASSPHRASE,
    }


def config_for(url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        **CHEAP_ARGON,
        **online_root_config(),
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        **extra,
    }


@contextmanager
def paths_written() -> Iterator[list[str]]:
    """Every path this process opens for writing inside the block, and any use of the
    temporary-file folder (recorded as "<tempfile>"), so a test can prove where bytes went."""
    import builtins
    import tempfile

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


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


unb64 = base64.b64decode


def body(response: TestResponse) -> dict[str, Any]:
    """A JSON object response, or a failure that shows what came back instead."""
    data = response.get_json(silent=True)
    assert isinstance(data, dict), (response.status_code, response.data[:300])
    return data
