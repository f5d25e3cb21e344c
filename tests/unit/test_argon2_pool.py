"""The host's Argon2id pool (crypto/argon2_pool.py): the same keys as a local run, at most
`slots` runs at once, malformed requests refused without a run, a socket only its owner can
use, and a pool that is missing or dies mid-run reported as unavailable (the worker then
runs Argon2id itself)."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import nacl.pwhash.argon2id as argon2id_mod
import pytest

from crypto.argon2_pool import (
    MAX_SECRET,
    Pool,
    PoolClient,
    PoolRefused,
    PoolUnavailable,
    Request,
)
from tests.support.argon2_pool import running_pool

ROOT = Path(__file__).resolve().parents[2]
SALT = b"s" * 16
CHEAP = (1, 8192)  # ops, bytes: libsodium's minimum memory


def request(secret: bytes = b"1234567890123456", ops: int = 1, mem: int = 8192) -> Request:
    return Request(ops, mem, 32, SALT, secret)


def test_the_pool_derives_what_libsodium_derives(tmp_path: Path) -> None:
    with running_pool(tmp_path / "argon2.sock", slots=3) as pool:
        client = PoolClient(str(pool.path))
        assert client.ping() == 3
        key, waited = client.derive(request(b"receipt 1", 2, 65536))
        assert key == argon2id_mod.kdf(32, b"receipt 1", SALT, opslimit=2, memlimit=65536)
        assert 0 <= waited < 1
        assert pool.stats.runs == 1


def test_no_more_than_slots_run_at_once_and_the_rest_wait(tmp_path: Path) -> None:
    with running_pool(tmp_path / "argon2.sock", slots=1) as pool:
        client = PoolClient(str(pool.path))
        waits: list[float] = []
        keys: list[bytes] = []

        def run(n: int) -> None:
            key, waited = client.derive(request(b"secret %d" % n, 1, 16 * 1024 * 1024))
            keys.append(key)
            waits.append(waited)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert pool.stats.runs == 4 and pool.stats.max_active == 1
        assert len(set(keys)) == 4
        assert sum(1 for w in waits if w > 0.001) >= 2  # queued behind the one slot


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (Request(0, 8192, 32, SALT, b"x"), "ops out of range"),
        (Request(11, 8192, 32, SALT, b"x"), "ops out of range"),
        (Request(1, 2 << 30, 32, SALT, b"x"), "memory out of range"),
        (Request(1, 4096, 32, SALT, b"x"), "memory out of range"),
        (Request(1, 8192, 8, SALT, b"x"), "output size out of range"),
        (Request(1, 8192, 32, SALT, b"x" * (MAX_SECRET + 1)), "secret too long"),
    ],
)
def test_malformed_requests_are_refused_without_a_run(
    tmp_path: Path, bad: Request, reason: str
) -> None:
    with running_pool(tmp_path / "argon2.sock") as pool:
        with pytest.raises(PoolRefused, match=reason):
            PoolClient(str(pool.path)).derive(bad)
        assert pool.stats.runs == 0 and pool.stats.refused == 1
        assert PoolClient(str(pool.path)).derive(request())[0]  # and it still serves


def test_a_salt_the_wire_cannot_carry_is_refused_before_sending(tmp_path: Path) -> None:
    with running_pool(tmp_path / "argon2.sock") as pool:
        for salt in (b"short-salt-15by", b"s" * 17):
            with pytest.raises(PoolRefused, match="salt must be 16 bytes"):
                PoolClient(str(pool.path)).derive(Request(1, 8192, 32, salt, b"x"))
        assert pool.stats.runs == 0


def test_garbage_and_half_requests_leave_the_pool_serving(tmp_path: Path) -> None:
    with running_pool(tmp_path / "argon2.sock") as pool:
        for junk in (b"GET / HTTP/1.1\r\n\r\n", b"HA2\x01\x00", os.urandom(64)):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                raw.connect(str(pool.path))
                raw.sendall(junk)
                raw.shutdown(socket.SHUT_WR)
                raw.settimeout(5)
                raw.recv(100)
        assert pool.stats.runs == 0
        assert PoolClient(str(pool.path)).derive(request())[0]


def test_only_the_owner_can_connect(tmp_path: Path) -> None:
    with running_pool(tmp_path / "run" / "argon2.sock") as pool:
        assert stat.S_IMODE(pool.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(pool.path.parent.stat().st_mode) == 0o700
    assert not pool.path.exists()  # removed on stop


def test_a_missing_pool_or_a_stale_socket_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PoolUnavailable):
        PoolClient(str(tmp_path / "none.sock")).derive(request())
    stale = tmp_path / "stale.sock"
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(stale))
    left.close()  # a socket file nobody listens on, as a killed pool leaves it
    with pytest.raises(PoolUnavailable):
        PoolClient(str(stale)).ping()
    pool = Pool(stale, 1)  # a new pool takes the stale path over
    pool.server_close()


def test_a_second_pool_or_a_file_at_the_path_refuses_to_start(tmp_path: Path) -> None:
    with (
        running_pool(tmp_path / "argon2.sock") as pool,
        pytest.raises(SystemExit, match="another pool"),
    ):
        Pool(pool.path, 1)
    plain = tmp_path / "plain.sock"
    plain.write_text("not a socket")
    with pytest.raises(SystemExit, match="not a socket"):
        Pool(plain, 1)
    assert plain.read_text() == "not a socket"


def test_a_pool_killed_mid_run_is_unavailable_and_says_nothing_of_the_secret(
    tmp_path: Path,
) -> None:
    path = tmp_path / "argon2.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "crypto.argon2_pool", "--socket", str(path), "--slots", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        client = PoolClient(str(path))
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except PoolUnavailable:
                assert time.monotonic() < deadline, "the pool did not start"
                time.sleep(0.05)
        secret = b"4821 7730 1956 0042"
        client.derive(request(secret))
        outcome: list[BaseException] = []

        def slow_run() -> None:
            try:
                client.derive(Request(10, 256 * 1024 * 1024, 32, SALT, secret))
            except BaseException as error:
                outcome.append(error)

        runner = threading.Thread(target=slow_run)
        runner.start()
        time.sleep(0.3)
        process.send_signal(signal.SIGKILL)
        runner.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], PoolUnavailable)
    finally:
        process.kill()
        output, _ = process.communicate(timeout=10)
    assert secret not in output and b"4821" not in output
    assert output.decode().strip() == f"argon2 pool: 1 slots at {path}"
