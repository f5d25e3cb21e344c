"""One Argon2id pool per host, shared by every web worker of every app instance on it.

Each Argon2id run holds its whole memory cost (64 MiB for a receipt, 256 MiB for a handler's
password) for ~0.1 s of one core. In the workers, that memory is multiplied by the workers
and their threads, and every worker's resident size carries it; here at most `slots` runs (one per
core by default) hold memory at once, whatever the number of workers, and the workers stay
small. Runs beyond `slots` wait for a free slot.

    python -m crypto.argon2_pool --socket /run/hotline-argon2/argon2.sock [--slots N]

A worker sends one request per connection over a Unix socket (mode 0600, in a directory
only its owner can enter): the secret, salt and cost; it reads the derived key and how long
the run waited for a slot. Nothing is logged but start and stop, and nothing is written
anywhere: secrets and keys exist only in the two processes' memory. A worker that cannot
reach the pool runs Argon2id itself (hotline/argon2_gate.py), so a pool that is down costs
memory, never a report.

Imports only the standard library and PyNaCl: the pool's own resident size is ~12 MiB
plus the runs in progress.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import socketserver
import stat
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import nacl.pwhash.argon2id as argon2id_mod

MAGIC = b"HA2\x01"
# ops, memory in bytes, output size, salt, secret length
REQUEST = struct.Struct(">4sIQH16sH")
PING = b"HA2P"
OK, REFUSED = 0, 1
# status, microseconds waited for a slot, then the key (OK) or a reason (REFUSED)
ANSWER = struct.Struct(">BI")
MAX_OPS = 10
MAX_MEMORY = 1 << 30  # 1 GiB: four times the password cost
MAX_SECRET = 1024
OUTPUT_SIZES = range(16, 65)


class PoolUnavailable(Exception):
    """The pool could not be reached, or went away during the run: run Argon2id here."""


class PoolRefused(ValueError):
    """The pool refused the request as malformed (a programming error, never retried)."""


@dataclass(frozen=True)
class Request:
    ops: int
    mem_bytes: int
    size: int
    salt: bytes
    secret: bytes

    def problem(self) -> str | None:
        if not 1 <= self.ops <= MAX_OPS:
            return "ops out of range"
        if not argon2id_mod.MEMLIMIT_MIN <= self.mem_bytes <= MAX_MEMORY:
            return "memory out of range"
        if self.size not in OUTPUT_SIZES:
            return "output size out of range"
        if len(self.salt) != argon2id_mod.SALTBYTES:
            return "salt must be 16 bytes"
        if len(self.secret) > MAX_SECRET:
            return "secret too long"
        return None

    def encode(self) -> bytes:
        if len(self.salt) != argon2id_mod.SALTBYTES:  # the wire has room for 16 bytes only
            raise PoolRefused("salt must be 16 bytes")
        header = REQUEST.pack(
            MAGIC, self.ops, self.mem_bytes, self.size, self.salt, len(self.secret)
        )
        return header + self.secret


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed mid-message")
        chunks += chunk
    return bytes(chunks)


# --- the pool ---------------------------------------------------------------------------


@dataclass
class PoolStats:
    runs: int = 0
    refused: int = 0
    active: int = 0
    max_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _Connection(socketserver.BaseRequestHandler):
    server: Pool

    def handle(self) -> None:
        connection: socket.socket = self.request
        connection.settimeout(10)  # for reading the request; the run itself has no limit
        try:
            first = _read_exactly(connection, 4)
            if first == PING:
                connection.sendall(ANSWER.pack(OK, 0) + struct.pack(">I", self.server.slots))
                return
            rest = _read_exactly(connection, REQUEST.size - 4)
            magic, ops, mem_bytes, size, salt, secret_length = REQUEST.unpack(first + rest)
            if magic != MAGIC:
                self._refuse(connection, "unknown protocol")
                return
            if secret_length > MAX_SECRET:
                self._refuse(connection, "secret too long")
                return
            request = Request(ops, mem_bytes, size, salt, _read_exactly(connection, secret_length))
        except (OSError, ConnectionError, struct.error):
            return  # the worker went away; it runs Argon2id itself
        problem = request.problem()
        if problem:
            self._refuse(connection, problem)
            return
        key, waited = self.server.derive(request)
        try:
            connection.sendall(ANSWER.pack(OK, min(int(waited * 1e6), 0xFFFFFFFF)) + key)
        except OSError:
            return

    def _refuse(self, connection: socket.socket, reason: str) -> None:
        with self.server.stats.lock:
            self.server.stats.refused += 1
        try:
            connection.sendall(ANSWER.pack(REFUSED, 0) + reason.encode())
        except OSError:
            return


class Pool(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, path: Path, slots: int) -> None:
        self.slots = slots
        self.stats = PoolStats()
        self._slots = threading.BoundedSemaphore(slots)
        _clear_stale_socket(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        previous = os.umask(0o177)  # the socket is born 0600: only its owner connects
        try:
            super().__init__(str(path), _Connection)
        finally:
            os.umask(previous)
        self.path = path

    def derive(self, request: Request) -> tuple[bytes, float]:
        arrived = time.perf_counter()
        with self._slots:
            waited = time.perf_counter() - arrived
            stats = self.stats
            with stats.lock:
                stats.active += 1
                stats.max_active = max(stats.max_active, stats.active)
            try:
                key: bytes = argon2id_mod.kdf(
                    request.size,
                    request.secret,
                    request.salt,
                    opslimit=request.ops,
                    memlimit=request.mem_bytes,
                )
            finally:
                with stats.lock:
                    stats.active -= 1
                    stats.runs += 1
        return key, waited

    def server_close(self) -> None:
        super().server_close()
        self.path.unlink(missing_ok=True)


def _clear_stale_socket(path: Path) -> None:
    """A socket left by a pool that died is removed; anything else at the path, or a pool
    that still answers there, is an error (two pools must not share a path)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise SystemExit(f"argon2 pool: {path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()
        return
    finally:
        probe.close()
    raise SystemExit(f"argon2 pool: another pool answers at {path}")


def serve(path: Path, slots: int) -> None:
    pool = Pool(path, slots)

    def stop(signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=pool.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"argon2 pool: {slots} slots at {path}", file=sys.stderr, flush=True)
    try:
        pool.serve_forever(poll_interval=0.5)
    finally:
        pool.server_close()
        print("argon2 pool: stopped", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The host's shared Argon2id pool.")
    parser.add_argument("--socket", required=True, type=Path, help="Unix socket path")
    parser.add_argument(
        "--slots",
        type=int,
        default=os.cpu_count() or 1,
        help="Argon2id runs at once (default: one per core)",
    )
    args = parser.parse_args(argv)
    if args.slots < 1:
        parser.error("--slots must be at least 1")
    serve(args.socket, args.slots)


# --- a worker's side --------------------------------------------------------------------


@dataclass(frozen=True)
class PoolClient:
    path: str
    # A run that waits longer than this is stuck (gunicorn's own timeout is 30 s).
    timeout: float = 25.0

    def derive(self, request: Request) -> tuple[bytes, float]:
        """The key and the seconds it waited for a slot. PoolUnavailable when the pool
        cannot be reached or goes away mid-run; TimeoutError when it is stuck."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        try:
            try:
                connection.connect(self.path)
            except OSError as error:
                raise PoolUnavailable(type(error).__name__) from None
            try:
                connection.sendall(request.encode())
                status, waited_us = ANSWER.unpack(_read_exactly(connection, ANSWER.size))
                if status == REFUSED:
                    raise PoolRefused(connection.recv(200).decode("utf-8", "replace"))
                key = _read_exactly(connection, request.size)
            except TimeoutError:
                raise
            except (OSError, ConnectionError) as error:
                raise PoolUnavailable(type(error).__name__) from None
        finally:
            connection.close()
        return key, waited_us / 1e6

    def ping(self) -> int:
        """The pool's slot count; PoolUnavailable if it does not answer."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(2.0)
        try:
            connection.connect(self.path)
            connection.sendall(PING)
            status, _ = ANSWER.unpack(_read_exactly(connection, ANSWER.size))
            (slots,) = struct.unpack(">I", _read_exactly(connection, 4))
        except (OSError, ConnectionError, struct.error) as error:
            raise PoolUnavailable(type(error).__name__) from None
        finally:
            connection.close()
        if status != OK:
            raise PoolUnavailable("refused")
        return int(slots)

    def answers(self) -> bool:
        try:
            self.ping()
        except PoolUnavailable:
            return False
        return True


if __name__ == "__main__":
    main()
