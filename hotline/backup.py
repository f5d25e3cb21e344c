"""Encrypted backups of the database and the attachment store, to an operator's key.

An archive is one file: a magic line, a hybrid (X25519 + ML-KEM-768) wrap of a fresh file
key to the operator's backup public key, then the contents under that key as one
secretstream (tamper-evident, truncation-evident). The contents are framed members:
`manifest.json` (format, database kind, schema revision; no secret), the database
(`pg_dump -Fc` for PostgreSQL, SQLite's online backup for SQLite), which holds the
attachment ciphertext too (`blob_chunks`), and any attachment file an instance from before
that table still has (`flask db upgrade` moves restored ones in). The pepper and the other
instance secrets are never in it: back them up apart (see
docs/operations.md), since without the pepper a restored database opens nothing.

Everything streams: nothing is written to disk but the archive itself (and, on restore,
the database, and any such attachment file).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from crypto.attachments import decrypt_stream, encrypt_stream, new_file_key
from crypto.grants import BACKUP_KEY, GrantFor, make_grant, open_grant
from crypto.handler_keys import HandlerPrivateKeys, HandlerPublicKeys, generate_private

MAGIC = b"HOTLINE-BACKUP-1\n"
_CHUNK = 1 << 20


class BackupError(Exception):
    pass


# --- operator keys --------------------------------------------------------------------------


def make_keys() -> tuple[str, str]:
    """A new backup key pair as (public text, private text)."""
    private = generate_private()
    public = private.public()
    return (
        json.dumps({"x25519": public.x25519.hex(), "mlkem": public.mlkem.hex()}),
        private.bundle().hex(),
    )


def load_public(text: str) -> HandlerPublicKeys:
    try:
        data = json.loads(text)
        return HandlerPublicKeys(bytes.fromhex(data["x25519"]), bytes.fromhex(data["mlkem"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("the backup public key file is not valid") from exc


def load_private(text: str) -> HandlerPrivateKeys:
    try:
        return HandlerPrivateKeys.from_bundle(bytes.fromhex(text.strip()))
    except Exception as exc:
        raise BackupError("the backup private key file is not valid") from exc


# --- framing ----------------------------------------------------------------------------------


def _member(name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    raw = name.encode()
    yield b"M" + struct.pack(">H", len(raw)) + raw
    for chunk in chunks:
        if chunk:
            yield struct.pack(">I", len(chunk)) + chunk
    yield struct.pack(">I", 0)


class _Reader:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise BackupError("the archive is cut short")
            self._buffer += chunk
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def members(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        while True:
            kind = self.read(1)
            if kind == b"E":
                return
            if kind != b"M":
                raise BackupError("the archive is malformed")
            (length,) = struct.unpack(">H", self.read(2))
            name = self.read(length).decode()
            yield name, self._chunks_of_member()

    def _chunks_of_member(self) -> Iterator[bytes]:
        while True:
            (size,) = struct.unpack(">I", self.read(4))
            if size == 0:
                return
            yield self.read(size)


# --- create -----------------------------------------------------------------------------------


def _pg_command(tool: str, url: str) -> tuple[list[str], dict[str, str]]:
    """The tool's full path and its arguments; the password goes by environment, never on
    the command line (where `ps` would show it)."""
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} is not installed (PostgreSQL client tools)")
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return [path, "--no-owner", "--no-privileges", "--dbname", plain.render_as_string()], env


def _database_member(url: str) -> tuple[str, Iterator[bytes]]:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if not path:
            raise BackupError("in-memory SQLite cannot be backed up")

        def sqlite_bytes() -> Iterator[bytes]:
            source = sqlite3.connect(path)
            memory = sqlite3.connect(":memory:")
            try:
                source.backup(memory)
                data = memory.serialize()
            finally:
                source.close()
                memory.close()
            for start in range(0, len(data), _CHUNK):
                yield data[start : start + _CHUNK]

        return "database.sqlite", sqlite_bytes()

    def dump() -> Iterator[bytes]:
        command, env = _pg_command("pg_dump", url)
        process = subprocess.Popen(  # noqa: S603 (fixed command, the configured database)
            [*command, "-Fc"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        output = process.stdout
        if output is None:  # never: stdout=PIPE
            raise BackupError("pg_dump gave no output stream")
        while chunk := output.read(_CHUNK):
            yield chunk
        _, errors = process.communicate()
        if process.returncode != 0:
            raise BackupError("pg_dump failed: " + errors.decode("utf-8", "replace")[-500:])

    return "database.pgdump", dump()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return None
            row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            return str(row[0]) if row else None
    finally:
        engine.dispose()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


# A backup's file key is granted like a case key, under its own kind and no case.
_BACKUP = GrantFor(BACKUP_KEY, "", 0)


@dataclass(frozen=True)
class BackupSummary:
    database: str
    files: int
    bytes_written: int


def create(
    database_url: str, blobs: Path, public: HandlerPublicKeys, out: BinaryIO
) -> BackupSummary:
    file_key = new_file_key()
    wrapped = make_grant(file_key, public, _BACKUP)
    files = (
        sorted(p for p in blobs.iterdir() if p.is_file() and p.suffix == ".bin")
        if blobs.exists()
        else []
    )
    db_name, db_chunks = _database_member(database_url)
    manifest = {
        "format": 1,
        "database": db_name,
        "revision": _revision(database_url),
        "files": len(files),
    }

    def plain() -> Iterator[bytes]:
        yield from _member("manifest.json", [json.dumps(manifest).encode()])
        yield from _member(db_name, db_chunks)
        for path in files:
            yield from _member("blobs/" + path.name, _file_chunks(path))
        yield b"E"

    written = out.write(MAGIC + struct.pack(">I", len(wrapped)) + wrapped)
    for block in encrypt_stream(file_key, plain()):
        written += out.write(block)
    return BackupSummary(db_name, len(files), written)


# --- restore ----------------------------------------------------------------------------------


def _open(archive: BinaryIO, private: HandlerPrivateKeys) -> _Reader:
    if archive.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a hotline backup")
    (length,) = struct.unpack(">I", archive.read(4))
    try:
        file_key = open_grant(archive.read(length), private, _BACKUP)
    except Exception as exc:
        raise BackupError("this backup is not for this private key") from exc

    def blocks() -> Iterator[bytes]:
        while chunk := archive.read(_CHUNK):
            yield chunk

    return _Reader(decrypt_stream(file_key, blocks()))


def _refuse_unless_empty(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if inspect(connection).get_table_names():
                raise BackupError("restore only into an empty database")
    finally:
        engine.dispose()


def restore(
    archive: BinaryIO, private: HandlerPrivateKeys, database_url: str, blobs: Path
) -> dict[str, object]:
    reader = _open(archive, private)
    _refuse_unless_empty(database_url)
    if blobs.exists() and any(blobs.iterdir()):
        raise BackupError("restore only into an empty attachment store")
    manifest: dict[str, object] = {}
    restored = 0
    for name, chunks in reader.members():
        if name == "manifest.json":
            manifest = json.loads(b"".join(chunks))
        elif name == "database.sqlite":
            if not database_url.startswith("sqlite"):
                raise BackupError("this backup holds a SQLite database")
            _restore_sqlite(b"".join(chunks), str(make_url(database_url).database))
        elif name == "database.pgdump":
            if database_url.startswith("sqlite"):
                raise BackupError("this backup holds a PostgreSQL database")
            _restore_postgres(chunks, database_url)
        elif name.startswith("blobs/") and "/" not in name[6:] and name[6:].endswith(".bin"):
            blobs.mkdir(parents=True, exist_ok=True)  # files of an instance from before blob_chunks
            with (blobs / name[6:]).open("xb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            restored += 1
        else:
            raise BackupError(f"unexpected member {name!r}")
    return {**manifest, "files_restored": restored}


def _restore_sqlite(data: bytes, path: str) -> None:
    image = bytearray(data)
    if len(image) > 19:
        image[18] = image[19] = 1  # a WAL-mode image opens in memory only as a rollback one
    memory = sqlite3.connect(":memory:")
    target = sqlite3.connect(path)
    try:
        memory.deserialize(bytes(image))
        memory.backup(target)
    finally:
        memory.close()
        target.close()


def _restore_postgres(chunks: Iterator[bytes], url: str) -> None:
    command, env = _pg_command("pg_restore", url)
    process = subprocess.Popen(  # noqa: S603 (fixed command, the configured database)
        [*command, "--exit-on-error"], stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    if process.stdin is None:  # never: stdin=PIPE
        raise BackupError("pg_restore took no input stream")
    try:
        for chunk in chunks:
            process.stdin.write(chunk)
    finally:
        process.stdin.close()
    errors = process.stderr.read() if process.stderr else b""
    if process.wait() != 0:
        raise BackupError("pg_restore failed: " + errors.decode("utf-8", "replace")[-500:])
