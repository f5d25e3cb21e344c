"""The proof of work is checked before the body is read, and binds the submission (#22)."""

from __future__ import annotations

import base64
import io

import pytest

from crypto import pow as pow_rule
from tests.conftest import World

pytestmark = pytest.mark.postgres


class WatchedStream(io.BytesIO):
    """A request body that records whether anyone read it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().readline(size)


def challenge(world: World) -> bytes:
    r = world.app.test_client().get("/api/v1/pow")
    assert r.status_code == 200 and r.json is not None
    return base64.b64decode(r.json["challenge"])


@pytest.mark.parametrize("kind", ["missing", "unsolved", "forged challenge"])
def test_invalid_proof_is_refused_before_the_body_is_read(world: World, kind: str) -> None:
    raw = challenge(world)
    digest = bytes(32)
    nonces = (i.to_bytes(8, "big") for i in range(1000))
    unsolved = next(n for n in nonces if not pow_rule.check(raw, digest, n, 4))
    headers = {
        "missing": {},
        "unsolved": {pow_rule.HEADER: pow_rule.header_value(raw, digest, unsolved)},
        "forged challenge": {
            pow_rule.HEADER: pow_rule.header_value(
                bytes(32), digest, pow_rule.solve(bytes(32), digest, 4)
            )
        },
    }[kind]
    data = b'{"category": "other"}' + b" " * 1_000_000
    stream = WatchedStream(data)
    for content_type in ("application/json", "multipart/form-data; boundary=x"):
        stream.seek(0)
        r = world.app.test_client().post(
            "/api/v1/reports",
            input_stream=stream,
            content_length=len(data),
            content_type=content_type,
            headers=headers,
        )
        assert r.status_code == 400, r.data
        assert r.json is not None and r.json["error"] == "invalid_proof_of_work"
        assert stream.reads == 0, "the body was read before the proof was checked"
