"""The per-process Argon2id gate: concurrent runs beyond its slots wait their turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from crypto.primitives import Argon2Params, argon2id
from hotline import argon2_gate

CHEAP = Argon2Params(ops=2, mem_bytes=8 * 1024 * 1024)


@pytest.fixture
def gate() -> Iterator[argon2_gate.Gate]:
    previous = argon2_gate.current()
    yield argon2_gate.bound(2)
    argon2_gate.bound(previous.slots)


def test_at_most_the_bound_run_at_once(gate: argon2_gate.Gate) -> None:
    outputs: list[bytes] = []
    start = threading.Barrier(8)

    def run(i: int) -> None:
        start.wait()
        outputs.append(argon2id(bytes([i]) * 8, b"s" * 16, CHEAP))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(outputs)) == 8
    assert gate.stats.runs == 8 and gate.stats.max_active == 2
    assert gate.stats.waited >= 1 and gate.stats.active == 0


def test_app_start_sets_the_bound(tmp_path: object, gate: argon2_gate.Gate) -> None:
    from pathlib import Path

    from hotline import create_app
    from tests.support import config_for

    folder = Path(str(tmp_path))
    create_app(config_for(f"sqlite:///{folder / 'h.db'}", folder / "i", ARGON2_CONCURRENCY=3))
    assert argon2_gate.current().slots == 3
